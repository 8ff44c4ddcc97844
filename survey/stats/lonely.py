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

A sixth choice is not R's: ``"collapse"`` (the published default) joins each
lonely stratum to its nearest group for the variance, the collapsed strata of
survey practice (:mod:`survey.stats.collapse`, where the rule for "nearest"
and the estimator are set out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .collapse import collapse_plan, collapsed_variance, is_census
from .strata import Stratum

__all__ = ["LonelyPSU", "LONELY_CHOICES", "Contributions", "variance_contributions"]

LonelyPSU = Literal["collapse", "fail", "remove", "certainty", "adjust", "average"]
LONELY_CHOICES: tuple[str, ...] = ("collapse", "fail", "remove", "certainty", "adjust", "average")


@dataclass(frozen=True, slots=True)
class Contributions:
    """Per-stratum variance terms and the df each term carries.

    ``terms[h]`` is variance stratum h's share of Var(estimate); ``dfs[h]`` is
    the degrees of freedom used for it in the Welch-Satterthwaite formula.
    ``scale`` multiplies the sum (R's H/H_ok for "average"). ``n_strata`` is
    the number of strata the design df n - H counts: every group, or the
    variance strata after collapsing. ``spreads[h]`` is what ``terms[h]``
    would be if every respondent's score had variance 1 (W_h^2 (1 - f_h)/n_h
    for a plain stratum): the design's own share of the variance, which the
    answers cannot hide (see :attr:`Combined.pooled_df`). ``collapsed`` says,
    for "collapse", which groups each lonely group shares its variance with
    (an empty tuple: none could take it, so it fell back to "adjust"), so that
    a page can name them in its reader's language.
    """

    terms: dict[str, float]
    dfs: dict[str, float]
    scale: float
    lonely: tuple[str, ...]
    note: str | None
    n_strata: int
    spreads: dict[str, float]
    collapsed: tuple[tuple[str, tuple[str, ...]], ...] = ()

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
    order: Sequence[str] | None = None,
) -> Contributions:
    """Compute W_h^2 (1-f_h) s_h^2/n_h per stratum, handling lonely strata.

    ``weights`` must already be normalised (see :func:`stratum_weights`);
    ``grand_mean`` is the combined estimate, needed by "adjust" and
    "collapse"; ``order`` is read by "collapse" only.
    """
    if lonely not in LONELY_CHOICES:
        raise ValueError(f"lonely must be one of {LONELY_CHOICES}, got {lonely!r}")
    if lonely == "collapse":
        return _collapsed(strata, weights, grand_mean, order)
    terms: dict[str, float] = {}
    dfs: dict[str, float] = {}
    spreads: dict[str, float] = {}
    lonely_names: list[str] = []
    for name, s in strata.items():
        w = weights[name]
        fpc = _finite_population_factor(s)
        if is_census(s):
            terms[name] = spreads[name] = 0.0
            dfs[name] = max(s.n - 1, 1)
            continue
        if s.n > 1:
            terms[name] = w * w * fpc * s.variance / s.n
            spreads[name] = w * w * fpc / s.n
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
            spreads[name] = w * w * fpc
            dfs[name] = 1.0
        else:
            # remove/certainty: zero; average: replaced through `scale` below.
            terms[name] = spreads[name] = 0.0
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
                del terms[name], dfs[name], spreads[name]
        how = {
            "remove": "contributes no variance (removed)",
            "certainty": "contributes no variance (treated as certain)",
            "adjust": "variance from its deviation from the overall mean (adjust)",
            "average": "given the average variance of the other strata (average)",
        }[lonely]
        plural = "strata" if len(lonely_names) > 1 else "stratum"
        note = f"lonely {plural} {listed} with one respondent: {how}"
    return Contributions(terms, dfs, scale, tuple(lonely_names), note, len(strata), spreads)


def _collapsed(
    strata: Mapping[str, Stratum],
    weights: Mapping[str, float],
    grand_mean: float,
    order: Sequence[str] | None,
) -> Contributions:
    """Variance strata of :func:`collapse_plan`; a lonely group left alone falls back to adjust."""
    plan = collapse_plan(strata, order)
    terms: dict[str, float] = {}
    dfs: dict[str, float] = {}
    spreads: dict[str, float] = {}
    notes: list[str] = []
    lonely_names: list[str] = []
    collapsed: list[tuple[str, tuple[str, ...]]] = []
    for members in plan:
        head = members[0]
        s = strata[head]
        if len(members) > 1:
            terms[head], spreads[head] = collapsed_variance(members, strata, weights, grand_mean)
            dfs[head] = sum(strata[h].n for h in members) - 1
            lonely = [h for h in members if strata[h].n == 1]
            lonely_names.extend(lonely)
            others = [h for h in members if h not in lonely] or [lonely[0]]
            joined = [h for h in lonely if h not in others]
            collapsed.extend((h, tuple(m for m in members if m != h)) for h in lonely)
            notes.append(
                f"{_listed(joined)} with one respondent: variance estimated together with "
                f"{_listed(others, plain=True)} (collapsed strata)"
            )
        elif is_census(s) or s.n > 1:
            spreads[head] = weights[head] ** 2 * _finite_population_factor(s) / s.n
            terms[head] = spreads[head] * s.variance
            dfs[head] = max(s.n - 1, 1)
        else:
            deviation = s.mean - grand_mean
            spreads[head] = weights[head] ** 2 * _finite_population_factor(s)
            terms[head] = spreads[head] * deviation**2
            dfs[head] = 1.0
            lonely_names.append(head)
            collapsed.append((head, ()))
            notes.append(
                f"{_listed([head])} with one respondent and no other sampled group to collapse "
                "with: variance from its deviation from the overall mean (adjust)"
            )
    return Contributions(
        terms,
        dfs,
        1.0,
        tuple(lonely_names),
        "; ".join(notes) or None,
        len(plan),
        spreads,
        tuple(collapsed),
    )


def _listed(names: Sequence[str], *, plain: bool = False) -> str:
    listed = ", ".join(map(repr, names))
    if plain:
        return f"group {listed}" if len(names) == 1 else f"groups {listed}"
    return f"lonely stratum {listed}" if len(names) == 1 else f"lonely strata {listed}"
