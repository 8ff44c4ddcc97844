"""Connected sets of pivot vectors, and the rows that one of them alone touches.

The audit's search for light derivable vectors (:func:`.audit.light_combinations`)
tries every connected set of pivots weighing less than k, and first rules most
of them out by a lower bound: rows touched by exactly one chosen pivot cannot
cancel. A busy unit's service users give hundreds of thousands of such sets, so
both are written to cost little per set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["RowsAlone", "connected_sets"]

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


class RowsAlone:
    """The weight of the rows that exactly one of a set of pivot vectors touches.

    Asked of every connected set of pivots (hundreds of thousands for a busy
    unit's service users), so kept as bit sets: each pivot's rows as one
    integer, and the rows of each weight as another.
    """

    def __init__(self, touching: Floats, weights: Ints) -> None:
        self.touches = [_bits(column) for column in (touching != 0).T]
        self.of_weight = [(int(w), _bits(weights == w)) for w in np.unique(weights)]

    def weight(self, chosen: Sequence[int]) -> int:
        once = several = 0
        for j in chosen:
            rows = self.touches[j]
            several |= once & rows
            once = (once ^ rows) & ~several
        return sum(w * (once & rows).bit_count() for w, rows in self.of_weight)


def _bits(mask: Bools) -> int:
    """A boolean vector as an integer whose bit i is mask[i]."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def connected_sets(neighbours: list[set[int]], weights: list[int], k: int
                   ) -> Iterator[list[int]]:
    """Every connected set of vertices weighing less than k, once each (Wernicke's ESU)."""

    def extend(chosen: list[int], frontier: list[int], reach: set[int], first: int,
               weight: int) -> Iterator[list[int]]:
        yield chosen
        pending = list(frontier)
        while pending:
            w = pending.pop(0)
            if weight + weights[w] >= k:
                continue
            new = sorted(u for u in neighbours[w] if u > first and u not in reach)
            yield from extend([*chosen, w], pending + new, reach | set(new) | {w}, first,
                              weight + weights[w])

    for v in range(len(weights)):
        if weights[v] < k:
            start = sorted(u for u in neighbours[v] if u > v)
            yield from extend([v], start, {v, *start}, v, weights[v])
