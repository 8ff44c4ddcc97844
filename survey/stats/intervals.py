"""Interval formulas shared by the index and the share satisfied.

Each function takes what the stratified combination produced (estimate,
variance, effective sample size, t quantile) and returns (low, high). They are
kept apart from the estimators so the index and the share use literally the
same Korn-Graubard, logit and boundary formulas.

- :func:`logit_interval`: a t interval on the logit scale, back-transformed
  (R's ``svyciprop(method="logit")``), with se_logit = se / (u (1 - u)).
- :func:`beta_interval`: Clopper-Pearson on an effective sample size
  (Korn and Graubard 1998; R's ``svyciprop(method="beta")``).
- :func:`wilson_interval`: the Wilson score interval on an effective sample
  size with a t quantile (Kott and Liu 2009).
- :func:`boundary_interval`: the exact two-sided Clopper-Pearson interval at
  x = 0 or x = n, [0, 1 - (alpha/2)^(1/n)] or [(alpha/2)^(1/n), 1], which
  NCHS uses when an estimated share is 0 or 1 (its SAS macro
  ``calculate_KornGraubard_CIs``, v2.0): there is no variance to work with,
  and the actual n is the sample size.
"""

from __future__ import annotations

import math

from scipy import special as _special

__all__ = [
    "beta_interval",
    "boundary_interval",
    "korn_graubard_factor",
    "logit_interval",
    "wilson_interval",
]


def beta_interval(u: float, n_eff: float, alpha: float) -> tuple[float, float]:
    """Clopper-Pearson bounds for "x = n_eff u successes out of n_eff" (0 < u < 1)."""
    # betaincinv(a, b, q) is the Beta(a, b) quantile, as R's qbeta(q, a, b).
    low = float(_special.betaincinv(n_eff * u, n_eff * (1 - u) + 1, alpha / 2))
    high = float(_special.betaincinv(n_eff * u + 1, n_eff * (1 - u), 1 - alpha / 2))
    return low, high


def korn_graubard_factor(n: int, df: float, alpha: float) -> float:
    """(t_{n-1} / t_df)^2, R's degrees-of-freedom adjustment of the effective sample size.

    R: ``qt(alpha/2, nrow(design) - 1) / qt(alpha/2, degf(design))``, squared;
    1 for a single respondent (n - 1 = 0 has no t distribution).
    """
    if n <= 1:
        return 1.0
    ratio = float(_special.stdtrit(n - 1, alpha / 2)) / float(_special.stdtrit(df, alpha / 2))
    return ratio * ratio


def logit_interval(u: float, se: float, t: float) -> tuple[float, float]:
    """t interval on logit(u) with se / (u (1 - u)), back-transformed (0 < u < 1)."""
    centre = float(_special.logit(u))
    half = t * se / (u * (1 - u))
    return float(_special.expit(centre - half)), float(_special.expit(centre + half))


def wilson_interval(p: float, n_eff: float, t: float) -> tuple[float, float]:
    """Wilson's score interval with n replaced by n_eff and z by t."""
    t2n = t * t / n_eff
    centre = (p + t2n / 2) / (1 + t2n)
    half = t / (1 + t2n) * math.sqrt(p * (1 - p) / n_eff + t2n / (4 * n_eff))
    return max(0.0, centre - half), min(1.0, centre + half)


def boundary_interval(at_top: bool, n: int, level: float) -> tuple[float, float]:
    """Exact two-sided Clopper-Pearson interval when all n are at 1 (``at_top``) or all at 0."""
    bound = ((1.0 - level) / 2.0) ** (1.0 / n)
    return (bound, 1.0) if at_top else (0.0, 1.0 - bound)
