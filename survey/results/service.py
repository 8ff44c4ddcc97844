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
from functools import partial
from typing import Any, Unpack

from sqlalchemy import select

from ..extensions import db
from ..labels import group_label
from ..models import Campaign, Unit, campaign_unit
from ..stats import (
    Estimate,
    Stratum,
    difference,
    same_groups_change,
    stratified_mean,
    stratified_proportion,
    verdict,
)
from .estimates import ResultRow, dimension_weights, estimates_from_summaries
from .messages import N_, ResultsError, text
from .options import DIMENSION_GROUPS, EstimationOptions, EstimationSettings
from .periods import Period, resolve_period
from .protection import protect_summaries
from .settings import campaign_groups, check_indicators
from .summaries import check_by, stratum_summaries, summaries_and_fingerprints

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
    """The change from one calendar year to the next, with its plain-language verdict.

    When the groups that answered differ between the years, the change is
    worked out on the groups present in both with one set of weights
    (survey.stats.same_groups_change): ``left_out`` names the groups that
    answered in one year only, and :attr:`mix_text` says so beside the figure.
    """

    previous: str
    year: str
    index_change: Estimate
    index_verdict: str
    share_change: Estimate
    share_verdict: str
    left_out: tuple[str, ...] = ()

    @property
    def mix_text(self) -> str:
        """'' when both years had the same groups; else which were left out, in words."""
        if not self.left_out:
            return ""
        return text(
            N_(
                "the groups that answered changed: compared on the groups present in both "
                "years, with the same weights; left out: %(groups)s"
            ),
            groups=", ".join(group_label(g) for g in self.left_out),
        )

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
    estimated from its shown parts only. One SQL query for the campaign's group
    settings and one for the sums (which, for whole tables, also gives the
    fingerprints the protection is kept by; else one more for those), plus
    one for the counts of tables whose protection is not kept yet. The estimation
    settings are ``options`` with any keyword ``overrides`` (``k=3``,
    ``weighting="population"``, ``weights={...}`` as a what-if, ...); k
    defaults to the app's SURVEY_SMALL_CELL_K.
    """
    by_keys = check_by(by)
    o = EstimationOptions.of(options, **overrides).checked().for_campaign(campaign)
    indicators = (indicator,) if isinstance(indicator, str) else tuple(indicator)
    settings = campaign_groups(campaign)
    check_indicators(settings, indicators)
    if o.used_weighting == "policy":
        dimension_weights(settings, o)  # refuse bad weights before the query
    k = o.small_cell_k
    summaries, fingerprints = summaries_and_fingerprints(
        campaign,
        indicator=indicators,
        by=by_keys if "unit" in by_keys or k <= 1 else ("unit", *by_keys),
        period=period,
        units=units,
        channels=channels,
        include_flagged=include_flagged,
        with_fingerprints=k > 1,
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
        fingerprints=fingerprints,
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
    o = EstimationOptions.of(options, **overrides).checked().for_campaign(campaign)
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
    groups = _groups_by_year(campaign, found.id, indicator, channels, include_flagged, o)
    return YearOnYear(
        unit_id=found.id,
        unit_code=found.code,
        unit_name=found.name,
        indicator=indicator,
        years=years,
        changes=_changes(years, groups, o),
    )


@dataclass(frozen=True, slots=True)
class _YearGroups:
    """Per year, each group's scores (for the index) and counts (for the share) as strata."""

    scores: dict[str, dict[str, Stratum]]
    counts: dict[str, dict[str, Stratum]]
    order: list[str]
    weights: dict[str, float] | None


def _groups_by_year(
    campaign: Campaign,
    unit_id: int,
    indicator: str,
    channels: Iterable[str] | str | None,
    include_flagged: bool,
    o: EstimationOptions,
) -> _YearGroups:
    """The unit's groups of the dimension per calendar year (one more GROUP BY)."""
    settings = campaign_groups(campaign)
    wanted = DIMENSION_GROUPS[o.dimension]
    scores: dict[str, dict[str, Stratum]] = {}
    counts: dict[str, dict[str, Stratum]] = {}
    for p in stratum_summaries(
        campaign,
        indicator=indicator,
        by=("unit", "year"),
        units=[unit_id],
        channels=channels,
        include_flagged=include_flagged,
    ):
        setting = settings[p.group]
        if setting.dimension not in wanted or p.cell.year is None:
            continue
        population = setting.population
        scores.setdefault(p.cell.year, {})[p.group] = Stratum.from_sums(
            p.n, p.total, p.sum_of_squares, population
        )
        counts.setdefault(p.cell.year, {})[p.group] = Stratum.from_counts(
            p.n, p.satisfied, population
        )
    weights = dimension_weights(settings, o)[0] if o.used_weighting == "policy" else None
    return _YearGroups(scores, counts, list(settings), weights)


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


def _changes(
    years: tuple[ResultRow, ...], groups: _YearGroups, o: EstimationOptions
) -> tuple[YearChange, ...]:
    """Each year against the one before, with the verdict of survey.stats.

    Where both years have the same groups, the change is the difference of the
    two published figures; where the groups differ, both years are estimated
    again on the groups present in both, with the same weights.
    """
    changes = []
    for before, after in zip(years, years[1:], strict=False):
        index_change = difference(after.index, before.index, level=o.level)
        share_change = difference(after.share_satisfied, before.share_satisfied, level=o.level)
        left_out: tuple[str, ...] = ()
        first = groups.scores.get(str(before.year), {})
        second = groups.scores.get(str(after.year), {})
        both_shown = not (before.suppressed or after.suppressed)
        if both_shown and set(first) != set(second):
            left_out = tuple(sorted(set(first) ^ set(second), key=groups.order.index))
            index_change, share_change = _same_groups(
                groups, str(before.year), str(after.year), o
            )
        changes.append(
            YearChange(
                previous=str(before.year),
                year=str(after.year),
                index_change=index_change,
                index_verdict=verdict(index_change),
                share_change=share_change,
                share_verdict=verdict(share_change),
                left_out=left_out,
            )
        )
    return tuple(changes)


def _same_groups(
    groups: _YearGroups, before: str, after: str, o: EstimationOptions
) -> tuple[Estimate, Estimate]:
    """The index and share changes on the groups present in both years, one set of weights."""
    index = partial(stratified_mean, level=o.level, df=o.df, lonely=o.lonely, order=groups.order)
    share = partial(
        stratified_proportion,
        method=o.method,
        level=o.level,
        df=o.df,
        lonely=o.lonely,
        order=groups.order,
    )
    index_change = same_groups_change(
        groups.scores[before], groups.scores[after], groups.weights, estimator=index, level=o.level
    ).change
    share_change = same_groups_change(
        groups.counts[before], groups.counts[after], groups.weights, estimator=share, level=o.level
    ).change
    return index_change, share_change
