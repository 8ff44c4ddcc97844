"""Stratified mean of a score (e.g. satisfaction on a 0-100 scale)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from .design import DfMethod, check_df_method, check_level, combine, t_quantile
from .estimate import Estimate
from .lonely import LonelyPSU
from .strata import Stratum

__all__ = ["stratified_mean"]


def stratified_mean(
    strata: Mapping[str, Stratum],
    weights: Mapping[str, float] | None = None,
    *,
    level: float = 0.95,
    df: DfMethod = "satterthwaite",
    lonely: LonelyPSU = "adjust",
) -> Estimate:
    """Weighted mean over strata with a t interval, as R's svymean + confint.

    ``weights=None`` uses population shares N_h/N (every stratum needs a
    population); otherwise policy weights renormalised over the strata present.
    The variance is sum W_h^2 (1 - f_h) s_h^2 / n_h, the interval
    estimate +/- t_{df,(1+level)/2} * se. ``df="design"`` gives R's default
    (n - H); ``"satterthwaite"`` (default) suits very unequal strata, where
    n - H overstates the information in the variance estimate. ``lonely``
    follows R's ``survey.lonely.psu`` (see :mod:`survey.stats.lonely`).
    """
    level = check_level(level)
    check_df_method(df)
    c = combine(strata, weights, lonely=lonely)
    se = math.sqrt(c.variance)
    dof = c.df(df)
    half = t_quantile(level, dof) * se
    notes = list(c.notes)
    if c.variance == 0:
        notes.append("zero variance: every stratum is constant or a census")
    deff = n_eff = None
    if c.variance > 0 and c.srs_variance > 0:
        deff = c.variance / c.srs_variance
        n_eff = c.n / deff
    return Estimate(
        estimate=c.estimate,
        se=se,
        df=dof,
        low=c.estimate - half,
        high=c.estimate + half,
        level=level,
        n=c.n,
        method=f"stratified mean, t interval ({df} df)",
        note="; ".join(notes) or None,
        deff=deff,
        n_effective=n_eff,
    )
