"""Collapsed strata: a group with one respondent shares the variance of its nearest group.

A stratum with a single respondent has no variance of its own. R's choices
(:mod:`survey.stats.lonely`) either drop its variance ("remove",
"certainty"), guess it from one deviation ("adjust", whose single degree of
freedom then drags a Satterthwaite df of a whole cell towards 1), or borrow
the others' average ("average"). Survey practice since Hansen, Hurwitz and
Madow instead *collapses* strata for variance estimation: the lonely stratum
is joined to a neighbouring stratum, and the pair is treated as one stratum
of the design when the variance is computed (Wolter, *Introduction to
Variance Estimation*, 2nd ed., Springer 2007, sec. 2.5, "collapsed stratum
estimator"; Rust and Kalton, "Strategies for collapsing strata for variance
estimation", J. Official Statistics 3, 1987, 69-79). The point estimate does
not change; the variance of the joined stratum includes the difference
between the two groups' means, so it errs on the side of too wide (Wolter
shows the collapsed estimator is biased upwards). Neither book was at hand
here: the section numbers are from their tables of contents as commonly
cited, and the formula below is stated in full so it can be checked on its
own.

Which group is nearest (the rule printed beside the figure):

- with ``order`` (the caller's list of groups, e.g. a campaign's group
  order): the group at the fewest positions from the lonely one in that list;
  at equal distance on both sides, the one with fewer respondents, then the
  earlier one;
- without ``order``: the group with the fewest respondents (then the first
  in the mapping), so that the fewest others share their variance with it.

Only groups with two or more respondents that are not a census can take a
lonely group. When none exists, lonely groups are paired with each other in
the same order (two lonely strata side by side: Wolter's original one-PSU-
per-stratum case; an odd one out joins the last pair). A single lonely group
that has no partner at all falls back to R's "adjust", with a note.

The variance of a collapsed stratum g is exactly what R's survey package
computes for ``svydesign(ids=~1, strata=~g, weights=~W_h/n_h, fpc=~N_g)``,
the linearised variance of a stratified mean: with each respondent's
z_i = (W_h / n_h) (y_i - ybar), ybar the combined estimate,

    v_g = (1 - f_g) n_g / (n_g - 1) * sum_{i in g} (z_i - zbar_g)^2,

n_g the respondents of the joined groups, f_g = n_g / N_g with N_g the sum of
their populations (no fpc unless every joined group has one). From the
per-group summaries: sum_{i in h} z_i = W_h (ybar_h - ybar) and
sum_{i in h} z_i^2 = (W_h/n_h)^2 ((n_h - 1) s_h^2 + n_h (ybar_h - ybar)^2).
The stratum g carries n_g - 1 degrees of freedom, and the design df is
n - G for G strata after collapsing, as R's ``degf``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .strata import Stratum

__all__ = ["collapse_plan", "collapsed_variance", "is_census"]

# R's onestrat: a stratum is a census when every (N - n)/N < 1e-7.
_CENSUS_TOLERANCE = 1e-7


def is_census(stratum: Stratum) -> bool:
    """True when the whole group answered (f_h = 1 within R's tolerance)."""
    if stratum.population is None:
        return False
    return (stratum.population - stratum.n) / stratum.population < _CENSUS_TOLERANCE


def _check_order(strata: Mapping[str, Stratum], order: Sequence[str]) -> dict[str, int]:
    if isinstance(order, str):
        raise TypeError("order must be a sequence of group names, not one string")
    position: dict[str, int] = {}
    for i, name in enumerate(order):
        position.setdefault(name, i)
    missing = [name for name in strata if name not in position]
    if missing:
        raise ValueError(
            f"order has no place for strata {', '.join(map(repr, missing))}: it must list "
            "every group present, in the order that decides which group is nearest"
        )
    return position


def _nearest(
    lonely: str,
    candidates: list[str],
    strata: Mapping[str, Stratum],
    position: dict[str, int] | None,
) -> str:
    index = {name: i for i, name in enumerate(strata)}
    if position is None:
        return min(candidates, key=lambda c: (strata[c].n, index[c]))
    here = position[lonely]
    return min(candidates, key=lambda c: (abs(position[c] - here), strata[c].n, position[c]))


def collapse_plan(
    strata: Mapping[str, Stratum], order: Sequence[str] | None = None
) -> tuple[tuple[str, ...], ...]:
    """The variance strata: every group alone, except lonely groups joined to their nearest.

    Each tuple lists a variance stratum's groups, the taking group first. A
    lonely group with no possible partner stays alone (see the module
    docstring). Groups keep the order of ``strata``.
    """
    position = None if order is None else _check_order(strata, order)
    lonely = [h for h, s in strata.items() if s.n == 1 and not is_census(s)]
    groups: dict[str, list[str]] = {h: [h] for h in strata if h not in lonely}
    takers = [h for h, s in strata.items() if s.n >= 2 and not is_census(s)]
    if takers:
        for h in lonely:
            groups[_nearest(h, takers, strata, position)].append(h)
    else:
        index = {name: i for i, name in enumerate(strata)}
        ranked = sorted(lonely, key=lambda h: position[h] if position else index[h])
        pairs = [ranked[i : i + 2] for i in range(0, len(ranked), 2)]
        if len(pairs) > 1 and len(pairs[-1]) == 1:
            pairs[-2].extend(pairs.pop())
        for pair in pairs:
            groups[pair[0]] = pair
    return tuple(tuple(g) for g in groups.values())


def _sum_of_squares(stratum: Stratum, weight: float, grand_mean: float) -> float:
    """sum_i z_i^2 over one group: (W_h/n_h)^2 ((n_h - 1) s_h^2 + n_h (ybar_h - ybar)^2)."""
    n = stratum.n
    deviation = stratum.mean - grand_mean
    return (weight / n) ** 2 * ((n - 1) * stratum.variance + n * deviation * deviation)


def collapsed_variance(
    members: Sequence[str],
    strata: Mapping[str, Stratum],
    weights: Mapping[str, float],
    grand_mean: float,
) -> tuple[float, float]:
    """v_g of one collapsed stratum (module docstring), from the groups' summaries.

    Returns v_g and the stratum's spread: (1 - f_g) sum_h W_h^2 / n_h, what
    v_g would be, up to the between-group term, if every score had variance 1.
    """
    n_g = sum(strata[h].n for h in members)
    populations = [strata[h].population for h in members]
    if all(p is not None for p in populations):
        total = math.fsum(p for p in populations if p is not None)
        fpc = (total - n_g) / total
    else:
        fpc = 1.0
    first = math.fsum(weights[h] * (strata[h].mean - grand_mean) for h in members)
    second = math.fsum(_sum_of_squares(strata[h], weights[h], grand_mean) for h in members)
    spread = max(second - first * first / n_g, 0.0)
    unit = math.fsum(weights[h] ** 2 / strata[h].n for h in members)
    return fpc * n_g / (n_g - 1) * spread, fpc * unit
