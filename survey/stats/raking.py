"""Raking (iterative proportional fitting) of respondent weights to known margins.

Service users are reached by QR code, so who answers is not a designed sample.
When the population is known along several dimensions (e.g. transactions by
service type and by age band) but not their cross-classification, raking
adjusts the weights until every weighted margin matches its population margin.
The spread of the resulting weights costs precision; ``kish_n_effective`` and
``design_effect`` (Kish's 1 + CV^2 of the weights) say how much.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["RakeResult", "RakingError", "rake", "poststratify", "kish_n_effective"]

# Margins of different variables must describe the same population total.
_TOTAL_TOLERANCE = 1e-6


class RakingError(ValueError):
    """Raking could not produce weights (inconsistent input or no convergence)."""


@dataclass(frozen=True, slots=True)
class RakeResult:
    """Raked weights, one per respondent, in the order of the input."""

    weights: NDArray[np.float64]
    iterations: int
    max_margin_error: float
    kish_n_effective: float
    design_effect: float


def kish_n_effective(weights: Sequence[float] | NDArray[np.float64]) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2."""
    w = np.asarray(weights, dtype=float)
    ss = float(np.dot(w, w))
    if ss == 0:
        raise ValueError("weights are all zero: effective sample size is undefined")
    return float(w.sum()) ** 2 / ss


def _base(
    base_weights: Sequence[float] | NDArray[np.float64] | None, n: int
) -> NDArray[np.float64]:
    if base_weights is None:
        return np.ones(n)
    w = np.asarray(base_weights, dtype=float)
    if w.shape != (n,):
        raise RakingError(f"base_weights has shape {w.shape}, expected ({n},): one per respondent")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise RakingError("base_weights must be finite and > 0")
    return w.copy()


def _encode(
    variable: str, values: Sequence[Hashable], margin: Mapping[Hashable, float]
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Map respondent values to indices into the margin's categories."""
    keys = list(margin)
    index = {k: i for i, k in enumerate(keys)}
    targets = np.array([float(margin[k]) for k in keys])
    if not np.all(np.isfinite(targets)) or np.any(targets < 0):
        raise RakingError(f"population_margins[{variable!r}] must be finite and >= 0")
    try:
        codes = np.fromiter((index[v] for v in values), dtype=np.intp, count=len(values))
    except KeyError as exc:
        raise RakingError(
            f"respondents have {variable}={exc.args[0]!r}, which has no population margin "
            f"(population_margins[{variable!r}] has {keys!r})"
        ) from None
    present = np.bincount(codes, minlength=len(keys)) > 0
    empty = [k for k, ok, t in zip(keys, present, targets, strict=True) if not ok and t > 0]
    if empty:
        raise RakingError(
            f"population category {variable}={empty[0]!r} has no respondents, so no weight "
            "can reach its margin; merge it with a neighbouring category"
        )
    return codes, targets


def rake(
    categories: Mapping[str, Sequence[Hashable]],
    population_margins: Mapping[str, Mapping[Hashable, float]],
    *,
    base_weights: Sequence[float] | NDArray[np.float64] | None = None,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> RakeResult:
    """Rake weights so weighted counts match every population margin.

    ``categories[v]`` holds each respondent's category for variable v, and
    ``population_margins[v]`` the population count per category. Iteration
    stops when every weighted margin is within ``tol`` of its target relative
    to the population total (the same fixed point as R's ``survey::rake``).
    Raises :class:`RakingError` when the margins disagree on the population
    total, a respondent category has no margin, a populated category has no
    respondent, or the margins are not reached within ``max_iter`` sweeps.
    """
    if not categories:
        raise RakingError("categories must name at least one variable")
    if set(categories) != set(population_margins):
        raise RakingError(
            f"categories has variables {sorted(categories)} but population_margins has "
            f"{sorted(population_margins)}; they must match"
        )
    if max_iter < 1:
        raise RakingError(f"max_iter must be >= 1, got {max_iter}")
    if not tol > 0:
        raise RakingError(f"tol must be > 0, got {tol}")
    lengths = {v: len(vals) for v, vals in categories.items()}
    n = next(iter(lengths.values()))
    if n == 0 or any(length != n for length in lengths.values()):
        raise RakingError(
            f"every variable needs one value per respondent (at least one); got lengths {lengths}"
        )
    encoded = {v: _encode(v, categories[v], population_margins[v]) for v in categories}
    totals = {v: float(t.sum()) for v, (_, t) in encoded.items()}
    reference = next(iter(totals.values()))
    if reference <= 0:
        raise RakingError("population margins sum to 0")
    if any(abs(t - reference) > _TOTAL_TOLERANCE * reference for t in totals.values()):
        raise RakingError(
            f"population margins give different totals {totals}; every variable's "
            "margin must add up to the same population"
        )
    w = _base(base_weights, n)
    error = math.inf
    for iteration in range(1, max_iter + 1):
        for codes, targets in encoded.values():
            current = np.bincount(codes, weights=w, minlength=len(targets))
            factor = np.divide(targets, current, out=np.zeros_like(targets), where=current > 0)
            w *= factor[codes]
        error = (
            max(
                float(np.max(np.abs(np.bincount(c, weights=w, minlength=len(t)) - t)))
                for c, t in encoded.values()
            )
            / reference
        )
        if error < tol:
            return _result(w, iteration, error)
    raise RakingError(
        f"raking did not converge in max_iter={max_iter} sweeps (largest margin error "
        f"{error:.3g} of the total); the margins may be incompatible with the sample "
        "(e.g. a combination nobody in the sample has)"
    )


def poststratify(
    categories: Sequence[Hashable],
    population: Mapping[Hashable, float],
    *,
    base_weights: Sequence[float] | NDArray[np.float64] | None = None,
) -> RakeResult:
    """Post-stratify on one variable: scale weights so each cell hits its count."""
    return rake({"cell": categories}, {"cell": population}, base_weights=base_weights, max_iter=2)


def _result(w: NDArray[np.float64], iterations: int, error: float) -> RakeResult:
    n_eff = kish_n_effective(w)
    return RakeResult(
        weights=w,
        iterations=iterations,
        max_margin_error=error,
        kish_n_effective=n_eff,
        design_effect=len(w) / n_eff,
    )
