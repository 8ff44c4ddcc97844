"""The staff workspace's top navigation: which role sees which section."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

# (endpoint, label, roles). A section appears once its blueprint provides the endpoint.
STAFF_NAV: tuple[tuple[str, Any, frozenset[str]], ...] = (
    ("evaluate.index", _l("Results"), frozenset({"admin", "evaluator"})),
    ("evaluate.fieldwork", _l("Fieldwork"), frozenset({"admin", "evaluator"})),
    ("evaluate.followup_list", _l("Follow-up"), frozenset({"admin", "evaluator", "handler"})),
    ("operator.index", _l("Phone survey"), frozenset({"admin", "operator"})),
    ("admin.index", _l("Set-up"), frozenset({"admin", "evaluator"})),
)


def navigation_context() -> dict[str, Any]:
    return {"staff_nav": STAFF_NAV, "view_endpoints": current_app.view_functions}
