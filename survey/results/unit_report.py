"""The per-unit report ("one unit, one opinion"): everything one unit's page and PDF show.

Gathered here once, so the printable page and the PDF cannot disagree: the
overall index and share satisfied, every indicator, the group breakdown, the
trend by year with its changes, and the strongest and weakest items. Every
figure comes from :func:`survey.results.satisfaction` and
:func:`survey.results.year_on_year`; nothing is computed here but the order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..instruments.store import current_instruments
from ..models import Campaign, Unit
from .estimates import ResultRow
from .messages import N_, ResultsError
from .periods import Period, resolve_period
from .service import YearOnYear, satisfaction, year_on_year
from .settings import campaign_groups

OVERALL = "satisfaction.overall"
# How many strongest and weakest items the report names.
EXTREMES = 3


@dataclass(frozen=True, slots=True)
class UnitReport:
    """One unit's figures for one campaign and period, ready to print."""

    campaign: Campaign
    unit: Unit
    period: Period | None
    overall: ResultRow | None
    indicators: tuple[ResultRow, ...]
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
    """The items (indicators other than overall) with the highest and lowest index.

    Suppressed items are left out: a figure that may not be shown cannot be
    named as strong or weak either. With fewer than 2 x count items the two
    lists share none, the upper half being "strongest".
    """
    ranked = sorted(
        (r for r in rows if r.indicator != OVERALL and not r.suppressed),
        key=lambda r: (-(r.index.estimate or 0.0), r.indicator or ""),
    )
    take = min(count, len(ranked) // 2) if len(ranked) < 2 * count else count
    strongest = tuple(ranked[:take])
    weakest = tuple(reversed(ranked[len(ranked) - take :])) if take else ()
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
    strongest, weakest = strongest_and_weakest(ordered)
    return UnitReport(
        campaign=campaign,
        unit=unit,
        period=window,
        overall=by_indicator.get(OVERALL),
        indicators=ordered,
        strongest=strongest,
        weakest=weakest,
        trend=year_on_year(campaign, unit.id),
        generated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )
