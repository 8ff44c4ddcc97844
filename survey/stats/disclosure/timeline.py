"""Disclosure control of a one-cell table: a group over the time hierarchy alone, solved exactly.

Most (unit, group) tables have a single cell: the deputies, the CPPCC
members, the experts of a unit are reached by one channel (a phone call, a
personal link) at no service point, and so are the served public of a unit
with one counter and one way to answer. Such a table is a tree of periods
(the whole campaign, its years, their quarters, their months), and the
general search of :mod:`.protect` (an audit by linear algebra, a greedy
perturbation, audit again) spent two milliseconds on each: 7,900 of them
held a fresh worker's first results page of 1,000 units for nine seconds.

On a tree the rule needs no linear algebra. Take the published periods; for
each, its *residual* is its months less those of its largest published
periods below it. The residuals are disjoint and every published period is
a sum of residuals (and each residual a difference of published periods), so
the combinations of published periods are exactly the combinations of
residuals, and such a combination rests on the respondents of the residuals
it uses. Hence the rule "no nonzero combination of published nodes rests on
fewer than k respondents" is: **every published period's residual holds no
respondent or at least k.** (A quarter published beside two of its three
months gives the third month away: its residual is that month.)

Which periods to withhold beyond the primary ones (0 < n < k) is then a
small dynamic programme over the tree, solved to the optimum of the same
price the general search uses (a node's n, then one per node, then coarser
dearer than finer, times the number of nodes showing that period: a group's
whole-campaign figure is also its channel's and its point's). The state of a
subtree is its *deficit*, the respondents of its months that no published
period inside it covers, capped at k: a published period needs its
children's deficits to add up to 0 or to k or more, and covers them all; a
withheld one passes their sum up. So the pattern withholds nothing the
general search would not also have to pay for, and sometimes less (the
greedy search is not optimal: 55 of 400 random tables in the tests' kind).
On a tie a period is published rather than withheld, and of two months alike
the earlier is withheld, as the general search chooses. The tests attack
every pattern with an attacker written apart from this code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from .table import periods_of

__all__ = ["TimelinePattern", "protect_timeline"]

PER_RESPONDENT = 1024  # as in .protect: n outweighs the per-node and per-level terms


@dataclass(frozen=True, slots=True)
class TimelinePattern:
    """The periods a one-cell table withholds: below k (primary), and beside them (secondary)."""

    primary: frozenset[str]
    secondary: frozenset[str]
    sizes: Mapping[str, int]  # every period holding respondents: its n

    @property
    def withheld(self) -> frozenset[str]:
        return self.primary | self.secondary


# A subtree as the programme sees it, with no names: (n, level, nodes showing it, children).
# Subtrees alike share their solution (a quarter of months of 1, 2 and 1 respondents is
# solved once for every table that has one).
_Shape = tuple[int, int, int, tuple["_Shape", ...]]
# Per capped deficit: the least price, whether the period is published, the children's deficits.
_Options = dict[int, tuple[int, bool, tuple[int, ...]]]


# A period with its name, its shape and its children, for walking the solution down.
_Named = tuple[str, _Shape, tuple["_Named", ...]]


def _tree(counts: Mapping[str, int], copies: Mapping[str, int]) -> tuple[_Named, dict[str, int]]:
    """The periods holding respondents as a tree of named shapes, and every period's n.

    Written as plain loops over plain tuples: a first results page builds
    this for thousands of tables.
    """
    nested: dict[str, dict[str, dict[str, int]]] = {}
    for month in sorted(counts):
        if counts[month] > 0:
            _, quarter, year, _ = periods_of(month)
            nested.setdefault(year, {}).setdefault(quarter, {})[month] = counts[month]
    sizes: dict[str, int] = {}
    shown = copies.get
    years: list[_Named] = []
    for year, quarters in nested.items():
        inside: list[_Named] = []
        year_n = 0
        for quarter, months in quarters.items():
            leaves = tuple((m, (n, 0, shown(m, 0), ()), ()) for m, n in months.items())
            sizes.update(months)
            n = sum(months.values())
            sizes[quarter] = n
            year_n += n
            inside.append(
                (quarter, (n, 1, shown(quarter, 0), tuple(leaf[1] for leaf in leaves)), leaves)
            )
        sizes[year] = year_n
        years.append(
            (year, (year_n, 2, shown(year, 0), tuple(q[1] for q in inside)), tuple(inside))
        )
    total = sum(sizes[year] for year in nested)
    sizes["all"] = total
    return ("all", (total, 3, shown("all", 0), tuple(y[1] for y in years)), tuple(years)), sizes


@lru_cache(maxsize=1 << 15)
def _options(shape: _Shape, k: int) -> _Options:
    """A subtree's least price for each deficit it may pass up (capped at k), and how.

    Never mutated: the answer is shared by every subtree of the same shape.
    """
    n, level, shown, children = shape
    sums: dict[int, tuple[int, tuple[int, ...]]] = {min(k, n): (0, ())}
    if children:
        sums = {0: (0, ())}
        for child in children:
            merged: dict[int, tuple[int, tuple[int, ...]]] = {}
            # the child's smaller deficits first: on a tie the earlier child is withheld
            for deficit, (price, _, _) in sorted(_options(child, k).items()):
                for total in sorted(sums):
                    cost, chosen = sums[total]
                    at = min(k, total + deficit)
                    if at not in merged or cost + price < merged[at][0]:
                        merged[at] = (cost + price, (*chosen, deficit))
            sums = merged
    choosable = shown > 0 and not 0 < n < k
    price = shown * (n * PER_RESPONDENT + 1 + level) if choosable else 0
    options = {d: (cost + price, False, chosen) for d, (cost, chosen) in sums.items()}
    if choosable:  # published: its residual holds nobody, or k or more
        covers = [sums[d] for d in (0, k) if d in sums]
        if covers:
            cost, chosen = min(covers, key=lambda option: option[0])
            if 0 not in options or cost <= options[0][0]:
                options[0] = (cost, True, chosen)
    return options


def _withheld(period: _Named, deficit: int, k: int, out: set[str]) -> None:
    """Walk the chosen options down the tree, collecting the secondary periods."""
    name, shape, children = period
    cost, published, chosen = _options(shape, k)[deficit]
    if cost == 0:  # every secondary period has a price: none in here
        return
    n, _, shown, _ = shape
    if not published and shown > 0 and not 0 < n < k:
        out.add(name)
    for child, child_deficit in zip(children, chosen, strict=True):
        _withheld(child, child_deficit, k, out)


def protect_timeline(
    counts: Mapping[str, int], *, k: int, copies: Mapping[str, int]
) -> TimelinePattern:
    """Withhold the periods of a one-cell table that disclosure control requires.

    ``counts``: respondents per month ("YYYY-MM"). ``copies``: per period
    ("all", "2026", "2026-Q2", "2026-05"), how many candidate nodes show it
    (the group's figure, and for "all" its channel's and its point's too);
    a period with none is never published and never counted as withheld.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be an integer >= 0, got {k!r}")
    root, sizes = _tree(counts, copies)
    primary = frozenset(name for name, n in sizes.items() if copies.get(name, 0) > 0 and 0 < n < k)
    if k <= 1 or not root[2]:
        return TimelinePattern(primary, frozenset(), sizes)
    options = _options(root[1], k)
    best = min(options, key=lambda d: (options[d][0], d))
    secondary: set[str] = set()
    _withheld(root, best, k, secondary)
    return TimelinePattern(primary, frozenset(secondary), sizes)
