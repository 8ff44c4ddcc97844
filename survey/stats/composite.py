"""Composite scores: a unit's total over a framework's items, with its sampling error.

A scorecard total adds up item points. Most items are fixed numbers (a self-
assessment, an on-site score, a data value, capped bonus and deduction events),
but the survey-fed ones are points *of an estimate*: the served public's index
went through a rule ("50 or less: 0 points, 95 or more: 8, a line between"), and
the index has a standard error. This module carries that error into the total,
the year-on-year change, ranks and grades, and nothing else: the other items are
taken as fixed, as the evaluation treats them.

How the error is carried, and why:

- **Delta method** (closed form) when every survey-fed term is linear where its
  estimate can plausibly be: the rule's ``linear_piece`` covers all but
  ``LINEAR_TAIL`` (0.1%) of the estimate's t distribution. For a linear function
  the delta method is not an approximation: points = a + b * index, so
  se(points) = |b| se(index) and the t pivot carries over with the same df. A sum
  of independent terms gets the Welch-Satterthwaite df, as
  :func:`survey.stats.difference.difference`.
- **Simulation** otherwise: a clamped end within reach, or bands. There the
  derivative is 0 inside a band (the delta method would claim certainty right
  next to a band edge) and undefined at the edge. Each survey estimate is drawn
  as estimate + se * T_df (its own t distribution, the one its interval uses),
  pushed through its rule, summed; the interval is the (1-level)/2 and (1+level)/2
  quantiles of the draws, taken as observed values (``inverted_cdf``), so a total
  made of band points has bounds it can actually take. The reported point is
  always the rule applied to the estimate itself, never the mean of the draws.

Randomness is explicit: every function that may simulate takes ``rng`` (an int
seed or a ``numpy.random.Generator``, as SPEC 7), so a page and its export agree.

Estimates of different items are independent unless a ``correlation`` is given:
true for the three dimensions (service users, stakeholders, staff answer
separately), not for two indicators answered by the same people. Their correlation
is not in the running summaries; pass it when known (the delta method then uses
the smallest df of the correlated terms, to err wide; simulation draws them
through a Gaussian copula with each estimate's t margin).

The arithmetic of one sum (delta or simulation) is :mod:`survey.stats.propagation`;
this module applies it to a unit's year, to two years, and to many units.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import special as _special
from scipy import stats as _stats

from .design import check_level
from .propagation import (
    DEFAULT_DRAWS,
    TIE_DECIMALS,
    LinearPiece,
    MethodChoice,
    Points,
    PointsRule,
    Seed,
    SignedTerm,
    SurveyTerm,
    as_generator,
    check_draws,
    correlation_matrix,
    draw_terms,
    signed_sum,
)

__all__ = [
    "Change",
    "CompositeScore",
    "GradeOdds",
    "LinearPiece",
    "Points",
    "PointsRule",
    "Rank",
    "SurveyTerm",
    "UnitYear",
    "change",
    "ranks",
    "score",
]


@dataclass(frozen=True)
class UnitYear:
    """One unit's scorecard for one year, ready for the arithmetic.

    ``fixed`` maps item (or innovation category) ids to points taken as exact,
    deductions negative; ``survey`` maps survey-fed item ids to their terms;
    ``correlation`` maps pairs of survey item ids to the correlation of their
    estimates (absent pairs are independent).
    """

    unit: str
    fixed: Mapping[str, float]
    survey: Mapping[str, SurveyTerm]
    correlation: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        overlap = sorted(set(self.fixed) & set(self.survey))
        if overlap:
            raise ValueError(f"unit {self.unit!r}: item {overlap[0]!r} is both fixed and survey")
        for item, term in self.survey.items():
            if term.estimate.is_suppressed:
                raise ValueError(
                    f"unit {self.unit!r}: item {item!r} has a suppressed estimate"
                    f" ({term.estimate.note}); its points cannot be computed"
                )
        for (a, b), rho in self.correlation.items():
            if a not in self.survey or b not in self.survey or a == b:
                raise ValueError(
                    f"unit {self.unit!r}: correlation ({a!r}, {b!r}) must pair two survey items"
                )
            if not -1.0 <= rho <= 1.0:
                raise ValueError(f"unit {self.unit!r}: correlation ({a!r}, {b!r}) = {rho}")


@dataclass(frozen=True, slots=True)
class GradeOdds:
    """The grade of the total, and how likely each grade is given the sampling error.

    ``probabilities`` lists every grade, best first. It is the share of the
    total's sampling distribution (centred on the estimate) in each grade, not a
    posterior probability; it says how firmly the data put a unit in its grade.
    ``uncertain`` is true when the interval crosses a grade threshold.
    """

    grade: str
    probabilities: Mapping[str, float]
    uncertain: bool


@dataclass(frozen=True, slots=True)
class CompositeScore:
    """A unit's total for a year, its items, and its grade (when thresholds were given)."""

    unit: str
    total: Points
    items: Mapping[str, Points]
    grade: GradeOdds | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Change:
    """Year-on-year change (current minus previous) in total and per item in both years."""

    unit: str
    total: Points
    items: Mapping[str, Points]
    note: str | None


@dataclass(frozen=True, slots=True)
class Rank:
    """A unit's rank (1 = highest total; ties share the better rank) and its rank interval."""

    unit: str
    rank: int
    low: int
    high: int
    points: float
    level: float


# --- grades ----------------------------------------------------------------------------------


def _check_grades(grades: Sequence[tuple[str, float | None]]) -> None:
    if not grades:
        return
    *upper, last = grades
    if last[1] is not None or any(threshold is None for _, threshold in upper):
        raise ValueError("grades: every grade but the last needs a threshold; the last none")
    thresholds = [float(t) for _, t in upper if t is not None]
    if any(a <= b for a, b in zip(thresholds, thresholds[1:], strict=False)):
        raise ValueError(f"grades: thresholds must fall strictly, best grade first: {thresholds}")


def _grade_of(total: float, grades: Sequence[tuple[str, float | None]]) -> str:
    for name, threshold in grades:
        if threshold is None or round(total, TIE_DECIMALS) >= threshold:
            return name
    raise AssertionError("the last grade has no threshold")


def _grade_odds(
    total: Points,
    totals: NDArray[np.float64] | None,
    grades: Sequence[tuple[str, float | None]],
) -> GradeOdds:
    """P(grade) from the t distribution (delta) or the share of draws (simulation)."""
    at_least: list[float] = []
    for _, threshold in grades[:-1]:
        assert threshold is not None
        if totals is not None:
            at_least.append(float(np.mean(np.round(totals, TIE_DECIMALS) >= threshold)))
        elif total.df is None:
            at_least.append(1.0 if round(total.points, TIE_DECIMALS) >= threshold else 0.0)
        else:
            z = (threshold - total.points) / total.se
            at_least.append(float(_special.stdtr(total.df, -z)))
    cumulative = [*at_least, 1.0]
    probabilities = {
        name: cumulative[i] - (cumulative[i - 1] if i else 0.0)
        for i, (name, _) in enumerate(grades)
    }
    uncertain = any(
        threshold is not None and total.low < threshold <= total.high for _, threshold in grades
    )
    return GradeOdds(_grade_of(total.points, grades), probabilities, uncertain)


# --- the public functions --------------------------------------------------------------------


def _item_points(
    unit_year: UnitYear, *, level: float, generator: np.random.Generator, draws: int
) -> dict[str, Points]:
    items = {k: Points(v, v, v, 0.0, None, level, "fixed") for k, v in unit_year.fixed.items()}
    for item, term in unit_year.survey.items():
        items[item], _ = signed_sum(
            0.0,
            [SignedTerm(item, 1.0, term)],
            {},
            level=level,
            generator=generator,
            draws=draws,
            method="auto",
        )
    return items


def score(
    unit_year: UnitYear,
    *,
    rng: Seed,
    level: float = 0.95,
    draws: int = DEFAULT_DRAWS,
    grades: Sequence[tuple[str, float | None]] = (),
    method: MethodChoice = "auto",
) -> CompositeScore:
    """A unit's total for a year with its interval, each item's points, and its grade.

    ``grades`` are ``(name, threshold)`` pairs, best first, the last with None
    ("excellent" 90, "good" 80, "fair" 60, "poor" None): a total at or above a
    threshold has that grade. ``method="simulation"`` forces simulation even when
    the closed form applies (to compare the two). Each item's own interval is
    computed alone (closed form when its rule is linear there).
    """
    level = check_level(level)
    draws = check_draws(draws)
    _check_grades(grades)
    generator = as_generator(rng)
    terms = [SignedTerm(item, 1.0, term) for item, term in unit_year.survey.items()]
    total, totals = signed_sum(
        math.fsum(unit_year.fixed.values()),
        terms,
        unit_year.correlation,
        level=level,
        generator=generator,
        draws=draws,
        method=method,
    )
    items = _item_points(unit_year, level=level, generator=generator, draws=draws)
    note = None
    if len(terms) > 1 and not any(unit_year.correlation.values()):
        note = "survey-fed items taken as independent estimates"
    odds = _grade_odds(total, totals, grades) if grades else None
    return CompositeScore(unit_year.unit, total, items, odds, note)


def change(
    current: UnitYear,
    previous: UnitYear,
    *,
    rng: Seed,
    level: float = 0.95,
    draws: int = DEFAULT_DRAWS,
    method: MethodChoice = "auto",
) -> Change:
    """Current minus previous year, in total and for each item present in both years.

    The two years' surveys are independent samples, so their errors add; within a
    year the correlations of ``UnitYear.correlation`` apply. An item scored in one
    year only enters the total's change but gets no change of its own.
    """
    if current.unit != previous.unit:
        raise ValueError(f"change compares one unit: {current.unit!r} vs {previous.unit!r}")
    level = check_level(level)
    draws = check_draws(draws)
    generator = as_generator(rng)
    now, before = _item_ids(current), _item_ids(previous)

    def difference(items: set[str]) -> Points:
        constant = math.fsum(v for k, v in current.fixed.items() if k in items) - math.fsum(
            v for k, v in previous.fixed.items() if k in items
        )
        terms_now, pairs_now = _signed_terms(current, 1.0, items, "@now")
        terms_before, pairs_before = _signed_terms(previous, -1.0, items, "@before")
        points, _ = signed_sum(
            constant,
            terms_now + terms_before,
            {**pairs_now, **pairs_before},
            level=level,
            generator=generator,
            draws=draws,
            method=method,
        )
        return points

    items = {item: difference({item}) for item in sorted(now & before)}
    total = difference(now | before)
    only = sorted(now ^ before)
    note = f"scored in one year only: {', '.join(only)}" if only else None
    return Change(current.unit, total, items, note)


def _item_ids(year: UnitYear) -> set[str]:
    return set(year.fixed) | set(year.survey)


def _signed_terms(
    year: UnitYear, sign: float, items: set[str], suffix: str
) -> tuple[list[SignedTerm], dict[tuple[str, str], float]]:
    """A year's survey terms among ``items``, renamed apart from the other year's."""
    terms = [
        SignedTerm(item + suffix, sign, term) for item, term in year.survey.items() if item in items
    ]
    pairs = {
        (a + suffix, b + suffix): rho
        for (a, b), rho in year.correlation.items()
        if a in items and b in items
    }
    return terms, pairs


def ranks(
    unit_years: Sequence[UnitYear],
    *,
    rng: Seed,
    level: float = 0.95,
    draws: int = DEFAULT_DRAWS,
) -> tuple[Rank, ...]:
    """Every unit's rank by total (1 = highest) with a rank interval, best first.

    Each draw simulates every unit's survey estimates (units are independent
    samples), recomputes the totals and ranks them; the interval is the
    (1-level)/2 and (1+level)/2 quantiles of a unit's ranks over the draws, taken
    as observed ranks. Ties share the better rank (competition ranking, 1 2 2 4):
    banded rules make ties common, and a tie is not a loss. The simulation is used
    even when every rule is linear: ranks have no closed form. The caller leaves
    out units whose survey figures fail the reliability standard (DESIGN.md:
    unreliable figures are never ranked).
    """
    level = check_level(level)
    draws = check_draws(draws)
    generator = as_generator(rng)
    units = [u.unit for u in unit_years]
    if len(set(units)) != len(units):
        raise ValueError("ranks: each unit once")
    if not unit_years:
        return ()
    points = np.array([_point_total(u) for u in unit_years])
    columns = []
    for unit_year in unit_years:
        terms = [SignedTerm(item, 1.0, term) for item, term in unit_year.survey.items()]
        matrix = correlation_matrix(terms, unit_year.correlation)
        drawn = draw_terms(terms, matrix, generator, draws).sum(axis=1)
        columns.append(math.fsum(unit_year.fixed.values()) + drawn)
    simulated = _competition_ranks(np.column_stack(columns))
    alpha = 1.0 - level
    bounds = np.quantile(simulated, [alpha / 2, 1 - alpha / 2], axis=0, method="inverted_cdf")
    observed = _competition_ranks(points[np.newaxis, :])[0]
    result = [
        Rank(unit, int(observed[i]), int(bounds[0, i]), int(bounds[1, i]), float(points[i]), level)
        for i, unit in enumerate(units)
    ]
    return tuple(sorted(result, key=lambda r: (r.rank, r.unit)))


def _point_total(unit_year: UnitYear) -> float:
    terms = [SignedTerm(item, 1.0, term) for item, term in unit_year.survey.items()]
    return math.fsum(unit_year.fixed.values()) + math.fsum(t.point() for t in terms)


def _competition_ranks(totals: NDArray[np.float64]) -> NDArray[np.int64]:
    """Per row: 1 + the number of units with a strictly higher total."""
    rounded = np.round(totals, TIE_DECIMALS)
    return np.asarray(_stats.rankdata(-rounded, method="min", axis=1), dtype=np.int64)
