"""Sampling error through scoring rules: the points of estimates, and sums of them.

An item fed by a survey gets the points of an *estimate*; this module carries the
estimate's standard error through the item's rule and through sums of such
items (a unit's total, the change between two years), by the delta method where
every rule is linear around its estimate and by simulation otherwise. See
:mod:`survey.stats.composite` for why each, and for the functions built on it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special as _special

from .design import t_quantile
from .difference import Verdict
from .estimate import Estimate

__all__ = [
    "DEFAULT_DRAWS",
    "LINEAR_TAIL",
    "TIE_DECIMALS",
    "LinearPiece",
    "Method",
    "MethodChoice",
    "Points",
    "PointsRule",
    "Seed",
    "SignedTerm",
    "SurveyTerm",
    "as_generator",
    "check_draws",
    "correlation_matrix",
    "draw_terms",
    "signed_sum",
]

DEFAULT_DRAWS = 20_000
# A linear rule is treated as linear when less than this share of the estimate's
# t distribution lies beyond the rule's sloped segment (the clamp then touches only
# draws far outside the 2.5% tails an interval reads).
LINEAR_TAIL = 0.001
# Totals are compared after rounding to this many decimals, so that 0.1 + 0.2 and
# 0.3 rank as a tie, as an evaluator adding points by hand would see them.
TIE_DECIMALS = 9

Method = Literal["fixed", "delta", "simulation"]
MethodChoice = Literal["auto", "simulation"]
Seed = int | np.random.Generator


@dataclass(frozen=True, slots=True)
class LinearPiece:
    """Where a rule is a straight line: points = intercept + slope * value on [low, high]."""

    low: float
    high: float
    intercept: float
    slope: float


class PointsRule(Protocol):
    """What the composite needs of a scoring rule (survey.scorecard.rules has two)."""

    def points(self, values: ArrayLike) -> NDArray[np.float64]: ...

    @property
    def linear_piece(self) -> LinearPiece | None: ...


@dataclass(frozen=True, slots=True)
class SurveyTerm:
    """A survey-fed item: the estimate (on the rule's scale) and the rule giving its points."""

    estimate: Estimate
    rule: PointsRule


@dataclass(frozen=True, slots=True)
class Points:
    """Points with their interval: an item's, a total's, or a change's.

    ``se`` is the delta-method standard error, or the standard deviation of the
    draws under simulation; ``df`` is given only for the delta method (t interval).
    A fixed quantity has ``low == high == points``.
    """

    points: float
    low: float
    high: float
    se: float
    df: float | None
    level: float
    method: Method

    @property
    def verdict(self) -> Verdict:
        """For a change: "higher"/"lower" when the interval excludes 0, else "no_clear_change"."""
        if self.low > 0:
            return "higher"
        if self.high < 0:
            return "lower"
        return "no_clear_change"


# --- sums of survey terms ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignedTerm:
    """A survey term in a sum, with its sign (-1 for last year's in a change) and a name
    (the item id, made unique per year) by which correlations refer to it."""

    item: str
    sign: float
    term: SurveyTerm

    @property
    def est(self) -> float:
        value = self.term.estimate.estimate
        assert value is not None  # UnitYear refuses suppressed estimates
        return value

    @property
    def se(self) -> float:
        return self.term.estimate.se or 0.0

    @property
    def df(self) -> float:
        return self.term.estimate.df or math.inf

    def point(self) -> float:
        return self.sign * float(self.term.rule.points(self.est))

    def linear_slope(self) -> float | None:
        """The rule's slope when the estimate stays on the linear piece, else None."""
        if self.se == 0:
            return 0.0
        piece = self.term.rule.linear_piece
        if piece is None:
            return None
        below = _special.stdtr(self.df, (piece.low - self.est) / self.se)
        above = _special.stdtr(self.df, (self.est - piece.high) / self.se)
        return piece.slope if below + above < LINEAR_TAIL else None


def as_generator(rng: Seed) -> np.random.Generator:
    """A Generator from a seed or a Generator (SPEC 7): the caller decides the randomness."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, int):
        raise TypeError(f"rng must be an int seed or a numpy Generator, got {type(rng).__name__}")
    return np.random.default_rng(rng)


def check_draws(draws: int) -> int:
    """At least 1000 draws: fewer make the 2.5% quantile a matter of a couple of draws."""
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1000:
        raise ValueError(f"draws must be a whole number of at least 1000, got {draws!r}")
    return draws


def correlation_matrix(
    terms: Sequence[SignedTerm], correlation: Mapping[tuple[str, str], float]
) -> NDArray[np.float64] | None:
    """The correlation matrix of the terms' estimates, or None when all are independent."""
    if not any(correlation.values()):
        return None
    index = {t.item: i for i, t in enumerate(terms)}
    matrix = np.eye(len(terms))
    for (a, b), rho in correlation.items():
        if a in index and b in index:
            matrix[index[a], index[b]] = matrix[index[b], index[a]] = rho
    if np.linalg.eigvalsh(matrix).min() < -1e-12:
        raise ValueError("the correlations given are not a valid correlation matrix")
    return matrix


def _delta(
    constant: float,
    terms: Sequence[SignedTerm],
    slopes: Sequence[float],
    matrix: NDArray[np.float64] | None,
    level: float,
) -> Points:
    """Closed form for a sum of linear terms: t interval, Welch-Satterthwaite df."""
    point = constant + math.fsum(t.point() for t in terms)
    b = np.array([t.sign * s * t.se for t, s in zip(terms, slopes, strict=True)])
    corr = matrix if matrix is not None else np.eye(len(terms))
    variance = float(b @ corr @ b)
    if variance <= 0:
        return Points(point, point, point, 0.0, None, level, "fixed")
    parts = [(float(x * x), t.df) for x, t in zip(b, terms, strict=True) if x != 0]
    if matrix is not None or len(parts) == 1:
        df = min(d for _, d in parts)
    else:
        denominator = math.fsum(v * v / d for v, d in parts)
        df = variance * variance / denominator if denominator > 0 else math.inf
    se = math.sqrt(variance)
    half = t_quantile(level, df) * se
    return Points(point, point - half, point + half, se, df, level, "delta")


def draw_terms(
    terms: Sequence[SignedTerm],
    matrix: NDArray[np.float64] | None,
    generator: np.random.Generator,
    draws: int,
) -> NDArray[np.float64]:
    """Signed simulated points, one column per term (estimate + se * T_df through the rule)."""
    if not terms:
        return np.zeros((draws, 0))
    dfs = np.array([t.df for t in terms])
    if matrix is None:
        t_draws = np.column_stack(
            [
                generator.standard_t(df, draws)
                if math.isfinite(df)
                else generator.standard_normal(draws)
                for df in dfs
            ]
        )
    else:
        z = generator.standard_normal((draws, len(terms))) @ _cholesky(matrix).T
        t_draws = _special.stdtrit(dfs, _special.ndtr(z))
    columns = [
        t.sign * t.term.rule.points(t.est + t.se * t_draws[:, i]) for i, t in enumerate(terms)
    ]
    return np.column_stack(columns)


def _cholesky(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """A factor L with L L' = matrix, also for a singular one (correlation exactly 1)."""
    values, vectors = np.linalg.eigh(matrix)
    return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)), dtype=np.float64)


def _from_draws(point: float, totals: NDArray[np.float64], level: float) -> Points:
    """The interval as observed quantiles of the draws (a banded total's bounds can happen)."""
    alpha = 1.0 - level
    low, high = np.quantile(totals, [alpha / 2, 1 - alpha / 2], method="inverted_cdf")
    spread = float(np.std(totals, ddof=1))
    if spread == 0:
        return Points(point, point, point, 0.0, None, level, "fixed")
    return Points(point, float(low), float(high), spread, None, level, "simulation")


def signed_sum(
    constant: float,
    terms: Sequence[SignedTerm],
    correlation: Mapping[tuple[str, str], float],
    *,
    level: float,
    generator: np.random.Generator,
    draws: int,
    method: MethodChoice,
) -> tuple[Points, NDArray[np.float64] | None]:
    """constant + sum of signed survey terms, with its interval; the draws if simulated."""
    matrix = correlation_matrix(terms, correlation)
    slopes = [t.linear_slope() for t in terms]
    if method == "auto" and all(s is not None for s in slopes):
        return _delta(constant, terms, [s or 0.0 for s in slopes], matrix, level), None
    point = constant + math.fsum(t.point() for t in terms)
    totals = constant + draw_terms(terms, matrix, generator, draws).sum(axis=1)
    return _from_draws(point, totals, level), totals
