"""Display names of the respondent groups, through Babel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

GROUP_LABELS = {
    "deputy": _l("People's congress deputies"),
    "cppcc": _l("CPPCC members"),
    "retiree": _l("Retired cadres"),
    "expert": _l("Experts and scholars"),
    "supervisor": _l("Supervising-department leaders"),
    "party": _l("Democratic-party members"),
    "staff": _l("Internal staff"),
    "service_user": _l("Service users"),
    "public": _l("General public"),
}

CHANNEL_LABELS = {
    "qr": _l("QR code at a service point"),
    "ticket": _l("QR code on a receipt"),
    "kiosk": _l("Evaluation device at the window"),
    "link": _l("Personal link"),
    "sms": _l("SMS link"),
    "paper": _l("Letter with a link"),
    "phone": _l("Phone interview"),
    "ivr": _l("Automated phone survey"),
}


def group_label(code: str) -> str:
    label = GROUP_LABELS.get(code)
    return str(label) if label is not None else code


def channel_label(code: str) -> str:
    label = CHANNEL_LABELS.get(code)
    return str(label) if label is not None else code
