"""Variance contributions per stratum, including strata with a single respondent.

A stratum with n_h = 1 (a "lonely PSU") has no variance of its own. R's survey
package offers five ways out through ``options(survey.lonely.psu=...)``; this
module reproduces its ``onestrat``/``onestage`` code exactly, so our figures
agree with R for every choice:

- ``"fail"``: raise.
- ``"remove"`` and ``"certainty"``: the stratum contributes zero variance (it
  still counts in the estimate and in the design df; R computes both the same).
- ``"adjust"`` (the default): the lonely value is centred at the grand mean
  instead of its own stratum mean, contributing W_h^2 (1 - f_h) (y_h - ybar)^2.
- ``"average"``: the variance summed over the other strata is scaled by
  H / (H - number of lonely strata), i.e. each lonely stratum gets the average
  contribution of the others.

A stratum that is a census (n_h = N_h, f_h = 1) contributes zero variance and is
never lonely, as in R.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .strata import Stratum

__all__ = ["LonelyPSU", "Contributions", "variance_contributions"]

LonelyPSU = Literal["fail", "remove", "certainty", "adjust", "average"]
LONELY_CHOICES: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")

# R's onestrat: a stratum is a census when every (N - n)/N < 1e-7.
_CENSUS_TOLERANCE = 1e-7


@dataclass(frozen=True, slots=True)
class Contributions:
    """Per-stratum variance terms and the df each term carries.

    ``terms[h]`` is stratum h's share of Var(estimate); ``dfs[h]`` is the
    degrees of freedom used for it in the Welch-Satterthwaite formula.
    ``scale`` multiplies the sum (R's H/H_ok for "average").
    """

    terms: dict[str, float]
    dfs: dict[str, float]
    scale: float
    lonely: tuple[str, ...]
    note: str | None

    @property
    def variance(self) -> float:
        return sum(self.terms.values()) * self.scale


def _finite_population_factor(stratum: Stratum) -> float:
    """1 - f_h as R computes it: (N_h - n_h)/N_h, or 1 without fpc."""
    if stratum.population is None:
        return 1.0
    return (stratum.population - stratum.n) / stratum.population


def variance_contributions(
    strata: Mapping[str, Stratum],
    weights: Mapping[str, float],
    grand_mean: float,
    *,
    lonely: LonelyPSU,
) -> Contributions:
    """Compute W_h^2 (1-f_h) s_h^2/n_h per stratum, handling lonely strata.

    ``weights`` must already be normalised (see :func:`stratum_weights`);
    ``grand_mean`` is the combined estimate, needed only by "adjust".
    """
    if lonely not in LONELY_CHOICES:
        raise ValueError(f"lonely must be one of {LONELY_CHOICES}, got {lonely!r}")
    terms: dict[str, float] = {}
    dfs: dict[str, float] = {}
    lonely_names: list[str] = []
    for name, s in strata.items():
        w = weights[name]
        fpc = _finite_population_factor(s)
        if fpc < _CENSUS_TOLERANCE:
            terms[name] = 0.0
            dfs[name] = max(s.n - 1, 1)
            continue
        if s.n > 1:
            terms[name] = w * w * fpc * s.variance / s.n
            dfs[name] = s.n - 1
            continue
        lonely_names.append(name)
        if lonely == "fail":
            raise ValueError(
                f"stratum {name!r} has only one respondent (lonely PSU), so its variance "
                "cannot be estimated; choose lonely='adjust', 'average', 'remove' or "
                "'certainty'"
            )
        if lonely == "adjust":
            deviation = s.mean - grand_mean
            terms[name] = w * w * fpc * deviation * deviation
            dfs[name] = 1.0
        else:
            # remove/certainty: zero; average: replaced through `scale` below.
            terms[name] = 0.0
            dfs[name] = 1.0
    scale = 1.0
    note = None
    if lonely_names:
        listed = ", ".join(map(repr, lonely_names))
        if lonely == "average":
            ok = len(strata) - len(lonely_names)
            if ok == 0:
                raise ValueError(
                    "lonely='average' needs at least one stratum with two or more "
                    f"respondents, but every stratum is lonely ({listed})"
                )
            scale = len(strata) / ok
            for name in lonely_names:
                del terms[name], dfs[name]
        how = {
            "remove": "contributes no variance (removed)",
            "certainty": "contributes no variance (treated as certain)",
            "adjust": "variance from its deviation from the overall mean (adjust)",
            "average": "given the average variance of the other strata (average)",
        }[lonely]
        plural = "strata" if len(lonely_names) > 1 else "stratum"
        note = f"lonely {plural} {listed} with one respondent: {how}"
    return Contributions(terms, dfs, scale, tuple(lonely_names), note)
