"""Which cells of a breakdown are withheld beside their totals (complementary suppression).

A breakdown (a unit by group, by channel, by service point, by month ...)
is shown next to its total: the unit's own figure, a year's. Where one
cell is suppressed for having fewer than k respondents, the others and the
total would give it away by subtraction, so further cells of the same total
are withheld by :func:`survey.stats.complementary_suppression`.

The totals of a row are the cells with the breakdown's last key dropped (a
unit by group: the unit); for months also their quarter and year, and for
quarters their year, which the trend charts and the period filter show.
Withholding a cell for one total can leave another total with a single
withheld cell, so the rule is applied until nothing changes (it only ever
adds cells, so it ends).

What this does not promise: two different breakdowns of one total (by
channel and by service point) are each protected against the total, not
against each other's intersections, which are never shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..stats import Estimate, complementary_suppression

if TYPE_CHECKING:  # service imports this module
    from .estimates import GroupRow, ResultRow

# The CellKey attribute that identifies a cell along each key of ``by``.
_ATTRIBUTE = {"unit": "unit_id", "service_point": "service_point_id"}


def _quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) + 2) // 3}"


# Coarser periods a time cell lies in, each a total shown elsewhere.
_PERIOD_TOTALS: dict[str, tuple[Callable[[str], str], ...]] = {
    "month": (_quarter_of, lambda month: month[:4]),
    "quarter": (lambda quarter: quarter[:4],),
}


def total_keys(by: Sequence[str]) -> list[Callable[[ResultRow], tuple[Any, ...]]]:
    """Functions giving each row's totals, one per kind of total (none for a single key)."""
    keys = [key for key in by if key != "indicator"]
    if len(keys) < 2:
        return []
    *parents, last = keys
    attributes = ["indicator", *(_ATTRIBUTE.get(key, key) for key in parents)]

    def parent(row: ResultRow) -> tuple[Any, ...]:
        return tuple(getattr(row, attribute) for attribute in attributes)

    found: list[Callable[[ResultRow], tuple[Any, ...]]] = [parent]
    for coarser in _PERIOD_TOTALS.get(last, ()):
        found.append(_within(parent, coarser, last))
    return found


def _within(
    parent: Callable[[ResultRow], tuple[Any, ...]], coarser: Callable[[str], str], last: str
) -> Callable[[ResultRow], tuple[Any, ...]]:
    """A row's total in a coarser period (a month's quarter or year) beside its parent."""

    def key(row: ResultRow) -> tuple[Any, ...]:
        return (*parent(row), coarser(getattr(row, last) or ""))

    return key


def protect_siblings(rows: list[ResultRow], by: Sequence[str], k: int) -> list[ResultRow]:
    """``rows`` with the cells complementary suppression withholds beside their totals."""
    totals = total_keys(by)
    if not totals or k <= 0:
        return rows
    withheld = {i for i, row in enumerate(rows) if row.suppressed}
    if not withheld:
        return rows
    changed = True
    while changed:
        changed = False
        for total_of in totals:
            families: dict[tuple[Any, ...], list[int]] = {}
            for i, row in enumerate(rows):
                families.setdefault(total_of(row), []).append(i)
            for members in families.values():
                sizes = {i: rows[i].n for i in members}
                found = complementary_suppression(sizes, k, withheld=withheld & set(members))
                if found - withheld:
                    withheld |= found
                    changed = True
    return [
        row if row.suppressed or i not in withheld else withheld_row(row, k)
        for i, row in enumerate(rows)
    ]


def _withheld(estimate: Estimate, k: int) -> Estimate:
    return Estimate.suppressed(
        n=estimate.n,
        k=k,
        level=estimate.level,
        method=estimate.method,
        complementary=estimate.n >= k,
    )


def withheld_group(group: GroupRow, k: int) -> GroupRow:
    """A group's row with its figures withheld (complementary where its n reaches k)."""
    if group.suppressed:
        return group
    return dataclasses.replace(
        group,
        index=_withheld(group.index, k),
        share_satisfied=_withheld(group.share_satisfied, k),
        suppressed=True,
    )


def withheld_row(row: ResultRow, k: int) -> ResultRow:
    """A row (of k or more respondents) withheld beside a smaller sibling, its groups too."""
    return dataclasses.replace(
        row,
        index=_withheld(row.index, k),
        share_satisfied=_withheld(row.share_satisfied, k),
        suppressed=True,
        groups=tuple(withheld_group(g, k) for g in row.groups),
    )
