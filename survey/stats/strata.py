"""One stratum's summary statistics: the unit of input to every estimator.

The app aggregates in SQL (one ``GROUP BY`` gives n, sum and sum of squares per
group), so the estimators never see respondents, only these summaries. Keeping
the summary small and validated here means every estimator can trust it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Stratum"]


def _as_count(value: object, name: str) -> int:
    """Accept ints, numpy ints and integral floats (SQL drivers return either)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer count, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be an integer count, got {value!r}") from None


def _check_population(n: int, population: float | None) -> float | None:
    if population is None:
        return None
    population = float(population)
    if not math.isfinite(population):
        if population == math.inf:
            # R's survey treats fpc=Inf as "no finite population correction".
            return None
        raise ValueError(f"population must be a finite number or None, got {population!r}")
    if population < n:
        raise ValueError(
            f"population N_h={population:g} is smaller than its sample n_h={n}; "
            "a stratum cannot sample more people than it has"
        )
    return population


@dataclass(frozen=True, slots=True)
class Stratum:
    """Sample size, mean and sample variance (n-1 denominator) of one group.

    ``population`` is the group's population size N_h when known; it gives the
    finite population correction f_h = n_h/N_h and, when every stratum has one,
    the population-share weights N_h/N. For n=1 the variance is undefined and
    stored as 0; estimators treat such a stratum as a "lonely PSU".
    """

    n: int
    mean: float
    variance: float
    population: float | None = None

    def __post_init__(self) -> None:
        n = _as_count(self.n, "n")
        if n < 1:
            raise ValueError(
                f"n must be at least 1, got n={n}; leave a group without respondents "
                "out of the strata instead of passing an empty stratum"
            )
        mean = float(self.mean)
        if not math.isfinite(mean):
            raise ValueError(f"mean must be finite, got {self.mean!r}")
        variance = float(self.variance)
        if n == 1:
            if math.isnan(variance):
                variance = 0.0
            elif variance != 0.0:
                raise ValueError(
                    f"variance must be 0 (or nan) when n=1, got {self.variance!r}: "
                    "one value has no sample variance"
                )
        if not math.isfinite(variance) or variance < 0:
            raise ValueError(f"variance must be finite and >= 0, got {self.variance!r}")
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "variance", variance)
        object.__setattr__(self, "population", _check_population(n, self.population))

    @property
    def sampling_fraction(self) -> float:
        """f_h = n_h/N_h, or 0 when the population is unknown (no fpc)."""
        if self.population is None:
            return 0.0
        return self.n / self.population

    @classmethod
    def from_values(cls, values: Iterable[float], population: float | None = None) -> Stratum:
        """Build a stratum from raw respondent values (tests, small data)."""
        data = [float(v) for v in values]
        n = len(data)
        if n == 0:
            raise ValueError("values must not be empty: a stratum needs at least one value")
        mean = math.fsum(data) / n
        variance = math.fsum((v - mean) ** 2 for v in data) / (n - 1) if n > 1 else 0.0
        return cls(n, mean, variance, population)

    @classmethod
    def from_sums(
        cls,
        n: int,
        total: float,
        sum_of_squares: float,
        population: float | None = None,
    ) -> Stratum:
        """Build a stratum from what SQL computes: COUNT, SUM and SUM of squares.

        The variance is (sum_sq - total^2/n)/(n-1), computed as
        (sum_sq - mean*total) to lose as little precision as the inputs allow;
        a tiny negative from rounding (all values equal) is clamped to 0.
        """
        n = _as_count(n, "n")
        if n < 1:
            raise ValueError(f"n must be at least 1, got n={n}")
        total = float(total)
        sum_of_squares = float(sum_of_squares)
        if not (math.isfinite(total) and math.isfinite(sum_of_squares)):
            raise ValueError("total and sum_of_squares must be finite")
        if sum_of_squares < 0:
            raise ValueError(f"sum_of_squares must be >= 0, got {sum_of_squares!r}")
        mean = total / n
        if n == 1:
            return cls(1, mean, 0.0, population)
        ss = sum_of_squares - mean * total
        # Relative rounding error of the subtraction is about eps * sum_of_squares.
        if ss < 0:
            if ss < -1e-9 * max(sum_of_squares, 1.0):
                raise ValueError(
                    "sum_of_squares is smaller than total**2/n: these are not the sums "
                    f"of one set of values (n={n}, total={total!r}, "
                    f"sum_of_squares={sum_of_squares!r})"
                )
            ss = 0.0
        return cls(n, mean, ss / (n - 1), population)

    @classmethod
    def from_counts(cls, n: int, successes: int, population: float | None = None) -> Stratum:
        """Build a 0/1 stratum (e.g. "satisfied") from a count of successes."""
        n = _as_count(n, "n")
        successes = _as_count(successes, "successes")
        if n < 1:
            raise ValueError(f"n must be at least 1, got n={n}")
        if not 0 <= successes <= n:
            raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
        p = successes / n
        variance = successes * (n - successes) / (n * (n - 1)) if n > 1 else 0.0
        return cls(n, p, variance, population)
