"""A figure as the report writes it: "85.3 (82.1–88.5)", its n, its reliability mark.

Kept apart from the layout of :mod:`survey.reports.pdf` so the words for a
figure are written once. Call inside a request or ``force_locale``.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from ..labels import index_bound
from ..results.reading import shown_unreliable
from ..stats import Estimate


def _k() -> int:
    return int(current_app.config["SURVEY_SMALL_CELL_K"])


def withheld_text(estimate: Estimate) -> str:
    """Why a figure is not shown (too few respondents, or withheld beside such), never its n."""
    if estimate.complementary:
        return _("withheld so that a smaller suppressed figure cannot be worked out")
    return _("fewer than %(k)s responses (small-cell rule)", k=_k())


def n_text(n: int, estimate: Estimate) -> str:
    """A cell's n, or "<k" / "—" for a cell disclosure control withholds (no exact n)."""
    if estimate.estimate is None and not n:
        return "—" if estimate.complementary else f"<{_k()}"
    return str(n)


def index_text(estimate: Estimate) -> str:
    """ "85.3 (82.1-88.5)", or the reason the figure is withheld."""
    if estimate.estimate is None:
        return withheld_text(estimate)
    value, low, high = (
        format_decimal(v, "0.0")
        for v in (estimate.estimate, index_bound(estimate.low), index_bound(estimate.high))
    )
    return f"{value} ({low}–{high}){_mark(estimate)}"


def _mark(estimate: Estimate) -> str:
    """A dagger after a figure that does not meet the reliability standard."""
    return " †" if shown_unreliable(estimate) else ""


def share_text(estimate: Estimate) -> str:
    """ "92.5% (88.0%-95.4%)" in the reader's locale, or the reason it is withheld."""
    if estimate.estimate is None:
        return withheld_text(estimate)
    value, low, high = (
        format_percent(v, "0.0%") for v in (estimate.estimate, estimate.low, estimate.high)
    )
    return f"{value} ({low}–{high}){_mark(estimate)}"
