"""Satisfaction results: stratified estimates per cell, from one GROUP BY.

This is where the campaign's settings (group weights, populations, the small
cell threshold k) meet the summaries of :mod:`.summaries` and the formulas of
:mod:`survey.stats`. No statistic is computed here: every figure comes from
``stratified_mean``, ``stratified_proportion`` and ``difference``; this layer
only decides which strata and which weights go in, and which figures may be
shown.

Choices, stated once:

- Weights: ``weighting="policy"`` uses each group's ``CampaignGroup.weight``
  renormalised over the groups present in the cell (when no group of the
  campaign has a weight, all groups count equally); ``"population"`` uses the
  population shares N_h/N and needs every present group's population.
- A group's population N_h is taken as the population of that group for every
  cell (e.g. all deputies rate every unit), giving f_h = n_h/N_h.
- Small cells: a group with fewer than k respondents in a cell has its own
  figures suppressed; a cell with fewer than k respondents in all is
  suppressed whole. A suppressed group still counts in its cell's estimate
  (only its own figures are withheld), so the next smallest group of the cell
  is withheld too, and likewise the next smallest cell of a breakdown beside
  its total (complementary suppression, :mod:`.suppression`): no small figure
  can be had by subtraction.
- Flagged responses (bursts from one client on a reusable code) are left out
  unless ``include_flagged=True``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import get_args

from flask import current_app, has_request_context
from sqlalchemy import select

from ..extensions import db
from ..groups import group_label
from ..instruments.store import current_instruments
from ..models import Campaign, CampaignGroup, Group, Unit, campaign_unit
from ..stats import (
    Estimate,
    ProportionMethod,
    Stratum,
    complementary_suppression,
    difference,
    stratified_mean,
    stratified_proportion,
    stratum_weights,
    verdict,
)
from .summaries import (
    N_,
    CellKey,
    Period,
    ResultsError,
    StratumSummary,
    check_by,
    stratum_summaries,
    text,
)
from .suppression import protect_siblings, withheld_group

__all__ = [
    "GroupRow",
    "GroupSetting",
    "ResultRow",
    "YearChange",
    "YearOnYear",
    "VERDICT_LABELS",
    "campaign_groups",
    "check_indicators",
    "estimates_from_summaries",
    "satisfaction",
    "year_on_year",
]

WEIGHTINGS: tuple[str, ...] = ("policy", "population")
METHODS: tuple[str, ...] = get_args(ProportionMethod)

# The plain-language reading of a change (survey.stats.verdict's codes); msgids,
# translated by text() when read inside a request.
VERDICT_LABELS = {
    "higher": N_("higher"),
    "lower": N_("lower"),
    "no_clear_change": N_("no clear change"),
    "not_available": N_("not available (too few responses)"),
}


@dataclass(frozen=True, slots=True)
class GroupSetting:
    """A group's settings in a campaign, as the results need them."""

    code: str
    position: int
    instrument_id: str
    weight: float | None
    population: int | None


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One group (stratum) within a cell: its own simple estimates, or suppressed.

    ``weight`` is the W_h this group had in the cell's combined estimate (after
    renormalisation over the groups present); ``policy_weight`` the evaluator's
    raw weight, ``population`` N_h.
    """

    group: str
    n: int
    population: int | None
    policy_weight: float | None
    weight: float
    index: Estimate
    share_satisfied: Estimate
    suppressed: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultRow(CellKey):
    """One cell of a results table: the combined index and share satisfied.

    ``index`` is the 0-100 satisfaction index (stratified mean over groups);
    ``share_satisfied`` the stratified share of satisfied respondents (0-1).
    ``weighting`` says in words which weights were used; ``weights`` gives
    them as (group, W_h) pairs.
    """

    index: Estimate
    share_satisfied: Estimate
    n: int
    groups: tuple[GroupRow, ...]
    suppressed: bool
    weighting: str
    weights: tuple[tuple[str, float], ...]

    @property
    def cell(self) -> CellKey:
        return CellKey(
            indicator=self.indicator,
            unit_id=self.unit_id,
            unit_code=self.unit_code,
            unit_name=self.unit_name,
            service_point_id=self.service_point_id,
            service_point_code=self.service_point_code,
            service_point_name=self.service_point_name,
            group=self.group,
            channel=self.channel,
            year=self.year,
            quarter=self.quarter,
            month=self.month,
        )


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


# ---------------------------------------------------------------------------
# Campaign settings


def campaign_groups(campaign: Campaign) -> dict[str, GroupSetting]:
    """Group code -> settings for the campaign, in one query, in the groups' display order."""
    rows = db.session.execute(
        select(
            Group.code,
            Group.position,
            CampaignGroup.instrument_id,
            CampaignGroup.weight,
            CampaignGroup.population,
        )
        .join(Group, Group.id == CampaignGroup.group_id)
        .where(CampaignGroup.campaign_id == campaign.id)
        .order_by(Group.position, Group.code)
    ).all()
    return {
        code: GroupSetting(code, position, instrument_id, weight, population)
        for code, position, instrument_id, weight, population in rows
    }


def check_indicators(settings: Mapping[str, GroupSetting], indicators: Sequence[str]) -> None:
    """Refuse an indicator that none of the campaign's instruments feeds.

    A misspelt indicator would otherwise give an empty table that looks like
    "nobody answered"; naming the known ones makes the mistake obvious.
    """
    instruments = current_instruments()
    fed: set[str] = set()
    for setting in settings.values():
        instrument = instruments.get(setting.instrument_id)
        if instrument is not None:
            fed.update(instrument.indicators)
    unknown = [i for i in indicators if i not in fed]
    if unknown:
        raise ResultsError(
            N_(
                "Unknown indicator %(indicator)s: no instrument of this campaign feeds it. "
                "Known indicators: %(known)s."
            ),
            indicator=", ".join(map(repr, unknown)),
            known=", ".join(sorted(fed)) or "-",
        )


def _policy_weights(
    settings: Mapping[str, GroupSetting], override: Mapping[str, float] | None
) -> tuple[dict[str, float], bool]:
    """Raw policy weights per group, and whether they are the equal-weights fallback."""
    if override is not None:
        raw = {code: override.get(code) for code in settings}
    else:
        raw = {code: s.weight for code, s in settings.items()}
    for code, weight in raw.items():
        if weight is not None and not float(weight) >= 0:
            raise ResultsError(
                N_(
                    "The policy weight of group %(group)s is %(weight)s; "
                    "weights must be zero or positive."
                ),
                group=code,
                weight=weight,
            )
    if override is not None:
        unknown = sorted(set(override) - set(settings))
        if unknown:
            raise ResultsError(
                N_("Weights are given for %(groups)s, which are not groups of this campaign."),
                groups=", ".join(unknown),
            )
    if all(w is None for w in raw.values()):
        return {code: 1.0 for code in raw}, True
    missing = [code for code, w in raw.items() if w is None]
    if missing:
        raise ResultsError(
            N_(
                "Group %(groups)s has no policy weight while others have one; set a weight "
                "(0 leaves the group out) or use population weighting."
            ),
            groups=", ".join(missing),
        )
    return {code: float(w) for code, w in raw.items() if w is not None}, False


def _describe_cell(cell: CellKey) -> str:
    parts = [
        cell.indicator,
        cell.unit_code,
        cell.service_point_code,
        cell.group,
        cell.channel,
        cell.year,
        cell.quarter,
        cell.month,
    ]
    return " / ".join(p for p in parts if p) or "-"


def _weighting_text(
    weighting: str,
    used: Mapping[str, float],
    settings: Mapping[str, GroupSetting],
    policy: Mapping[str, float] | None,
    equal: bool,
) -> str:
    # People read this sentence beside the figures: group names in their language
    # inside a request; the codes elsewhere (logs, command line), as text() does.
    named = has_request_context()
    items = []
    for code, w in used.items():
        name = group_label(code) if named else code
        pop = settings[code].population
        pop_text = f"N={pop}" if pop is not None else text(N_("N not set"))
        if policy is not None and not equal:
            items.append(f"{name} {w:.4g} ({policy[code]:g}; {pop_text})")
        else:
            items.append(f"{name} {w:.4g} ({pop_text})")
    listed = ", ".join(items)
    if weighting == "population":
        return text(
            N_("population shares N_h/N of the groups present: %(weights)s"), weights=listed
        )
    if equal:
        return text(
            N_("equal weights (no policy weights set) over the groups present: %(weights)s"),
            weights=listed,
        )
    return text(
        N_("policy weights renormalised over the groups present: %(weights)s"), weights=listed
    )


# ---------------------------------------------------------------------------
# Results


def satisfaction(
    campaign: Campaign,
    by: Sequence[str] | str = ("unit",),
    indicator: str | Sequence[str] = "satisfaction.overall",
    period: str | tuple[dt.date, dt.date] | Period | None = None,
    *,
    level: float = 0.95,
    method: ProportionMethod = "korn-graubard",
    k: int | None = None,
    weighting: str = "policy",
    weights: Mapping[str, float] | None = None,
    df: str = "satterthwaite",
    lonely: str = "adjust",
    units: Iterable[int] | int | None = None,
    channels: Iterable[str] | str | None = None,
    include_flagged: bool = False,
    group_breakdown: bool = True,
) -> list[ResultRow]:
    """Satisfaction index and share satisfied per cell of ``by``, with intervals.

    One SQL query (plus one for the campaign's group settings). ``weights``
    overrides the campaign's policy weights (a what-if); ``k`` defaults to the
    app's SURVEY_SMALL_CELL_K. ``group_breakdown=False`` skips the per-group
    rows, for exports that show only the combined figures.
    """
    by_keys = check_by(by)
    k = _check_options(weighting, method, k)
    indicators = (indicator,) if isinstance(indicator, str) else tuple(indicator)
    settings = campaign_groups(campaign)
    check_indicators(settings, indicators)
    if weighting == "policy":
        _policy_weights(settings, weights)  # refuse bad weights before the query
    summaries = stratum_summaries(
        campaign,
        indicator=indicators,
        by=by_keys,
        period=period,
        units=units,
        channels=channels,
        include_flagged=include_flagged,
    )
    return estimates_from_summaries(
        summaries,
        settings,
        level=level,
        method=method,
        k=k,
        weighting=weighting,
        weights=weights,
        df=df,
        lonely=lonely,
        group_breakdown=group_breakdown,
        by=by_keys,
    )


def _check_options(weighting: str, method: str, k: int | None) -> int:
    """Validate the options every entry point shares; returns k (default from config)."""
    if weighting not in WEIGHTINGS:
        raise ResultsError(
            N_("Weighting must be one of %(choices)s, not %(value)s."),
            choices=", ".join(WEIGHTINGS),
            value=repr(weighting),
        )
    if method not in METHODS:
        raise ResultsError(
            N_("The interval method must be one of %(choices)s, not %(value)s."),
            choices=", ".join(METHODS),
            value=repr(method),
        )
    if k is None:
        k = int(current_app.config.get("SURVEY_SMALL_CELL_K", 5))
    if k < 0:
        raise ResultsError(N_("The small-cell threshold k must be 0 or more, not %(k)s."), k=k)
    return k


def estimates_from_summaries(
    summaries: Iterable[StratumSummary],
    settings: Mapping[str, GroupSetting],
    *,
    level: float = 0.95,
    method: ProportionMethod = "korn-graubard",
    k: int = 5,
    weighting: str = "policy",
    weights: Mapping[str, float] | None = None,
    df: str = "satterthwaite",
    lonely: str = "adjust",
    group_breakdown: bool = True,
    by: Sequence[str] = (),
) -> list[ResultRow]:
    """Result rows from summaries already fetched (no database access).

    Split from :func:`satisfaction` so that summaries can be fetched once and
    estimated under several settings (policy vs population weights, another
    level), and so the cost of the statistics can be measured on its own.
    ``by``, the breakdown the summaries were fetched by, decides which cells
    share a total for complementary suppression (:mod:`.suppression`).
    """
    k = _check_options(weighting, method, k)
    policy: dict[str, float] | None = None
    equal = False
    if weighting == "policy":
        policy, equal = _policy_weights(settings, weights)
    cells: dict[CellKey, list[StratumSummary]] = {}
    for summary in summaries:
        cells.setdefault(summary.cell, []).append(summary)
    options = _Options(level, method, k, weighting, df, lonely, group_breakdown)
    rows = [
        _cell_row(cell, parts, settings, policy, equal, options) for cell, parts in cells.items()
    ]
    return protect_siblings(rows, by, k) if by else rows


@dataclass(frozen=True, slots=True)
class _Options:
    level: float
    method: str
    k: int
    weighting: str
    df: str
    lonely: str
    group_breakdown: bool


def _cell_row(
    cell: CellKey,
    parts: list[StratumSummary],
    settings: Mapping[str, GroupSetting],
    policy: Mapping[str, float] | None,
    equal: bool,
    o: _Options,
) -> ResultRow:
    parts = sorted(parts, key=lambda p: settings[p.group].position)
    n = sum(p.n for p in parts)
    where = _describe_cell(cell)
    for p in parts:
        population = settings[p.group].population
        if population is not None and population < p.n:
            raise ResultsError(
                N_(
                    "Group %(group)s has %(n)s respondents in %(cell)s but its population "
                    "is only %(population)s; correct the campaign's population."
                ),
                group=p.group,
                n=p.n,
                cell=where,
                population=population,
            )
    if policy is None:
        missing = [p.group for p in parts if settings[p.group].population is None]
        if missing:
            raise ResultsError(
                N_(
                    "Population weighting needs the population of every group present; "
                    "%(groups)s has none (in %(cell)s)."
                ),
                groups=", ".join(missing),
                cell=where,
            )
        cell_weights = None
    else:
        cell_weights = {p.group: policy[p.group] for p in parts}
        if not any(w > 0 for w in cell_weights.values()):
            raise ResultsError(
                N_(
                    "Every group present in %(cell)s (%(groups)s) has policy weight 0, "
                    "so there is nothing to combine."
                ),
                cell=where,
                groups=", ".join(cell_weights),
            )
    means = {
        p.group: Stratum.from_sums(p.n, p.total, p.sum_of_squares, settings[p.group].population)
        for p in parts
    }
    used = stratum_weights(means, cell_weights)
    description = _weighting_text(o.weighting, used, settings, policy, equal)
    suppressed = n < o.k
    if suppressed:
        index = Estimate.suppressed(n=n, k=o.k, level=o.level, method="stratified mean")
        share = Estimate.suppressed(n=n, k=o.k, level=o.level, method="stratified proportion")
    else:
        counts = {
            p.group: Stratum.from_counts(p.n, p.satisfied, settings[p.group].population)
            for p in parts
        }
        index = stratified_mean(means, cell_weights, level=o.level, df=o.df, lonely=o.lonely)
        share = stratified_proportion(
            counts, cell_weights, method=o.method, level=o.level, df=o.df, lonely=o.lonely
        )
    # A group below k beside the others and the cell's figure (and the weights) would
    # be given away by subtraction: withhold the next smallest too.
    hidden = (
        set() if suppressed else complementary_suppression({p.group: p.n for p in parts}, o.k)
    )
    groups = (
        tuple(
            _group_row(p, means[p.group], settings[p.group], policy, used[p.group], suppressed, o)
            if p.group not in hidden or p.n < o.k
            else withheld_group(
                _group_row(p, means[p.group], settings[p.group], policy, used[p.group], False, o),
                o.k,
            )
            for p in parts
        )
        if o.group_breakdown
        else ()
    )
    return ResultRow(
        indicator=cell.indicator,
        unit_id=cell.unit_id,
        unit_code=cell.unit_code,
        unit_name=cell.unit_name,
        service_point_id=cell.service_point_id,
        service_point_code=cell.service_point_code,
        service_point_name=cell.service_point_name,
        group=cell.group,
        channel=cell.channel,
        year=cell.year,
        quarter=cell.quarter,
        month=cell.month,
        index=index,
        share_satisfied=share,
        n=n,
        groups=groups,
        suppressed=suppressed,
        weighting=description,
        weights=tuple(used.items()),
    )


def _group_row(
    part: StratumSummary,
    stratum: Stratum,
    setting: GroupSetting,
    policy: Mapping[str, float] | None,
    weight: float,
    cell_suppressed: bool,
    o: _Options,
) -> GroupRow:
    """A group's own figures: a one-stratum estimate, or suppressed below k."""
    suppressed = cell_suppressed or part.n < o.k
    if suppressed:
        index = Estimate.suppressed(n=part.n, k=o.k, level=o.level, method="mean")
        share = Estimate.suppressed(n=part.n, k=o.k, level=o.level, method="proportion")
    else:
        only = {part.group: 1.0}
        index = stratified_mean(
            {part.group: stratum}, only, level=o.level, df=o.df, lonely=o.lonely
        )
        share = stratified_proportion(
            {part.group: Stratum.from_counts(part.n, part.satisfied, setting.population)},
            only,
            method=o.method,
            level=o.level,
            df=o.df,
            lonely=o.lonely,
        )
    return GroupRow(
        group=part.group,
        n=part.n,
        population=setting.population,
        policy_weight=None if policy is None else policy.get(part.group),
        weight=weight,
        index=index,
        share_satisfied=share,
        suppressed=suppressed,
    )


def year_on_year(
    campaign: Campaign,
    unit: Unit | int,
    indicator: str = "satisfaction.overall",
    *,
    level: float = 0.95,
    method: ProportionMethod = "korn-graubard",
    k: int | None = None,
    weighting: str = "policy",
    weights: Mapping[str, float] | None = None,
    df: str = "satterthwaite",
    lonely: str = "adjust",
    channels: Iterable[str] | str | None = None,
    include_flagged: bool = False,
) -> YearOnYear:
    """A unit's index and share satisfied per calendar year of the campaign, and the changes.

    Each year is estimated on its own (independent samples), and each change
    is the later year minus the earlier one with its interval and the verdict
    "higher", "lower" or "no clear change" from survey.stats. A year without
    enough respondents is suppressed, and so are the changes next to it.
    """
    k = _check_options(weighting, method, k)
    unit_id = unit.id if isinstance(unit, Unit) else int(unit)
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
    rows = satisfaction(
        campaign,
        by=("unit", "year"),
        indicator=indicator,
        level=level,
        method=method,
        k=k,
        weighting=weighting,
        weights=weights,
        df=df,
        lonely=lonely,
        units=[unit_id],
        channels=channels,
        include_flagged=include_flagged,
    )
    by_year = {row.year: row for row in rows}
    years: list[ResultRow] = []
    for year in range(campaign.period_start.year, campaign.period_end.year + 1):
        label = str(year)
        row = by_year.get(label)
        if row is None:
            nothing = Estimate.suppressed(n=0, k=k, level=level)
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
    return YearOnYear(
        unit_id=found.id,
        unit_code=found.code,
        unit_name=found.name,
        indicator=indicator,
        years=tuple(years),
        changes=tuple(changes),
    )
