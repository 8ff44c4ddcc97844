"""The per-unit report ("one unit, one opinion"): everything one unit's page and PDF show.

Gathered here once, so the printable page and the PDF cannot disagree: the
overall index and share satisfied, every indicator, the group breakdown, the
trend by year with its changes, and the items clearly stronger or weaker than
the others (only reliable figures, only significant differences). Every
figure comes from :func:`survey.results.satisfaction` and
:func:`survey.results.year_on_year`; nothing is computed here but the order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..instruments.store import current_instruments
from ..models import Campaign, Unit
from ..stats import difference, verdict
from .estimates import ResultRow
from .messages import N_, ResultsError
from .periods import Period, resolve_period
from .reading import rankable
from .service import YearOnYear, satisfaction, year_on_year
from .settings import campaign_groups

OVERALL = "satisfaction.overall"
# How many strongest and weakest items the report names.
EXTREMES = 3


@dataclass(frozen=True, slots=True)
class UnitReport:
    """One unit's figures for one campaign and period, ready to print.

    ``indicators`` are the satisfaction of the people served and the
    stakeholders; ``staff`` the staff's opinion of their own unit, a dimension
    apart (never pooled, never among the strongest or weakest).
    """

    campaign: Campaign
    unit: Unit
    period: Period | None
    overall: ResultRow | None
    indicators: tuple[ResultRow, ...]
    staff: tuple[ResultRow, ...]
    strongest: tuple[ResultRow, ...]
    weakest: tuple[ResultRow, ...]
    trend: YearOnYear
    generated_at: dt.datetime


def campaign_indicators(campaign: Campaign) -> tuple[str, ...]:
    """Every indicator some instrument of the campaign feeds, overall first."""
    instruments = current_instruments()
    fed: set[str] = set()
    for setting in campaign_groups(campaign).values():
        for instrument_id in setting.instrument_ids:
            instrument = instruments.get(instrument_id)
            if instrument is not None:
                fed.update(instrument.indicators)
    return tuple(sorted(fed, key=lambda name: (name != OVERALL, name)))


def strongest_and_weakest(
    rows: tuple[ResultRow, ...], count: int = EXTREMES
) -> tuple[tuple[ResultRow, ...], tuple[ResultRow, ...]]:
    """The items (indicators other than overall) clearly above and clearly below the others.

    Only figures that may be ranked take part: suppressed items and items whose
    index does not meet the reliability standard are never named strong or
    weak. An item is named strongest only when its index is higher than the
    lowest ranked item's by a difference whose 95% interval excludes zero, and
    weakest only when it is lower than the highest ranked item's in the same
    way (survey.stats.difference, as for independent samples: items answered
    by the same people are positively correlated, so the true interval of
    their difference is narrower and the test errs towards naming none). At
    most ``count`` on each side; with fewer than 2 x count items the two lists
    share none, the upper half being "strongest".
    """
    ranked = sorted(
        (r for r in rows if r.indicator != OVERALL and rankable(r.index)),
        key=lambda r: (-(r.index.estimate or 0.0), r.indicator or ""),
    )
    if len(ranked) < 2:
        return (), ()
    take = min(count, len(ranked) // 2) if len(ranked) < 2 * count else count
    top, bottom = ranked[0], ranked[-1]
    strongest = tuple(
        r for r in ranked[:take] if verdict(difference(r.index, bottom.index)) == "higher"
    )
    weakest = tuple(
        r
        for r in reversed(ranked[len(ranked) - take :])
        if verdict(difference(r.index, top.index)) == "lower"
    )
    return strongest, weakest


def unit_report(campaign: Campaign, unit: Unit, period: str | Period | None = None) -> UnitReport:
    """Gather the unit's report; refuses a unit that is not in the campaign."""
    if unit.id not in {u.id for u in campaign.units}:
        raise ResultsError(N_("The unit %(unit)s is not part of this campaign."), unit=unit.code)
    window = resolve_period(campaign, period) if period else None
    indicators = campaign_indicators(campaign)
    rows = (
        tuple(
            satisfaction(campaign, by=("unit",), indicator=indicators, period=window, units=unit.id)
        )
        if indicators
        else ()
    )
    by_indicator = {r.indicator: r for r in rows}
    ordered = tuple(by_indicator[i] for i in indicators if i in by_indicator)
    staff_rows = (
        satisfaction(
            campaign,
            by=("unit",),
            indicator=indicators,
            period=window,
            units=unit.id,
            group_breakdown=False,
            dimension="staff",
        )
        if indicators
        else []
    )
    staff_by = {r.indicator: r for r in staff_rows}
    strongest, weakest = strongest_and_weakest(ordered)
    return UnitReport(
        campaign=campaign,
        unit=unit,
        period=window,
        overall=by_indicator.get(OVERALL),
        indicators=ordered,
        staff=tuple(staff_by[i] for i in indicators if i in staff_by),
        strongest=strongest,
        weakest=weakest,
        trend=year_on_year(campaign, unit.id),
        generated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )
