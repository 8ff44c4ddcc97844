"""Turn strata plus optional policy weights into stratum weights W_h summing to 1.

Two sources of weights exist in an evaluation: population shares N_h/N (the
design weights of a stratified sample) and policy weights chosen by the
evaluator (e.g. "deputies count 20%"). Both end up as W_h over the strata that
actually have respondents, which is what R's survey package sees for a design
with weights W_h/n_h.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .strata import Stratum

__all__ = ["stratum_weights"]


def stratum_weights(
    strata: Mapping[str, Stratum], weights: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Return W_h for every stratum in ``strata``, normalised to sum to 1.

    ``weights=None`` means population shares, so every stratum needs a
    population. Given weights are renormalised over the strata present:
    weights of absent strata are ignored, which is how a policy weight for a
    group nobody answered in drops out instead of biasing the rest.
    """
    if not strata:
        raise ValueError("strata must contain at least one stratum")
    for name, stratum in strata.items():
        if not isinstance(stratum, Stratum):
            raise TypeError(f"strata[{name!r}] must be a Stratum, got {type(stratum).__name__}")
    if weights is None:
        missing = [name for name, s in strata.items() if s.population is None]
        if missing:
            raise ValueError(
                "weights=None means population-share weights N_h/N, but strata "
                f"{', '.join(map(repr, missing))} have no population; give each "
                "stratum a population or pass policy weights"
            )
        raw = {name: float(s.population) for name, s in strata.items()}  # type: ignore[arg-type]
    else:
        missing = [name for name in strata if name not in weights]
        if missing:
            raise ValueError(
                f"weights has no entry for strata {', '.join(map(repr, missing))}; "
                "every stratum with respondents needs a weight (use 0 to exclude one)"
            )
        raw = {}
        for name in strata:
            w = float(weights[name])
            if not math.isfinite(w) or w < 0:
                raise ValueError(
                    f"weights[{name!r}]={weights[name]!r} is not allowed: "
                    "weights must be finite and >= 0"
                )
            raw[name] = w
    total = math.fsum(raw.values())
    if total <= 0:
        raise ValueError(
            "weights of the strata present are all zero, so there is nothing to "
            f"combine (strata: {', '.join(map(repr, strata))})"
        )
    return {name: w / total for name, w in raw.items()}
