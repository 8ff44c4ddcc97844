"""Year on year on the same groups: a change that is not a change of group mix.

Weights are renormalised over the groups present in a period. If a unit had
CPPCC members but no retirees in 2024 and the reverse in 2025, each year's
index is a different mixture, and their difference mixes the change of
opinion with the change of who answered. Direct standardisation (the
epidemiologist's age-standardised rate; Kalton, *Standardization: a technique
to control for extraneous variables*, Applied Statistics 17, 1968) removes
it: both periods are estimated on the groups present in *both*, with one
set of weights, so the difference is a change within the same groups.

What the reader loses is said beside the figure: the groups left out and
that the group mix changed (``mix_changed``), so a change computed on three
groups is never read as the change of the whole unit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .difference import Verdict, difference, verdict
from .estimate import Estimate
from .means import stratified_mean
from .strata import Stratum
from .weights import stratum_weights

__all__ = ["GroupChange", "same_groups_change"]

Estimator = Callable[[Mapping[str, Stratum], Mapping[str, float] | None], Estimate]


@dataclass(frozen=True, slots=True)
class GroupChange:
    """Two periods estimated on their common groups with the same weights, and the change.

    ``groups`` are the groups compared (present in both periods, with a
    weight above 0), ``only_before``/``only_after`` those left out, and
    ``weights`` the standardised W_h used for both periods. ``mix_changed``
    is True when any group was left out; ``note`` says which, in English.
    """

    before: Estimate
    after: Estimate
    change: Estimate
    verdict: Verdict
    groups: tuple[str, ...]
    only_before: tuple[str, ...]
    only_after: tuple[str, ...]
    weights: dict[str, float]
    mix_changed: bool
    note: str | None


def _standard_weights(
    common: list[str],
    before: Mapping[str, Stratum],
    after: Mapping[str, Stratum],
    weights: Mapping[str, float] | None,
) -> dict[str, float]:
    """One set of W_h for both periods: the given weights, or the later period's N_h shares."""
    if weights is None:
        return stratum_weights({h: after[h] for h in common})
    missing = [h for h in common if h not in weights]
    if missing:
        raise ValueError(
            f"weights has no entry for groups {', '.join(map(repr, missing))} present in "
            "both periods; give every group a weight (0 leaves it out)"
        )
    return stratum_weights({h: after[h] for h in common}, {h: weights[h] for h in common})


def same_groups_change(
    before: Mapping[str, Stratum],
    after: Mapping[str, Stratum],
    weights: Mapping[str, float] | None = None,
    *,
    estimator: Estimator = stratified_mean,
    level: float | None = None,
) -> GroupChange:
    """after - before, both estimated on the groups present in both periods with the same weights.

    ``weights`` are policy weights (renormalised over the common groups) or
    None for the later period's population shares N_h/N, applied to both
    periods. ``estimator`` is called as ``estimator(strata, weights)`` for
    each period: :func:`stratified_mean` by default (the published index), or
    e.g. ``functools.partial(stratified_proportion, method="logit")``. The
    change is :func:`difference` (independent samples) with its
    :func:`verdict`; ``level`` defaults to the estimates' level.
    """
    common = [h for h in after if h in before]
    only_before = tuple(h for h in before if h not in after)
    only_after = tuple(h for h in after if h not in before)
    left_out: list[str] = []
    if only_before:
        left_out.append(f"{', '.join(map(repr, only_before))} (earlier period only)")
    if only_after:
        left_out.append(f"{', '.join(map(repr, only_after))} (later period only)")
    if not common:
        why = "no group answered in both periods, so no change on the same groups can be given"
        n = sum(s.n for s in before.values()) + sum(s.n for s in after.values())
        missing = Estimate.unavailable(
            n=n,
            level=level if level is not None else 0.95,
            method="same-groups comparison",
            note=why,
            reason="no_common_groups",
        )
        return GroupChange(
            missing, missing, missing, "not_available", (), only_before, only_after, {}, True, why
        )
    w = _standard_weights(common, before, after, weights)
    groups = tuple(h for h in common if w[h] > 0)
    first = estimator({h: before[h] for h in common}, w)
    second = estimator({h: after[h] for h in common}, w)
    change = difference(second, first, level=level)
    note = None
    if left_out:
        note = (
            f"group mix changed: compared on the groups present in both periods "
            f"({', '.join(map(repr, groups))}) with the same weights; left out "
            + " and ".join(left_out)
        )
        change = change.with_note(note)
    return GroupChange(
        before=first,
        after=second,
        change=change,
        verdict=verdict(change),
        groups=groups,
        only_before=only_before,
        only_after=only_after,
        weights={h: w[h] for h in groups},
        mix_changed=bool(left_out),
        note=note,
    )
