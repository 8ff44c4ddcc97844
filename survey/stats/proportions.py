"""Stratified proportion (share satisfied) with intervals that respect [0, 1].

A symmetric t interval around a share near 0 or 1 can leave [0, 1] and covers
poorly; the three methods here do not:

- ``"korn-graubard"``: Clopper-Pearson on a design effective sample size,
  identical to R's ``svyciprop(method="beta")``:
  n_eff = p(1-p)/V * (t_{n-1}/t_df)^2, low = Beta^-1(a/2; n_eff p, n_eff(1-p)+1),
  high = Beta^-1(1-a/2; n_eff p+1, n_eff(1-p)). R uses df = n - H; with
  ``df="satterthwaite"`` the Satterthwaite df takes its place.
- ``"logit"``: R's ``svyciprop(method="logit")`` (its default): a t interval on
  the logit scale with se_logit = se(p)/(p(1-p)), back-transformed.
- ``"wilson"``: the Wilson score interval on the effective sample size
  n* = p(1-p)/V with a t quantile (Kott & Liu 2009; Kott 2017; Franco et al.
  2019); for one simple random sample without fpc it is the textbook Wilson
  interval with z replaced by t and n by n - 1 (V uses s^2 with an n - 1
  denominator, so n* = n - 1; R's "beta" method has the same property).

At p = 0 or p = 1 none of these is defined (V = 0). We then return the exact
one-sided Clopper-Pearson interval at ``level`` on the actual sample size n:
[0, 1 - (1-level)^(1/n)] or [(1-level)^(1/n), 1], with a note. When 0 < p < 1
but V = 0 (each stratum constant, e.g. one all-yes and one all-no), the actual
n is used as effective sample size, with a note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from scipy import special as _special

from .design import DfMethod, check_df_method, check_level, combine, t_quantile
from .estimate import Estimate
from .lonely import LonelyPSU
from .strata import Stratum

__all__ = ["stratified_proportion", "ProportionMethod"]

ProportionMethod = Literal["korn-graubard", "logit", "wilson"]
METHOD_CHOICES: tuple[str, ...] = ("korn-graubard", "logit", "wilson")


def _korn_graubard(p: float, n_eff: float, alpha: float) -> tuple[float, float]:
    # betaincinv(a, b, q) is the Beta(a, b) quantile, as R's qbeta(q, a, b).
    low = float(_special.betaincinv(n_eff * p, n_eff * (1 - p) + 1, alpha / 2))
    high = float(_special.betaincinv(n_eff * p + 1, n_eff * (1 - p), 1 - alpha / 2))
    return low, high


def _logit(p: float, se: float, t: float) -> tuple[float, float]:
    centre = float(_special.logit(p))
    half = t * se / (p * (1 - p))
    return float(_special.expit(centre - half)), float(_special.expit(centre + half))


def _wilson(p: float, n_eff: float, t: float) -> tuple[float, float]:
    t2n = t * t / n_eff
    centre = (p + t2n / 2) / (1 + t2n)
    half = t / (1 + t2n) * math.sqrt(p * (1 - p) / n_eff + t2n / (4 * n_eff))
    return max(0.0, centre - half), min(1.0, centre + half)


def stratified_proportion(
    strata: Mapping[str, Stratum],
    weights: Mapping[str, float] | None = None,
    *,
    method: ProportionMethod = "korn-graubard",
    level: float = 0.95,
    df: DfMethod = "satterthwaite",
    lonely: LonelyPSU = "adjust",
) -> Estimate:
    """Weighted share of 1s over strata of 0/1 data, with an interval in [0, 1].

    Build the strata with :meth:`Stratum.from_counts` (or ``from_values`` on
    0/1 values). Weights, ``df`` and ``lonely`` work as in
    :func:`stratified_mean`; see the module docstring for ``method``.
    """
    level = check_level(level)
    check_df_method(df)
    if method not in METHOD_CHOICES:
        raise ValueError(f"method must be one of {METHOD_CHOICES}, got {method!r}")
    for name, s in strata.items():
        if isinstance(s, Stratum) and not 0.0 <= s.mean <= 1.0:
            raise ValueError(
                f"strata[{name!r}] has mean {s.mean!r}, outside [0, 1]: "
                "stratified_proportion needs 0/1 data (use Stratum.from_counts)"
            )
    c = combine(strata, weights, lonely=lonely)
    alpha = 1.0 - level
    dof = c.df(df)
    label = {
        "korn-graubard": "Korn-Graubard (beta)",
        "logit": "logit",
        "wilson": "Wilson on effective n",
    }[method]
    notes = list(c.notes)
    means = [strata[name].mean for name in c.weights]
    se = math.sqrt(c.variance)
    deff = n_eff_out = None
    if c.variance > 0 and c.srs_variance > 0:
        deff = c.variance / c.srs_variance
        n_eff_out = c.n / deff
    if all(m == 0.0 for m in means) or all(m == 1.0 for m in means):
        p = means[0]
        bound = alpha ** (1.0 / c.n)
        low, high = (0.0, 1.0 - bound) if p == 0.0 else (bound, 1.0)
        notes.append(
            f"proportion is exactly {p:g}: one-sided Clopper-Pearson interval "
            f"at level {level:g} on n={c.n}"
        )
        return Estimate(
            estimate=p,
            se=0.0,
            df=dof,
            low=low,
            high=high,
            level=level,
            n=c.n,
            method=f"stratified proportion, {label}, one-sided at the boundary",
            note="; ".join(notes),
        )
    p = min(max(c.estimate, 0.0), 1.0)
    if c.variance > 0:
        n_star = p * (1 - p) / c.variance
    else:
        n_star = float(c.n)
        notes.append(f"zero variance (every stratum constant): effective n taken as n={c.n}")
    t = t_quantile(level, dof)
    if method == "korn-graubard":
        if c.n > 1:
            # R: qt(alpha/2, nrow(design) - 1) / qt(alpha/2, degf(design))
            ratio = float(_special.stdtrit(c.n - 1, alpha / 2)) / float(
                _special.stdtrit(dof, alpha / 2)
            )
        else:
            ratio = 1.0
        low, high = _korn_graubard(p, n_star * ratio * ratio, alpha)
    elif method == "logit":
        se_for_logit = se if c.variance > 0 else math.sqrt(p * (1 - p) / n_star)
        low, high = _logit(p, se_for_logit, t)
    else:
        low, high = _wilson(p, n_star, t)
    return Estimate(
        estimate=p,
        se=se,
        df=dof,
        low=low,
        high=high,
        level=level,
        n=c.n,
        method=f"stratified proportion, {label} ({df} df)",
        note="; ".join(notes) or None,
        deff=deff,
        n_effective=n_eff_out,
    )
