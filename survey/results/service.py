"""Satisfaction results: stratified estimates per cell, from one GROUP BY.

This is where the campaign's settings (group weights, populations, the small
cell threshold k) meet the summaries of :mod:`.summaries` and the formulas of
:mod:`survey.stats`: :func:`satisfaction` fetches the sums and
:mod:`.estimates` turns them into figures; :func:`year_on_year` compares the
calendar years of a unit. The settings travel as one
:class:`~.options.EstimationOptions`.

Flagged responses (bursts from one client on a reusable code) are left out
unless ``include_flagged=True``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, Unit, campaign_unit
from ..stats import Estimate, difference, verdict
from .estimates import ResultRow, estimates_from_summaries
from .messages import N_, ResultsError, text
from .options import EstimationOptions, EstimationSettings
from .periods import Period, resolve_period
from .protection import protect_summaries
from .settings import campaign_groups, check_indicators, policy_weights
from .summaries import check_by, stratum_summaries

# The plain-language reading of a change (survey.stats.verdict's codes); msgids,
# translated by text() when read inside a request.
VERDICT_LABELS = {
    "higher": N_("higher"),
    "lower": N_("lower"),
    "no_clear_change": N_("no clear change"),
    "not_available": N_("not available (too few responses)"),
}


@dataclass(frozen=True, slots=True)
class YearChange:
    """The change from one calendar year to the next, with its plain-language verdict."""

    previous: str
    year: str
    index_change: Estimate
    index_verdict: str
    share_change: Estimate
    share_verdict: str

    @property
    def index_verdict_text(self) -> str:
        return text(VERDICT_LABELS[self.index_verdict])

    @property
    def share_verdict_text(self) -> str:
        return text(VERDICT_LABELS[self.share_verdict])


@dataclass(frozen=True, slots=True)
class YearOnYear:
    """A unit's estimates per calendar year of the campaign and the changes between them."""

    unit_id: int
    unit_code: str
    unit_name: str
    indicator: str
    years: tuple[ResultRow, ...]
    changes: tuple[YearChange, ...]


def satisfaction(
    campaign: Campaign,
    by: Sequence[str] | str = ("unit",),
    indicator: str | Sequence[str] = "satisfaction.overall",
    period: str | tuple[dt.date, dt.date] | Period | None = None,
    *,
    options: EstimationOptions | None = None,
    units: Iterable[int] | int | None = None,
    channels: Iterable[str] | str | None = None,
    include_flagged: bool = False,
    **overrides: Unpack[EstimationSettings],
) -> list[ResultRow]:
    """Satisfaction index and share satisfied per cell of ``by``, with intervals.

    Disclosure control (:mod:`.protection`) decides which group parts may be
    shown, over every period, breakdown and face together; a cell is
    estimated from its shown parts only. Two SQL queries (the sums, and the
    counts the protection is cached by) plus one for the campaign's group
    settings. The estimation
    settings are ``options`` with any keyword ``overrides`` (``k=3``,
    ``weighting="population"``, ``weights={...}`` as a what-if, ...); k
    defaults to the app's SURVEY_SMALL_CELL_K.
    """
    by_keys = check_by(by)
    o = EstimationOptions.of(options, **overrides).checked()
    indicators = (indicator,) if isinstance(indicator, str) else tuple(indicator)
    settings = campaign_groups(campaign)
    check_indicators(settings, indicators)
    if o.weighting == "policy":
        policy_weights(settings, o.weights)  # refuse bad weights before the query
    k = o.small_cell_k
    summaries = stratum_summaries(
        campaign,
        indicator=indicators,
        by=by_keys if "unit" in by_keys or k <= 1 else ("unit", *by_keys),
        period=period,
        units=units,
        channels=channels,
        include_flagged=include_flagged,
    )
    if k <= 1:
        return estimates_from_summaries(summaries, settings, options=o)
    summaries = protect_summaries(
        campaign,
        summaries,
        by=by_keys,
        k=k,
        window=resolve_period(campaign, period),
        channels=_channel_list(channels),
        units=_unit_list(units),
        include_flagged=include_flagged,
        indicators=indicators,
    )
    return estimates_from_summaries(summaries, settings, options=o, disclosure=True)


def _channel_list(channels: Iterable[str] | str | None) -> list[str] | None:
    return None if channels is None else [channels] if isinstance(channels, str) else list(channels)


def _unit_list(units: Iterable[int] | int | None) -> list[int] | None:
    return None if units is None else [units] if isinstance(units, int) else [int(u) for u in units]


def year_on_year(
    campaign: Campaign,
    unit: Unit | int,
    indicator: str = "satisfaction.overall",
    *,
    options: EstimationOptions | None = None,
    channels: Iterable[str] | str | None = None,
    include_flagged: bool = False,
    **overrides: Unpack[EstimationSettings],
) -> YearOnYear:
    """A unit's index and share satisfied per calendar year of the campaign, and the changes.

    Each year is estimated on its own (independent samples), and each change
    is the later year minus the earlier one with its interval and the verdict
    "higher", "lower" or "no clear change" from survey.stats. A year without
    enough respondents is suppressed, and so are the changes next to it.
    """
    o = EstimationOptions.of(options, **overrides).checked()
    found = _unit_of(campaign, unit.id if isinstance(unit, Unit) else int(unit))
    rows = satisfaction(
        campaign,
        by=("unit", "year"),
        indicator=indicator,
        options=o,
        units=[found.id],
        channels=channels,
        include_flagged=include_flagged,
    )
    years = _every_year(campaign, found, indicator, {row.year: row for row in rows}, o)
    return YearOnYear(
        unit_id=found.id,
        unit_code=found.code,
        unit_name=found.name,
        indicator=indicator,
        years=years,
        changes=_changes(years, o.level),
    )


def _unit_of(campaign: Campaign, unit_id: int) -> Any:
    """(id, code, name) of the campaign's unit; ResultsError when it is not evaluated there."""
    found = db.session.execute(
        select(Unit.id, Unit.code, Unit.name)
        .join(campaign_unit, campaign_unit.c.unit_id == Unit.id)
        .where(campaign_unit.c.campaign_id == campaign.id, Unit.id == unit_id)
    ).one_or_none()
    if found is None:
        raise ResultsError(
            N_("Unit %(unit)s is not evaluated in campaign %(campaign)s."),
            unit=unit_id,
            campaign=campaign.code,
        )
    return found


def _every_year(
    campaign: Campaign,
    found: Any,
    indicator: str,
    by_year: dict[str | None, ResultRow],
    o: EstimationOptions,
) -> tuple[ResultRow, ...]:
    """A row for every calendar year of the campaign; a year nobody answered is suppressed."""
    years: list[ResultRow] = []
    for year in range(campaign.period_start.year, campaign.period_end.year + 1):
        label = str(year)
        row = by_year.get(label)
        if row is None:
            nothing = Estimate.suppressed(n=0, k=o.small_cell_k, level=o.level)
            row = ResultRow(
                indicator=indicator,
                unit_id=found.id,
                unit_code=found.code,
                unit_name=found.name,
                year=label,
                index=nothing,
                share_satisfied=nothing,
                n=0,
                groups=(),
                suppressed=True,
                weighting="",
                weights=(),
            )
        years.append(row)
    return tuple(years)


def _changes(years: tuple[ResultRow, ...], level: float) -> tuple[YearChange, ...]:
    """Each year against the one before, with the verdict of survey.stats."""
    changes = []
    for before, after in zip(years, years[1:], strict=False):
        index_change = difference(after.index, before.index, level=level)
        share_change = difference(after.share_satisfied, before.share_satisfied, level=level)
        changes.append(
            YearChange(
                previous=str(before.year),
                year=str(after.year),
                index_change=index_change,
                index_verdict=verdict(index_change),
                share_change=share_change,
                share_verdict=verdict(share_change),
            )
        )
    return tuple(changes)
