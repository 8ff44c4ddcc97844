"""Results pages: campaigns, every unit of a campaign, one unit broken down, its comments.

Views are thin: the figures come from survey.results; this module only picks
what to ask for from the query string and orders rows for display.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from ..labels import channel_label, group_label, indicator_label
from ..models import Campaign, Unit
from ..results import ResultRow, ResultsError, campaign_groups, satisfaction, year_on_year
from ..results.estimates import GroupRow
from ..results.fieldwork import submitted_by_campaign
from ..results.options import Dimension
from ..results.readable import readable_campaigns
from ..results.reading import rankable, shown_unreliable
from ..results.service import YearOnYear
from ..results.unit_report import OVERALL, campaign_indicators
from ..stats import Estimate
from ..web.errors import BadInput
from ..web.guards import role_required
from ..web.navigation import page_number
from . import bp
from .charts import Bar, Point, bar_chart, line_chart
from .found import campaign_or_404

SORTS = {
    "unit": lambda r: r.unit_code or "",
    "index": lambda r: (r.index.estimate is None, r.index.estimate or 0.0),
    "share": lambda r: (r.share_satisfied.estimate is None, r.share_satisfied.estimate or 0.0),
    "n": lambda r: r.n,
}
ORDERS = ("asc", "desc")
# Units per page of a campaign's results: a province's 1,000 units are 20 pages, each light.
UNITS_PER_PAGE = 50
# The figure a sort ranks on: only reliable ones are ranked.
RANKED: dict[str, Callable[[ResultRow], Any]] = {
    "index": lambda r: r.index,
    "share": lambda r: r.share_satisfied,
}


def period_choices(campaign: Campaign) -> list[tuple[str, str]]:
    """The named periods of the campaign: each year and each quarter it covers."""
    choices: list[tuple[str, str]] = []
    for year in range(campaign.period_start.year, campaign.period_end.year + 1):
        choices.append((str(year), str(year)))
        for quarter in range(1, 5):
            first_month = 3 * quarter - 2
            if (year, first_month + 2) < (campaign.period_start.year, campaign.period_start.month):
                continue
            if (year, first_month) > (campaign.period_end.year, campaign.period_end.month):
                continue
            choices.append((f"{year}-Q{quarter}", f"{year}-Q{quarter}"))
    return choices


def _bars(rows: Sequence[ResultRow], label: Callable[[ResultRow], str]) -> list[Bar]:
    return [
        Bar(
            label(r),
            r.index.estimate,
            r.index.low,
            r.index.high,
            _shown_n(r.n, r.index),
            unreliable=shown_unreliable(r.index),
        )
        for r in rows
    ]


def _shown_n(n: int, estimate: Estimate) -> int | None:
    """n beside a bar; none for a figure withheld by disclosure control (it has no n)."""
    return None if estimate.estimate is None and not n else n


def indicator_chart(rows: Sequence[ResultRow]) -> Markup:
    """Bars with whiskers for a unit's indicators (the unit page and its report)."""
    from flask_babel import gettext

    return bar_chart(
        _bars(rows, lambda r: indicator_label(r.indicator)),
        title=gettext("Indicators"),
        suppressed_text=_suppressed(),
    )


def group_chart(groups: Sequence[GroupRow]) -> Markup:
    """Bars with whiskers for the groups within one cell; small groups show only their note."""
    from flask_babel import gettext

    bars = [
        Bar(
            group_label(g.group),
            g.index.estimate,
            g.index.low,
            g.index.high,
            _shown_n(g.n, g.index),
        )
        for g in groups
    ]
    return bar_chart(bars, title=gettext("By respondent group"), suppressed_text=_suppressed())


def yearly_chart(trend: YearOnYear) -> Markup:
    """The overall index by year; a year whose change from the last excludes zero is marked."""
    marked_years = {c.year for c in trend.changes if c.index_verdict in ("higher", "lower")}
    points = [
        Point(r.year or "", r.index.estimate, r.index.low, r.index.high, r.year in marked_years)
        for r in trend.years
    ]
    return line_chart(points, title=indicator_label(OVERALL))


def _sorted(rows: list[ResultRow], key: str, order: str) -> list[ResultRow]:
    """Rows in the asked order; only reliable figures are ranked.

    A figure that does not meet the reliability standard is not ranked: those
    rows follow the ranked ones in the order of their unit codes, and
    suppressed rows, which have no figure at all, come last. n is shown for
    every row, suppressed or not, so sorting by n keeps them all in place.
    """
    rows = sorted(rows, key=SORTS["unit"])
    if key == "n":
        return sorted(rows, key=SORTS["n"], reverse=order == "desc")
    if key in RANKED:
        figure = RANKED[key]
        ranked = [r for r in rows if rankable(figure(r))]
        unranked = [r for r in rows if shown_unreliable(figure(r))]
        withheld = [r for r in rows if figure(r).is_suppressed]
        ranked.sort(key=SORTS[key], reverse=order == "desc")
        return ranked + unranked + withheld
    return list(reversed(rows)) if order == "desc" else rows


@bp.route("/")
@role_required("evaluator", "admin")
def index() -> ResponseReturnValue:
    """The campaigns to read results from; their exact response counts and fieldwork only for
    administrators. No draft: it has only test answers, which count in no figure (the
    administrator's set-up pages list drafts).

    A campaign's count of every submitted card, less the published parts, is the
    size of what the results withhold (survey.evaluate.fieldwork_views says why
    fieldwork counts are the administrator's).
    """
    fieldwork = current_user.role == "admin"
    counts = submitted_by_campaign() if fieldwork else {}
    campaigns = readable_campaigns()
    return render_template(
        "evaluate/index.html", campaigns=campaigns, counts=counts, fieldwork=fieldwork
    )


def _period_arg(campaign: Campaign) -> str | None:
    period = request.args.get("period", "").strip() or None
    if period and period not in {value for value, _label in period_choices(campaign)}:
        raise BadInput(
            gettext(
                "%(value)s is not a period of this campaign: choose a year or a quarter "
                "from the list.",
                value=period[:40],
            )
        )
    return period


def _sort_args() -> tuple[str, str]:
    """The column and direction a campaign's units are sorted by; 400 for any other value."""
    sort = request.args.get("sort", "unit")
    if sort not in SORTS:
        raise BadInput(
            gettext(
                "%(value)s is not a column to sort by: choose unit, index, share or n.",
                value=sort[:40],
            )
        )
    order = request.args.get("order", "asc")
    if order not in ORDERS:
        raise BadInput(
            gettext("%(value)s is not a sort order: choose asc or desc.", value=order[:40])
        )
    return sort, order


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    page = page_number(raw)
    if page is None:
        raise BadInput(
            gettext("%(value)s is not a page number: pages are numbered from 1.", value=raw[:40])
        )
    return page


@bp.route("/campaign/<int:campaign_id>")
@role_required("evaluator", "admin")
def campaign_results(campaign_id: int) -> ResponseReturnValue:
    """Every unit's overall figures, sorted by the column asked for, UNITS_PER_PAGE at a time.

    The whole campaign is sorted (ranks span pages), and only the page is sent:
    with 1,000 units the page stays small.
    """
    campaign = campaign_or_404(campaign_id)
    period = _period_arg(campaign)
    sort, order = _sort_args()
    page = _page_arg()
    error = None
    rows: list[ResultRow] = []
    try:
        rows = satisfaction(
            campaign, by=("unit",), indicator=OVERALL, period=period, group_breakdown=False
        )
    except ResultsError as problem:
        error = problem.message()
    rows = _sorted(rows, sort, order)
    pages = max(1, -(-len(rows) // UNITS_PER_PAGE))
    if page > pages:  # past the end (fewer units now than when the link was made): the last
        return redirect(
            url_for(
                "evaluate.campaign_results",
                campaign_id=campaign.id,
                period=period,
                sort=sort,
                order=order,
                page=pages,
            )
        )
    return _campaign_page(
        campaign, rows, page=page, pages=pages, period=period, sort=sort, order=order, error=error
    )


def _campaign_page(
    campaign: Campaign,
    rows: list[ResultRow],
    *,
    page: int,
    pages: int,
    error: str | None,
    period: str | None,
    sort: str,
    order: str,
) -> str:
    """The page of units ``page`` of ``pages``; ``rows`` are all the campaign's, sorted."""
    from ..access.audit import events_for_campaign

    first = (page - 1) * UNITS_PER_PAGE
    shown = rows[first : first + UNITS_PER_PAGE]
    changes = [
        e
        for e in events_for_campaign(campaign.id)
        if campaign.opens_at is None or e.at >= campaign.opens_at
    ]
    return render_template(
        "evaluate/campaign.html",
        campaign=campaign,
        rows=shown,
        unit_count=len(rows),
        first_shown=first + 1,
        page=page,
        pages=pages,
        period=period,
        periods=period_choices(campaign),
        sort=sort,
        order=order,
        error=error,
        chart=bar_chart(
            _bars(shown, lambda r: r.unit_name or ""),
            title=indicator_label(OVERALL),
            suppressed_text=_suppressed(),
        ),
        settings=campaign_groups(campaign),
        weighting=rows[0].weighting if rows else "",
        changes=changes,
        k=_k(),
        unit_label=lambda r: r.unit_name or "",
    )


def _k() -> int:
    from flask import current_app

    return int(current_app.config["SURVEY_SMALL_CELL_K"])


def _suppressed() -> str:
    from flask_babel import gettext

    return gettext("suppressed")


def unit_in(campaign: Campaign, unit_id: int) -> Unit:
    """The campaign's unit with this id, else 404: a unit outside it has no results here."""
    unit = next((u for u in campaign.units if u.id == unit_id), None)
    if unit is None:
        abort(404)
    return unit


@bp.route("/campaign/<int:campaign_id>/unit/<int:unit_id>")
@role_required("evaluator", "admin")
def unit_results(campaign_id: int, unit_id: int) -> ResponseReturnValue:
    campaign = campaign_or_404(campaign_id)
    unit = unit_in(campaign, unit_id)
    period = _period_arg(campaign)
    try:
        figures = _unit_figures(campaign, unit, period)
    except ResultsError as problem:
        # e.g. a group without a policy weight while others have one: say so, do not fail.
        figures = {"error": problem.message()}
    return render_template(
        "evaluate/unit.html",
        campaign=campaign,
        unit=unit,
        period=period,
        periods=period_choices(campaign),
        indicator_row_label=lambda r: indicator_label(r.indicator),
        year_label=lambda r: r.year or "",
        month_label=lambda r: r.month or "",
        k=_k(),
        **figures,
    )


def _by_indicator(
    campaign: Campaign, unit: Unit, period: str | None, dimension: Dimension
) -> list[ResultRow]:
    """The unit's figures of one dimension, one row per indicator in the campaign's order."""
    indicators = campaign_indicators(campaign)
    rows = satisfaction(
        campaign,
        by=("unit",),
        indicator=indicators,
        period=period,
        units=unit.id,
        group_breakdown=False,
        dimension=dimension,
    )
    order = {name: i for i, name in enumerate(indicators)}
    rows.sort(key=lambda r: order.get(r.indicator or "", 99))
    return rows


def _unit_figures(campaign: Campaign, unit: Unit, period: str | None) -> dict[str, object]:
    """Everything the unit page shows, computed before rendering so one error can be reported.

    Long because it gathers every table and chart of the page in one place.
    """
    from flask_babel import gettext

    suppressed = _suppressed()
    breakdowns = []
    for key, label, title in (
        ("group", lambda r: group_label(r.group or ""), gettext("By respondent group")),
        (
            "service_point",
            lambda r: r.service_point_name or gettext("no service point"),
            gettext("By service point"),
        ),
        ("channel", lambda r: channel_label(r.channel or ""), gettext("By channel")),
    ):
        rows = satisfaction(
            campaign,
            by=("unit", key),
            indicator=OVERALL,
            # disclosure control publishes points and channels for the whole campaign only
            period=period if key == "group" else None,
            units=unit.id,
            group_breakdown=False,
        )
        breakdowns.append(
            (
                key,
                rows,
                label,
                bar_chart(_bars(rows, label), title=title, suppressed_text=suppressed),
            )
        )
    by_indicator = _by_indicator(campaign, unit, period, "external")
    # The staff's opinion of their own unit: a dimension of its own, never pooled.
    staff_by_indicator = _by_indicator(campaign, unit, period, "staff")
    monthly = satisfaction(
        campaign, by=("unit", "month"), indicator=OVERALL, units=unit.id, group_breakdown=False
    )
    monthly.sort(key=lambda r: r.month or "")
    trend = year_on_year(campaign, unit.id)
    return dict(
        error=None,
        breakdowns=breakdowns,
        by_indicator=by_indicator,
        staff_by_indicator=staff_by_indicator,
        indicator_chart=indicator_chart(by_indicator),
        monthly=monthly,
        monthly_chart=line_chart(
            [Point(r.month or "", r.index.estimate, r.index.low, r.index.high) for r in monthly],
            title=indicator_label(OVERALL),
        ),
        trend=trend,
        yearly_chart=yearly_chart(trend),
    )
