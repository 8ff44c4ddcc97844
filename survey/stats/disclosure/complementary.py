"""Complementary (secondary) cell suppression: a small cell cannot be worked out by subtraction.

Suppressing a cell with fewer than k respondents is not enough when its
siblings and their total are shown: a unit's figure and all but one of its
groups', or channels', or months', give the missing one by subtraction (with
the weights or counts printed beside them, exactly). The standard remedy in
statistical disclosure control (Hundepool et al., *Statistical Disclosure
Control*, Wiley 2012, section 4.2, "secondary suppression") is to withhold
further cells of the same total until what is withheld cannot be pinned
down: here, until at least two cells are withheld and together they hold at
least k respondents, so that subtraction yields only a pooled figure of k or
more people, which the small-cell rule would have shown anyway.

The cells added are the smallest that remain, which costs the least
information. Pure Python: the results layer calls it once per total.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

__all__ = ["complementary_suppression"]

K = TypeVar("K", bound=Hashable)


def complementary_suppression(
    sizes: Mapping[K, int], k: int, withheld: Iterable[K] = ()
) -> set[K]:
    """The cells to withhold among siblings of one total, given each cell's number of respondents.

    ``sizes`` maps each sibling cell to its n (cells with no respondent are
    not cells: leave them out); ``withheld`` names cells already withheld for
    another total they belong to. Returns those, the cells with n < k
    (primary suppression) and, where any is withheld, the fewest further
    cells, smallest first (ties in the order given), that make at least two
    withheld cells holding at least k respondents together, or all cells
    when that is not possible. With k = 0 nothing is withheld for size.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got k={k}")
    hidden = {cell for cell in withheld if cell in sizes}
    hidden |= {cell for cell, n in sizes.items() if n < k}
    if not hidden:
        return hidden
    rest = sorted(
        (cell for cell in sizes if cell not in hidden),
        key=lambda cell: sizes[cell],
    )
    while rest and (len(hidden) < 2 or sum(sizes[c] for c in hidden) < k):
        hidden.add(rest.pop(0))
    return hidden
