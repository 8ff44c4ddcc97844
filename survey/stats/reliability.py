"""The reliability standard every published figure meets or fails, and why.

A figure is *reliable* when it can be read as it is printed: its interval is
narrow enough to say something and honest enough to cover. Unreliable figures
are still computed (an evaluator may want them) but are shown as such and
never ranked. The rules, one constant each below:

Share satisfied (a proportion p with its Korn-Graubard interval), after the
NCHS Data Presentation Standards for Proportions (Parker JD, Talih M, Malec
DJ, et al., Vital Health Stat 2(175), 2017), as NCHS itself implements them
(the SAS macro ``calculate_KornGraubard_CIs`` v2.0 by C. Martin, NCHS, 2021,
and ``.present_prop`` in NCHS's R package surveytable):

1. effective sample size n_eff = p(1 - p) / V, taken as n when p is 0 or 1,
   and never above n: min(n_eff, n) < 30 fails (``"n_effective"``);
2. absolute interval width >= 0.30 fails (``"ci_width"``);
3. width > 0.05 and relative width width / p > 130% fails
   (``"relative_ci_width"``); not evaluated at p = 0, where it is undefined
   (the macro leaves it missing, so the comparison is false);
4. degrees of freedom < 8: NCHS asks for "statistical review"; an
   automatic publication has no reviewer, so here it fails (``"df"``);
5. p = 0 or 1: NCHS asks for statistical review too. The interval there is
   the exact two-sided Clopper-Pearson interval on the actual n (the macro's
   formula), valid without a variance estimate, so the figure stays reliable
   with the caution ``"boundary"``;
6. the complement: a presentable p whose interval is wider than 0.05 and more
   than 130% of 1 - p gets the caution ``"complement"`` (the macro's
   ``fn_complement``: "the complementary proportion may be unreliable").

The report's page numbers could not be checked here (only the NCHS code that
implements it was at hand); the rules above are those of that code. Two
details differ on purpose: widths are compared unrounded (the macro rounds
them to 0.1 percentage point first), and the widths are those of the
Korn-Graubard interval computed as R's ``svyciprop(method="beta")`` does,
without the macro's cap of the effective sample size at n.

The index (mean of scores 0-100): NCHS has no standard for means beyond its
long-standing rule that a relative standard error above 30% is unreliable
(e.g. NAMCS/NHAMCS, NHHCS documentation). The RSE of an index of 90 with a
standard error of 5 points is 5.6%, so on its own that rule passes nearly
every index; what keeps an index honest is the same effective sample size
and degrees of freedom as for shares, and the same absolute width read on the
0-100 scale. The rules for an index x on a scale [a, b]:

1. min(n / deff, n) < 30 fails (``"n_effective"``), n when the variance is 0;
2. degrees of freedom < 8 fails (``"df"``);
3. interval width >= 0.30 (b - a), i.e. 30 points, fails (``"ci_width"``);
4. RSE = se / (x - a) > 30% fails (``"rse"``): the index's own RSE, which
   binds only for low indices (below about 3.3 se);
5. the distance from the top, b - x, with se / (b - x) > 30% gets the caution
   ``"complement"``: the index is fine but how far it falls short of 100 is
   not known to better than 30% (do not rank units near the top);
6. x = a or x = b gets the caution ``"boundary"``.

A mean without a scale (e.g. a raw amount) is judged by rules 1, 2 and the
RSE of the mean itself.

One rule is added to both standards (``"weight_concentrated"``): the
effective sample size of the weights, 1 / sum W_h^2 (1 - f_h) / n_h, must be
at least 30 too. The variance-based n_eff is computed from the estimated
variance, and a group of two respondents who answer alike has an estimated
variance of 0: if it carries half the weight, V is far too small, n_eff looks
large, and the interval looks precise when it is not (the simulations in
bench/bench_coverage.py cover 46% there). The weights' effective sample size
is what n_eff would be if every group had the same spread, so it sees the
concentrated weight whatever the answers. NCHS's designs have many PSUs per
stratum and guard the same risk with the df rule; in a design stratified by
respondent group the design df n - H does not see it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MAX_CI_WIDTH",
    "MAX_RELATIVE_CI_WIDTH",
    "MAX_RSE",
    "MIN_DF",
    "MIN_EFFECTIVE_N",
    "SMALL_CI_WIDTH",
    "REASONS",
    "CAUTIONS",
    "Reliability",
    "Sample",
    "assess_mean",
    "assess_index",
    "assess_proportion",
]

#: At least this many effective respondents (NCHS 2017, both the variance's and the weights').
MIN_EFFECTIVE_N: Final = 30
#: Fewer degrees of freedom than this leave the variance estimate itself too unstable (NCHS).
MIN_DF: Final = 8
#: An interval this wide or wider says too little: 0.30 on the 0-1 scale, 30 index points.
MAX_CI_WIDTH: Final = 0.30
#: An interval at most this wide is always precise enough (NCHS), whatever its relative width.
SMALL_CI_WIDTH: Final = 0.05
#: Above SMALL_CI_WIDTH, the width may be at most 130% of the share (NCHS).
MAX_RELATIVE_CI_WIDTH: Final = 1.30
#: Relative standard error at most 30% (NCHS's rule for means and totals).
MAX_RSE: Final = 0.30

#: Codes of the rules a figure can fail, with their English text (the app translates the codes).
REASONS: Final[dict[str, str]] = {
    "suppressed": "withheld (too few respondents)",
    "not_assessed": "not assessed against the reliability standard",
    "n_effective": "effective sample size {n_effective:.1f} is below {min_n}",
    "weight_concentrated": (
        "a few respondents carry much of the weight (the weights' effective sample size "
        "{n_effective_weights:.1f}, at least {min_n} needed; their degrees of freedom "
        "{df_weights:.1f}, at least {min_df} needed)"
    ),
    "df": "{df:.1f} degrees of freedom, fewer than {min_df}",
    "ci_width": "the interval is {width_points:.1f} points wide ({max_points:g} or more)",
    "relative_ci_width": (
        "the interval is {relative_width:.0%} of the estimate (more than {max_relative:.0%})"
    ),
    "rse": "relative standard error {rse:.0%} is above {max_rse:.0%}",
    "input_unreliable": "computed from a figure that is not reliable",
    "no_common_groups": "no group answered in both periods",
}

#: Codes of footnotes that do not make a figure unreliable.
CAUTIONS: Final[dict[str, str]] = {
    "complement": (
        "its complement (1 - p, or the distance from the top of the scale) is too imprecise "
        "to be read on its own"
    ),
    "boundary": "at the end of the scale: exact interval on the actual sample size",
}


@dataclass(frozen=True, slots=True)
class Sample:
    """What every figure is judged on besides its interval.

    ``n_effective`` is the variance's effective sample size (p(1-p)/V for a
    share, n/deff for a mean), ``n_effective_weights`` and ``df_weights`` the
    weights' own (1 / sum W_h^2 (1 - f_h)/n_h and the pooled Satterthwaite df,
    :class:`survey.stats.design.Combined`), ``df`` those of the interval.
    """

    n: int
    n_effective: float
    n_effective_weights: float
    df: float
    df_weights: float


@dataclass(frozen=True, slots=True)
class Reliability:
    """Whether a figure meets the standard, the codes of the rules it fails, and the cautions."""

    reliable: bool
    reasons: tuple[str, ...]
    cautions: tuple[str, ...]
    text: str | None


def _finish(
    failed: list[str], cautions: list[str], sample: dict[str, float], **values: float
) -> Reliability:
    fields = dict(
        sample,
        **values,
        min_n=MIN_EFFECTIVE_N,
        min_df=MIN_DF,
        max_relative=MAX_RELATIVE_CI_WIDTH,
        max_rse=MAX_RSE,
    )
    parts = []
    if failed:
        parts.append("not reliable: " + "; ".join(REASONS[c].format(**fields) for c in failed))
    parts.extend(CAUTIONS[c] for c in cautions)
    return Reliability(
        reliable=not failed,
        reasons=tuple(failed),
        cautions=tuple(cautions),
        text="; ".join(parts) or None,
    )


def _sample_rules(failed: list[str], s: Sample) -> dict[str, float]:
    """Apply the rules every figure shares; return their values for the note."""
    if min(s.n_effective, s.n) < MIN_EFFECTIVE_N:
        failed.append("n_effective")
    if min(s.n_effective_weights, s.n) < MIN_EFFECTIVE_N or s.df_weights < MIN_DF:
        failed.append("weight_concentrated")
    if s.df < MIN_DF:
        failed.append("df")
    return {
        "n_effective": min(s.n_effective, s.n),
        "n_effective_weights": min(s.n_effective_weights, s.n),
        "df": s.df,
        "df_weights": s.df_weights,
    }


def assess_proportion(
    *,
    p: float,
    low: float,
    high: float,
    sample: Sample,
) -> Reliability:
    """The NCHS standard for a share p with its Korn-Graubard interval [low, high].

    ``sample.n_effective`` is p(1 - p)/V (n when p is 0 or 1); the interval
    is the one the standard reads (see the module docstring).
    """
    width = high - low
    failed: list[str] = []
    cautions: list[str] = []
    values = _sample_rules(failed, sample)
    relative = width / p if p > 0 else math.nan
    if width >= MAX_CI_WIDTH:
        failed.append("ci_width")
    elif width > SMALL_CI_WIDTH and p > 0 and relative > MAX_RELATIVE_CI_WIDTH:
        failed.append("relative_ci_width")
    if p in (0.0, 1.0):
        cautions.append("boundary")
    if not failed and p < 1 and width > SMALL_CI_WIDTH and width / (1 - p) > MAX_RELATIVE_CI_WIDTH:
        cautions.append("complement")
    return _finish(
        failed,
        cautions,
        values,
        width_points=100 * width,
        max_points=100 * MAX_CI_WIDTH,
        relative_width=relative,
    )


def assess_index(
    *,
    estimate: float,
    se: float,
    low: float,
    high: float,
    sample: Sample,
    scale: tuple[float, float],
) -> Reliability:
    """The standard for a mean of bounded scores (the index), as set out in the module docstring."""
    bottom, top = scale
    span = top - bottom
    failed: list[str] = []
    cautions: list[str] = []
    values = _sample_rules(failed, sample)
    width = high - low
    if width >= MAX_CI_WIDTH * span:
        failed.append("ci_width")
    above = estimate - bottom
    rse = se / above if above > 0 else math.nan
    if above > 0 and rse > MAX_RSE:
        failed.append("rse")
    below = top - estimate
    if estimate in (bottom, top):
        cautions.append("boundary")
    elif not failed and se / below > MAX_RSE:
        cautions.append("complement")
    return _finish(
        failed,
        cautions,
        values,
        width_points=100 * width / span,
        max_points=100 * MAX_CI_WIDTH,
        rse=rse,
    )


def assess_mean(
    *,
    estimate: float,
    se: float,
    sample: Sample,
) -> Reliability:
    """A mean without a bounded scale: effective sample sizes, df and RSE = se / |mean| <= 30%."""
    failed: list[str] = []
    values = _sample_rules(failed, sample)
    rse = se / abs(estimate) if estimate != 0 else (0.0 if se == 0 else math.inf)
    if rse > MAX_RSE:
        failed.append("rse")
    return _finish(failed, [], values, rse=rse)
