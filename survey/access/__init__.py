"""Who may do what, and the record of what they did: accounts, API tokens, the audit trail.

The role guards of the web pages are in survey.web.guards; the tables in survey.models.access.
"""
