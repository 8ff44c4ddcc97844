"""Display names through Babel: respondent groups, channels and indicators.

An indicator is a dotted name in an instrument file (``satisfaction.overall``);
people read "Overall satisfaction". An indicator a new instrument introduces
without a name here is shown as its dotted name until one is added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import overload

from flask_babel import get_locale
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


# Where the names of the administrators' own groups come from (code -> language ->
# name); the app factory sets it to a reader of the groups' table, since this module
# sits below the models.
own_group_names: Callable[[], Mapping[str, Mapping[str, str]]] | None = None


# The three dimensions of opinion (models.base.DIMENSIONS), never pooled into one figure.
DIMENSION_LABELS = {
    "service_users": _l("Served public"),
    "stakeholders": _l("Stakeholders"),
    "staff": _l("Staff"),
}


def dimension_label(code: str) -> str:
    label = DIMENSION_LABELS.get(code)
    return str(label) if label is not None else code


# The two published dimensions (results.options.Dimension): whose opinion a figure is.
PUBLISHED_DIMENSION_LABELS = {
    "external": _l("People served and stakeholders"),
    "staff": _l("Staff's own opinion of their unit"),
}


def published_dimension_label(code: str) -> str:
    """A published figure's dimension by name, for people (the CSV and the API keep the code)."""
    label = PUBLISHED_DIMENSION_LABELS.get(code)
    return str(label) if label is not None else code


def group_label(code: str) -> str:
    """A group's name in the reader's language: the catalogs', else its own names, else its code."""
    label = GROUP_LABELS.get(code)
    if label is not None:
        return str(label)
    names = own_group_names().get(code) if own_group_names is not None else None
    if not names:
        return code
    lang = str(get_locale() or "zh_Hans")
    return names.get(lang) or names.get("zh_Hans") or next(iter(names.values()))


def channel_label(code: str) -> str:
    label = CHANNEL_LABELS.get(code)
    return str(label) if label is not None else code


# Every satisfaction index lies on this scale (instrument scores run 0 to 100).
INDEX_SCALE = (0.0, 100.0)

INDICATOR_LABELS = {
    "satisfaction.overall": _l("Overall satisfaction"),
    "satisfaction.attitude": _l("Service attitude"),
    "satisfaction.efficiency": _l("Efficiency"),
    "satisfaction.one_visit": _l("Done in one visit"),
    "satisfaction.communication": _l("Communication"),
    "satisfaction.conditions": _l("Working conditions"),
    "satisfaction.coordination": _l("Coordination with other bodies"),
    "satisfaction.duty": _l("Performance of duties"),
    "satisfaction.fairness": _l("Fairness"),
    "satisfaction.improvement": _l("Improvement over time"),
    "satisfaction.integrity": _l("Integrity"),
    "satisfaction.leadership": _l("Leadership"),
    "satisfaction.recommend": _l("Would recommend"),
}


def indicator_label(name: str | None) -> str:
    """The indicator's name in the reader's language, else its dotted name."""
    if name is None:
        return ""
    label = INDICATOR_LABELS.get(name)
    return str(label) if label is not None else name


@overload
def index_bound(value: float) -> float: ...
@overload
def index_bound(value: None) -> None: ...
def index_bound(value: float | None) -> float | None:
    """An index interval's bound as people read it: cut at the limits of the 0-100 scale.

    A t-interval for a small, very satisfied group can reach past 100 (95.0
    with 82.0-108.0); the index cannot, and "108" on a 0-100 scale reads as a
    mistake. Cutting the interval at the scale keeps its coverage (only values
    the index cannot take are removed). Exports and the API keep the bounds as
    computed, with se and df, so they agree with R's survey package.
    """
    if value is None:
        return None
    low, high = INDEX_SCALE
    return min(max(value, low), high)


# The scorecard: where an item's points come from, the on-site methods, the dimensions
# of the surveys, and the steps of a cycle's year (codes as in survey.scorecard).
SOURCE_LABELS = {
    "survey": _l("Survey"),
    "self-assessment": _l("Self-assessment"),
    "on-site": _l("On-site assessment"),
    "data": _l("Data"),
    "event": _l("Events"),
}

METHOD_LABELS = {
    "document_review": _l("Document review"),
    "on_site_check": _l("On-site check"),
    "interview": _l("Individual interviews"),
    "symposium": _l("Symposium"),
}

DIMENSION_LABELS = {
    "service_users": _l("Service users"),
    "stakeholders": _l("Stakeholders"),
    "staff": _l("Staff"),
}

STEP_LABELS = {
    "self_assessment": _l("Self-assessment"),
    "on_site": _l("On-site assessment"),
    "opinion": _l("Opinion issued"),
    "rectification": _l("Rectification report"),
}


def scorecard_label(kind: str, code: str) -> str:
    """A scorecard code's name in the reader's language: kind is source, method, dimension, step."""
    table = {
        "source": SOURCE_LABELS,
        "method": METHOD_LABELS,
        "dimension": DIMENSION_LABELS,
        "step": STEP_LABELS,
    }[kind]
    label = table.get(code)
    return str(label) if label is not None else code


def localised(text: Mapping[str, str] | None) -> str:
    """A framework's multilingual text in the reader's language (else simplified Chinese)."""
    if not text:
        return ""
    from flask import has_request_context
    from flask_babel import get_locale

    code = str(get_locale()) if has_request_context() else "zh_Hans"
    return text.get(code) or text.get("zh_Hans") or next(iter(text.values()))
