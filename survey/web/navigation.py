"""The staff workspace's top navigation, and the numbers people put in its addresses."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import IntegerConverter, Map

# The largest id an address may name. SQLite's INTEGER and PostgreSQL's BIGINT end
# here; a bigger number makes the database driver fail (a 500) instead of finding nothing.
MAX_ID = 2**63 - 1
# Far beyond any list's last page, and small enough that page x size stays a database integer.
MAX_PAGE = 10**9

# (endpoint, label, roles). A section appears once its blueprint provides the endpoint.
STAFF_NAV: tuple[tuple[str, Any, frozenset[str]], ...] = (
    ("evaluate.index", _l("Results"), frozenset({"admin", "evaluator"})),
    ("evaluate.fieldwork", _l("Fieldwork"), frozenset({"admin"})),
    ("evaluate.cycles", _l("Scorecard"), frozenset({"admin", "evaluator"})),
    ("evaluate.fixes_board", _l("Fixes"), frozenset({"admin", "evaluator"})),
    ("evaluate.self_assessment_home", _l("Self-assessment"), frozenset({"liaison"})),
    ("evaluate.unit_opinions", _l("Opinions"), frozenset({"liaison"})),
    ("evaluate.followup_list", _l("Follow-up"), frozenset({"admin", "evaluator", "handler"})),
    ("operator.index", _l("Phone survey"), frozenset({"admin", "operator"})),
    ("admin.index", _l("Set-up"), frozenset({"admin", "evaluator"})),
)


def navigation_context() -> dict[str, Any]:
    """What every template may use: the staff navigation, and ``current_user`` as a proxy.

    The proxy, not the user: Flask-Login's own context processor (turned off in
    ``create_app``) loaded the user for every page rendered, a public card's
    too, and ran its session protection for a visitor who never signs in
    (see ``extensions.GuardedLoginManager``). A template that reads
    ``current_user`` still loads it, as before.
    """
    return {
        "staff_nav": STAFF_NAV,
        "view_endpoints": current_app.view_functions,
        "current_user": current_user,
    }


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route, but never above MAX_ID: an absurd id is a 404, not a 500."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def whole_number(raw: str | None, *, maximum: int = MAX_ID) -> int | None:
    """A number typed into an address (``?campaign=12``), or None when it is not one.

    Only ASCII digits count: ``str.isdigit`` also takes "²", which ``int`` refuses,
    and a number of thousands of digits is refused before ``int`` spends time on it.
    Above ``maximum`` there is nothing to find, so that is None too.
    """
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(maximum)):
        return None
    value = int(raw)
    return value if value <= maximum else None


def page_number(raw: str | None) -> int | None:
    """A list's ``?page=``: None when it is not a page number, at most MAX_PAGE.

    A page past the end is not an error (the list may have shrunk since the
    link was made); the caller sends it to the last page.
    """
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) > len(str(MAX_PAGE)):
        return MAX_PAGE
    value = whole_number(raw, maximum=MAX_PAGE)
    return value if value else None
