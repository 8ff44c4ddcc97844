"""Result rows from per-stratum sums: the stratified estimates of every cell (no SQL here).

No statistic is computed here: every figure comes from ``stratified_mean`` and
``stratified_proportion`` in survey.stats; this module decides which strata and
which weights go in, and which figures may be shown.

- Small cells: a group with fewer than k respondents in a cell has its own
  figures suppressed; a cell with fewer than k respondents in all is
  suppressed whole. A suppressed group still counts in its cell's estimate
  (only its own figures are withheld), so the next smallest group of the cell
  is withheld too, and likewise the next smallest cell of a breakdown beside
  its total (complementary suppression, :mod:`.suppression`): no small figure
  can be had by subtraction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Unpack

from ..stats import (
    Estimate,
    LonelyPSU,
    ProportionMethod,
    Stratum,
    complementary_suppression,
    stratified_mean,
    stratified_proportion,
    stratum_weights,
)
from ..stats.design import DfMethod
from .messages import N_, ResultsError
from .options import DIMENSION_GROUPS, EstimationOptions, EstimationSettings
from .settings import GroupSetting, describe_cell, policy_weights, weighting_text
from .summaries import CellKey, StratumSummary
from .suppression import protect_siblings, withheld_group


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
    them as (group, W_h) pairs; ``dimension`` whose opinion it is
    (:data:`~.options.DIMENSION_CHOICES`).
    """

    index: Estimate
    share_satisfied: Estimate
    n: int
    groups: tuple[GroupRow, ...]
    suppressed: bool
    weighting: str
    weights: tuple[tuple[str, float], ...]
    dimension: str = "external"

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


def estimates_from_summaries(
    summaries: Iterable[StratumSummary],
    settings: Mapping[str, GroupSetting],
    *,
    options: EstimationOptions | None = None,
    by: Sequence[str] = (),
    disclosure: bool = False,
    **overrides: Unpack[EstimationSettings],
) -> list[ResultRow]:
    """Result rows from summaries already fetched (no database access).

    Split from :func:`survey.results.satisfaction` so that summaries can be
    fetched once and estimated under several settings (policy vs population
    weights, another level), and so the cost of the statistics can be measured
    on its own. ``by``, the breakdown the summaries were fetched by, decides
    which cells share a total for complementary suppression (:mod:`.suppression`).
    With ``disclosure`` the summaries were already marked by disclosure control
    (:mod:`.protection`): a cell is estimated from its shown parts only, and
    no complementary suppression is needed on top.
    """
    o = EstimationOptions.of(options, **overrides).checked()
    # One dimension at a time: the staff's opinion of their own unit never enters the
    # index of the people served, nor the reverse.
    wanted = DIMENSION_GROUPS[o.dimension]
    policy: dict[str, float] | None = None
    equal = False
    if o.used_weighting == "policy":
        policy, equal = dimension_weights(settings, o)
    cells: dict[CellKey, list[StratumSummary]] = {}
    mine = {code for code, setting in settings.items() if setting.dimension in wanted}
    last: CellKey | None = None
    parts: list[StratumSummary] = []
    for summary in summaries:
        if summary.group not in mine:
            continue
        # A cell's parts come one after another, sharing one CellKey: hash it once per cell.
        if summary.cell is not last:
            last = summary.cell
            parts = cells.setdefault(last, [])
        parts.append(summary)
    weights = _Weights(policy, equal, {})
    rows = [
        _cell_row(cell, parts, settings, weights, o, disclosure) for cell, parts in cells.items()
    ]
    return protect_siblings(rows, by, o.small_cell_k) if by and not disclosure else rows


def dimension_weights(
    settings: Mapping[str, GroupSetting], o: EstimationOptions
) -> tuple[dict[str, float], bool]:
    """The policy weights of the groups of ``o.dimension`` (and whether they are equal).

    Weights are set per group; a dimension's figures use its own groups' weights
    only, so staff without a weight do not stop the index of the people served.
    """
    wanted = DIMENSION_GROUPS[o.dimension]
    mine = {code: s for code, s in settings.items() if s.dimension in wanted}
    override = o.weights
    if override is not None:
        override = {g: w for g, w in override.items() if g not in settings or g in mine}
    return policy_weights(mine, override)


@dataclass(frozen=True, slots=True)
class _Weights:
    """The campaign's raw policy weights (None: population weighting) and whether equal."""

    policy: Mapping[str, float] | None
    equal: bool
    # The sentence saying how a cell was weighted, per set of weights used: most cells
    # of a table have the same groups, and the sentence names each in the reader's language.
    texts: dict[tuple[tuple[str, float], ...], str]

    def text(self, weighting: str, used: Mapping[str, float],
             settings: Mapping[str, GroupSetting]) -> str:
        key = tuple(used.items())
        found = self.texts.get(key)
        if found is None:
            found = self.texts[key] = weighting_text(
                weighting, used, settings, self.policy, self.equal
            )
        return found


def _check_cell(
    cell: CellKey,
    parts: list[StratumSummary],
    settings: Mapping[str, GroupSetting],
    weights: _Weights,
) -> dict[str, float] | None:
    """Refuse a cell whose settings cannot give an estimate; its policy weights (or None)."""
    where = describe_cell(cell)
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
    if weights.policy is None:
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
        return None
    cell_weights = {p.group: weights.policy[p.group] for p in parts}
    if not any(w > 0 for w in cell_weights.values()):
        raise ResultsError(
            N_(
                "Every group present in %(cell)s (%(groups)s) has policy weight 0, "
                "so there is nothing to combine."
            ),
            cell=where,
            groups=", ".join(cell_weights),
        )
    return cell_weights


def _cell_row(
    cell: CellKey,
    parts: list[StratumSummary],
    settings: Mapping[str, GroupSetting],
    weights: _Weights,
    o: EstimationOptions,
    disclosure: bool = False,
) -> ResultRow:
    """One cell's combined figures, its groups' own, and how it was weighted.

    Parts withheld by disclosure control are left out of the combined
    figures (a combined figure beside the shown groups would give them back);
    a cell with nothing shown is withheld whole, without an n.

    Long because disclosure, weighting, lonely groups and reliability meet
    here, each a few lines that read best in the order they apply.
    """
    every = sorted(parts, key=lambda p: settings[p.group].position)
    parts = [p for p in every if not p.withheld]
    n = sum(p.n for p in parts)
    k = o.small_cell_k
    every_weight = _check_cell(cell, every, settings, weights)  # withheld parts have n = 0
    cell_weights = (
        None if every_weight is None else {p.group: every_weight[p.group] for p in parts}
    )
    if not parts or (cell_weights is not None and not any(cell_weights.values())):
        return _withheld_cell(cell, every, settings, o)
    suppressed = n < k
    # The campaign's group order decides which group a lonely one joins.
    used_items, index, share = _combined(
        tuple(
            (p.group, p.n, p.total, p.sum_of_squares, p.satisfied, settings[p.group].population)
            for p in parts
        ),
        None if cell_weights is None else tuple(cell_weights.items()),
        not suppressed,
        o.level,
        o.df,
        o.lonely,
        o.method,
        tuple(settings),
    )
    used = dict(used_items)
    if index is None or share is None:  # below k: no figure
        index = Estimate.suppressed(n=n, k=k, level=o.level, method="stratified mean")
        share = Estimate.suppressed(n=n, k=k, level=o.level, method="stratified proportion")
    groups = (
        _group_rows(parts, settings, weights.policy, used, suppressed, o, disclosure)
        if o.group_breakdown
        else ()
    )
    if o.group_breakdown and len(parts) < len(every):
        shown = {g.group: g for g in groups}
        groups = tuple(shown.get(p.group) or _withheld_group(p, settings, o) for p in every)
    return ResultRow(
        **{name: getattr(cell, name) for name in CellKey.__dataclass_fields__},
        index=index,
        share_satisfied=share,
        n=n,
        groups=groups,
        suppressed=suppressed,
        weighting=weights.text(o.used_weighting, used, settings),
        weights=tuple(used.items()),
        dimension=o.dimension,
    )


@lru_cache(maxsize=50_000)
def _combined(
    parts: tuple[tuple[str, int, float, float, int, int | None], ...],
    weights: tuple[tuple[str, float], ...] | None,
    estimate: bool,
    level: float,
    df: DfMethod,
    lonely: LonelyPSU,
    method: ProportionMethod,
    order: tuple[str, ...] | None,
) -> tuple[tuple[tuple[str, float], ...], Estimate | None, Estimate | None]:
    """A cell's group weights W_h, and its index and share satisfied (a pure function, kept).

    ``parts``: (group, n, sum, sum of squares, satisfied, population) per
    group. Kept because a results page estimates every unit to sort and rank
    them, and a page viewed again has mostly the same sums: a cell whose sums
    and settings did not change gets the same figures without working them
    out again. The key is every input, so nothing kept can be stale. Without
    ``estimate`` (a cell below k) only the weights.
    """
    means = {g: Stratum.from_sums(n, total, squares, pop) for g, n, total, squares, _, pop in parts}
    w = None if weights is None else dict(weights)
    used = tuple(stratum_weights(means, w).items())
    if not estimate:
        return used, None, None
    counts = {g: Stratum.from_counts(n, satisfied, pop) for g, n, _, _, satisfied, pop in parts}
    ordered = None if order is None else list(order)
    index = stratified_mean(means, w, level=level, df=df, lonely=lonely, order=ordered)
    share = stratified_proportion(
        counts, w, method=method, level=level, df=df, lonely=lonely, order=ordered
    )
    return used, index, share


def _group_rows(
    parts: list[StratumSummary],
    settings: Mapping[str, GroupSetting],
    policy: Mapping[str, float] | None,
    used: Mapping[str, float],
    cell_suppressed: bool,
    o: EstimationOptions,
    disclosure: bool = False,
) -> tuple[GroupRow, ...]:
    """The groups' own figures within a cell.

    A group below k beside the others and the cell's figure (and the weights)
    would be given away by subtraction: the next smallest is withheld too
    (unless disclosure control has already left every such group out).
    """
    k = o.small_cell_k
    hidden = (
        set()
        if cell_suppressed or disclosure
        else complementary_suppression({p.group: p.n for p in parts}, k)
    )
    rows = []
    for p in parts:
        setting = settings[p.group]
        if p.group not in hidden or p.n < k:
            rows.append(
                _group_row(p, setting, policy, used[p.group], cell_suppressed, o)
            )
        else:
            own = _group_row(p, setting, policy, used[p.group], False, o)
            rows.append(withheld_group(own, k))
    return tuple(rows)


def _group_row(
    part: StratumSummary,
    setting: GroupSetting,
    policy: Mapping[str, float] | None,
    weight: float,
    cell_suppressed: bool,
    o: EstimationOptions,
) -> GroupRow:
    """A group's own figures: a one-stratum estimate, or suppressed below k."""
    k = o.small_cell_k
    suppressed = cell_suppressed or part.n < k
    if suppressed:
        index = Estimate.suppressed(n=part.n, k=k, level=o.level, method="mean")
        share = Estimate.suppressed(n=part.n, k=k, level=o.level, method="proportion")
    else:
        # One stratum of weight 1, kept by its inputs as a cell's figures are.
        _, own_index, own_share = _combined(
            ((part.group, part.n, part.total, part.sum_of_squares, part.satisfied,
              setting.population),),
            ((part.group, 1.0),),
            True,
            o.level,
            o.df,
            o.lonely,
            o.method,
            None,
        )
        assert own_index is not None and own_share is not None
        index, share = own_index, own_share
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


def _withheld_estimates(part: StratumSummary, o: EstimationOptions, methods: tuple[str, str]
                        ) -> tuple[Estimate, Estimate]:
    """Index and share of a part withheld by disclosure control: no number, no n."""
    return _suppressed_pair(o.small_cell_k, o.level, methods, part.withheld == "secondary")


@lru_cache(maxsize=64)
def _suppressed_pair(k: int, level: float, methods: tuple[str, str], secondary: bool
                     ) -> tuple[Estimate, Estimate]:
    """The two withheld estimates of a part, made once (they are alike: most parts are)."""
    return (
        Estimate.suppressed(n=0, k=k, level=level, method=methods[0], complementary=secondary),
        Estimate.suppressed(n=0, k=k, level=level, method=methods[1], complementary=secondary),
    )


def _withheld_group(
    part: StratumSummary, settings: Mapping[str, GroupSetting], o: EstimationOptions
) -> GroupRow:
    """A group part withheld by disclosure control: its row says so, and has no n or weight."""
    index, share = _withheld_estimates(part, o, ("mean", "proportion"))
    setting = settings[part.group]
    return GroupRow(
        group=part.group,
        n=0,
        population=setting.population,
        policy_weight=setting.weight,
        weight=0.0,
        index=index,
        share_satisfied=share,
        suppressed=True,
    )


def _withheld_cell(
    cell: CellKey,
    every: list[StratumSummary],
    settings: Mapping[str, GroupSetting],
    o: EstimationOptions,
) -> ResultRow:
    """A cell none of whose parts may be shown: "fewer than k" only if every part is below k."""
    primary = all(p.withheld == "primary" for p in every)
    marker = every[0] if primary else dataclasses.replace(every[0], withheld="secondary")
    index, share = _withheld_estimates(
        marker, o, ("stratified mean", "stratified proportion")
    )
    return ResultRow(
        **{name: getattr(cell, name) for name in CellKey.__dataclass_fields__},
        index=index,
        share_satisfied=share,
        n=0,
        groups=(
            tuple(_withheld_group(p, settings, o) for p in every) if o.group_breakdown else ()
        ),
        suppressed=True,
        weighting="",
        weights=(),
    )
