"""What the web faces share: the answer forms built from instruments, role guards, navigation.

Only faces (the blueprints) and the app factory import this package; services never do.
"""
