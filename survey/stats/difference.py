"""Change between two independent estimates (e.g. this year vs last year)."""

from __future__ import annotations

import math
from typing import Literal

from .design import check_level, t_quantile
from .estimate import Estimate
from .reliability import MIN_DF, REASONS

__all__ = ["difference", "verdict", "Verdict"]

Verdict = Literal["higher", "lower", "no_clear_change", "not_available"]


def difference(a: Estimate, b: Estimate, *, level: float | None = None) -> Estimate:
    """Estimate a - b for independent samples (different periods or units).

    se = sqrt(se_a^2 + se_b^2); df by Welch-Satterthwaite from the two
    (V_a+V_b)^2 / (V_a^2/df_a + V_b^2/df_b), or df_a + df_b when both
    variances are 0. ``level`` defaults to the inputs' common level. If either
    input is suppressed the difference is suppressed too.

    The difference is reliable when both inputs are and its df is at least
    :data:`~survey.stats.reliability.MIN_DF` (reasons ``"input_unreliable"``,
    ``"df"``): NCHS has no standard for differences, and a change between
    two figures that cannot be read on their own cannot be read either.
    """
    if level is None:
        if a.level != b.level:
            raise ValueError(
                f"a.level={a.level} and b.level={b.level} differ; pass level= explicitly"
            )
        level = a.level
    level = check_level(level)
    n = a.n + b.n
    method = "difference of independent estimates, t interval (Satterthwaite df)"
    if a.is_suppressed or b.is_suppressed:
        which = " and ".join(x for x, e in (("a", a), ("b", b)) if e.is_suppressed)
        return Estimate.unavailable(
            n=n, level=level, method=method, note=f"suppressed: {which} suppressed"
        )
    assert a.se is not None and b.se is not None and a.df is not None and b.df is not None
    assert a.estimate is not None and b.estimate is not None
    va, vb = a.se * a.se, b.se * b.se
    denominator = (va * va / a.df if va > 0 else 0.0) + (vb * vb / b.df if vb > 0 else 0.0)
    dof = (va + vb) ** 2 / denominator if denominator > 0 else a.df + b.df
    se = math.sqrt(va + vb)
    estimate = a.estimate - b.estimate
    half = t_quantile(level, dof) * se
    reasons = []
    if not (a.reliable and b.reliable):
        reasons.append("input_unreliable")
    if dof < MIN_DF:
        reasons.append("df")
    note = None
    if reasons:
        texts = [REASONS[r].format(df=dof, min_df=MIN_DF) for r in reasons]
        note = "not reliable: " + "; ".join(texts)
    return Estimate(
        estimate=estimate,
        se=se,
        df=dof,
        low=estimate - half,
        high=estimate + half,
        level=level,
        n=n,
        method=method,
        note=note,
        reliable=not reasons,
        reasons=tuple(reasons),
    )


def verdict(diff: Estimate) -> Verdict:
    """Plain-language reading of a difference: does its interval exclude 0?

    "higher" when the whole interval is above 0, "lower" when below,
    "no_clear_change" when it contains 0, "not_available" when suppressed.
    """
    if diff.low is None or diff.high is None:
        return "not_available"
    if diff.low > 0:
        return "higher"
    if diff.high < 0:
        return "lower"
    return "no_clear_change"
