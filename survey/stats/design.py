"""The stratified combination shared by means and proportions.

estimate = sum W_h mean_h, variance = sum W_h^2 (1 - f_h) s_h^2 / n_h, with the
two choices of t degrees of freedom. This is exactly what R's survey package
computes for ``svydesign(ids=~1, strata=~group, weights=~W_h/n_h, fpc=~N_h)``
(with ``lonely="collapse"``, for the design whose strata are the collapsed
groups: :mod:`survey.stats.collapse`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import special as _special

from .lonely import LonelyPSU, variance_contributions
from .strata import Stratum
from .weights import stratum_weights

__all__ = [
    "DfMethod",
    "DF_CHOICES",
    "VarianceMethod",
    "VARIANCE_CHOICES",
    "Combined",
    "combine",
    "t_quantile",
    "check_level",
]

DfMethod = Literal["design", "satterthwaite", "pooled"]
DF_CHOICES: tuple[str, ...] = ("design", "satterthwaite", "pooled")
VarianceMethod = Literal["kish-floor", "design"]
VARIANCE_CHOICES: tuple[str, ...] = ("kish-floor", "design")


@dataclass(frozen=True, slots=True)
class Combined:
    """Intermediate result: point estimate, variance and both df choices.

    ``n_strata`` counts the variance strata (after collapsing);
    ``n_effective_weights`` is 1 / sum W_h^2 (1 - f_h)/n_h capped at n (n when
    every group is a census): the effective sample size of the weights.
    ``variance`` is the published variance: ``design_variance`` (R's) or,
    with ``variance="kish-floor"``, the larger of that and
    ``weights_variance``, the weighted variance of the scores over the whole
    cell times sum W_h^2 (1 - f_h)/n_h (Kish's approximation: what the
    variance would be if every group had the cell's spread).
    """

    estimate: float
    variance: float
    n: int
    n_strata: int
    weights: dict[str, float]
    design_df: float
    satterthwaite_df: float
    srs_variance: float
    notes: tuple[str, ...]
    n_effective_weights: float
    pooled_df: float
    weights_variance: float
    design_variance: float
    collapsed: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def kish_floor(self) -> bool:
        """True when the published variance is Kish's, not the groups' own (R's)."""
        return self.variance > self.design_variance

    def df(self, method: DfMethod) -> float:
        """The degrees of freedom of ``method`` (one of :data:`DF_CHOICES`)."""
        if method == "design":
            return self.design_df
        if method == "satterthwaite":
            return self.satterthwaite_df
        return self.pooled_df


def check_level(level: float) -> float:
    """``level`` as a float strictly between 0 and 1, or a ValueError naming it."""
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    return level


def check_df_method(df: str) -> None:
    """Refuse a ``df`` that is not one of :data:`DF_CHOICES`, naming the argument."""
    if df not in DF_CHOICES:
        raise ValueError(f"df must be one of {DF_CHOICES}, got {df!r}")


def check_variance_method(variance: str) -> None:
    """Refuse a ``variance`` that is not one of :data:`VARIANCE_CHOICES`, naming the argument."""
    if variance not in VARIANCE_CHOICES:
        raise ValueError(f"variance must be one of {VARIANCE_CHOICES}, got {variance!r}")


def t_quantile(level: float, df: float) -> float:
    """Two-sided t critical value t_{df,(1+level)/2}.

    ``scipy.special.stdtrit`` is what ``scipy.stats.t.ppf`` evaluates, without
    the distribution-object overhead (about 50 us a call) that dominates a
    dashboard computing thousands of intervals.
    """
    return float(_special.stdtrit(df, (1.0 + level) / 2.0))


def combine(
    strata: Mapping[str, Stratum],
    weights: Mapping[str, float] | None,
    *,
    lonely: LonelyPSU,
    order: Sequence[str] | None = None,
    variance: VarianceMethod = "design",
) -> Combined:
    """Combine strata into an estimate, its variance and df.

    Strata with weight 0 are left out entirely (they cannot affect the
    estimate, and R's ``degf`` ignores zero-weight rows too).

    Degrees of freedom:

    - design: n - H, R's ``degf()`` for a stratified design, H counting the
      strata after collapsing (``lonely="collapse"``). When that is below 1
      (every stratum a single respondent) 1 is used, with a note.
    - Satterthwaite: (sum c_h)^2 / sum c_h^2/(n_h - 1) over the variance terms
      c_h; a lonely stratum under "adjust" carries 1 df; under "average" the
      scaling by H/H_ok leaves the df of the other strata unchanged. It never
      exceeds the design df (the 1 df given to a lonely stratum is borrowed).
      When the variance is 0 the formula is 0/0 and the design df is used.
    - pooled: the same formula with every group's s_h^2 replaced by one
      common value, (sum a_h)^2 / sum a_h^2/(n_h - 1) with a_h = W_h^2 (1 -
      f_h)/n_h: the df the variance estimate has by design, whatever the
      answers. Satterthwaite's df moves with the estimated s_h^2 (a group of
      two who answer alike contributes nothing and so weighs nothing in it);
      this one does not, so a heavy group of two always pulls it down. At
      most the design df; the design df when every a_h is 0.

    ``variance="kish-floor"`` raises the variance to Kish's approximation
    when that is larger (see :class:`Combined`): the estimated variance of a
    small group that answered alike is 0, its true variance is not, and the
    weights alone say how much a group of that size and weight should add.
    The design effect is then never below Kish's design effect of the weights,
    1 + CV^2 of the respondents' weights (with the fpc). The df stay those of
    the design.
    """
    check_variance_method(variance)
    w_all = stratum_weights(strata, weights)
    used = {name: s for name, s in strata.items() if w_all[name] > 0}
    w = {name: w_all[name] for name in used}
    means = {s.mean for s in used.values()}
    # Equal group means combine to that mean exactly, so that rounding in the
    # weights cannot leave a variance of 1e-28 where there is none.
    estimate = means.pop() if len(means) == 1 else math.fsum(w[h] * s.mean for h, s in used.items())
    contributions = variance_contributions(used, w, estimate, lonely=lonely, order=order)
    design_variance = contributions.variance
    n = sum(s.n for s in used.values())
    h = contributions.n_strata
    notes: list[str] = []
    if contributions.note:
        notes.append(contributions.note)
    design_df = float(n - h)
    if design_df < 1:
        notes.append(f"design df n-H={n - h} is below 1; using 1")
        design_df = 1.0
    satterthwaite_df = _welch(contributions.terms, contributions.dfs, design_df)
    pooled_df = _welch(contributions.spreads, contributions.dfs, design_df)
    # Weighted pooled variance as R's svyvar: sum w_i (y_i - ybar)^2 * n/(n-1),
    # with unit weights w_i = W_h/n_h summing to 1.
    if n > 1:
        within = math.fsum(
            w[name] / s.n * ((s.n - 1) * s.variance + s.n * (s.mean - estimate) ** 2)
            for name, s in used.items()
        )
        srs_variance = within * n / (n - 1) / n
    else:
        srs_variance = 0.0
    spread = math.fsum(w[name] ** 2 * (1 - s.sampling_fraction) / s.n for name, s in used.items())
    n_effective_weights = min(1.0 / spread, float(n)) if spread > 0 else float(n)
    # Kish: the variance if every group had the weighted variance of the whole cell.
    weights_variance = srs_variance * n * spread
    published = design_variance
    # The relative margin keeps rounding from replacing an equal variance (one group).
    if variance == "kish-floor" and weights_variance > design_variance * (1 + 1e-9):
        published = weights_variance
        notes.append(
            f"standard error {math.sqrt(published):.4g} from the weights (Kish) is larger than "
            f"the groups' own {math.sqrt(design_variance):.4g} and is used"
        )
    return Combined(
        estimate=estimate,
        variance=published,
        n=n,
        n_strata=h,
        weights=w,
        design_df=design_df,
        satterthwaite_df=satterthwaite_df,
        srs_variance=srs_variance,
        notes=tuple(notes),
        n_effective_weights=n_effective_weights,
        pooled_df=pooled_df,
        weights_variance=weights_variance,
        design_variance=design_variance,
        collapsed=contributions.collapsed,
    )


def _welch(terms: Mapping[str, float], dfs: Mapping[str, float], cap: float) -> float:
    """(sum c_h)^2 / sum c_h^2/df_h, at most ``cap``; ``cap`` when every c_h is 0."""
    numerator = math.fsum(terms.values())
    denominator = math.fsum(c * c / dfs[name] for name, c in terms.items() if c > 0)
    if numerator > 0 and denominator > 0:
        return min(numerator * numerator / denominator, cap)
    return cap
