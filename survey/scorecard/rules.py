"""Scoring rules: how a number (a survey index, a data value) becomes an item's points.

Two shapes cover the practice of the evaluation schemes: points rising (or
falling) in a straight line between two values and flat beyond them ("90 or more
gets the full 8 points, 50 or less gets none"), and bands ("90-100: 7 points,
85-90: 6 ..."). Rules work on numpy arrays so that :mod:`survey.stats.composite`
can push thousands of simulated survey indices through them at once; they satisfy
its ``PointsRule`` protocol (``points`` and ``linear_piece``) without importing it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..stats.propagation import LinearPiece

__all__ = ["Band", "BandsRule", "LinearRule", "Rule"]


@dataclass(frozen=True, slots=True)
class LinearRule:
    """``low_points`` at ``low`` and below, ``high_points`` at ``high`` and above, a line between.

    ``low < high`` always (the parser sorts the two stated points); the points may
    fall from low to high, for a data value where less is better (over-staffing).
    """

    low: float
    low_points: float
    high: float
    high_points: float

    @property
    def slope(self) -> float:
        return (self.high_points - self.low_points) / (self.high - self.low)

    @property
    def linear_piece(self) -> LinearPiece:
        """The sloped segment: where the delta method is exact for an estimate inside it."""
        return LinearPiece(
            low=self.low,
            high=self.high,
            intercept=self.low_points - self.slope * self.low,
            slope=self.slope,
        )

    def points(self, values: ArrayLike) -> NDArray[np.float64]:
        """Points for each value (clamped to the two ends)."""
        x = np.clip(np.asarray(values, dtype=np.float64), self.low, self.high)
        return self.low_points + self.slope * (x - self.low)

    def points_of(self, value: float) -> float:
        """Points for one value."""
        return float(self.points(value))

    @property
    def best(self) -> float:
        return max(self.low_points, self.high_points)

    @property
    def worst(self) -> float:
        return min(self.low_points, self.high_points)

    @property
    def is_non_decreasing(self) -> bool:
        return self.high_points >= self.low_points


@dataclass(frozen=True, slots=True)
class Band:
    """Values from ``low`` (inclusive) to ``high`` (exclusive) get ``points``.

    The top band of a rule also takes its upper end (an index of exactly 100 is in
    "90-100"); ``low = -inf`` or ``high = inf`` mark an open end of a data value.
    """

    low: float
    high: float
    points: float


@dataclass(frozen=True, slots=True)
class BandsRule:
    """Contiguous bands in ascending order, tiling the item's range of values.

    The parser refuses overlaps and gaps, so every value has exactly one band; a
    value outside the range takes the nearest end band.
    """

    bands: tuple[Band, ...]

    @property
    def linear_piece(self) -> None:
        """Bands are steps: the delta method does not apply, see survey.stats.composite."""
        return None

    def points(self, values: ArrayLike) -> NDArray[np.float64]:
        """Points for each value: the band whose lower end is the last at or below it."""
        x = np.asarray(values, dtype=np.float64)
        edges = np.array([b.low for b in self.bands[1:]], dtype=np.float64)
        table = np.array([b.points for b in self.bands], dtype=np.float64)
        return table[np.searchsorted(edges, x, side="right")]

    def points_of(self, value: float) -> float:
        """Points for one value."""
        return float(self.points(value))

    @property
    def best(self) -> float:
        return max(b.points for b in self.bands)

    @property
    def worst(self) -> float:
        return min(b.points for b in self.bands)

    @property
    def is_non_decreasing(self) -> bool:
        return all(a.points <= b.points for a, b in zip(self.bands, self.bands[1:], strict=False))


Rule = LinearRule | BandsRule


def describe_band(band: Band) -> str:
    """``[80, 90)`` for messages; open ends as -inf/inf."""

    def end(x: float) -> str:
        return ("-inf" if x < 0 else "inf") if math.isinf(x) else f"{x:g}"

    return f"[{end(band.low)}, {end(band.high)})"
