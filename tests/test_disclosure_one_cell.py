"""The results' shortcut for one-cell tables says what the general protection says, part by part.

A (unit, group) table of one channel at one point is protected without
building the table's arrays (``GroupTable.of_one_cell``); every part a page
may ask about (each month, quarter, year and the whole campaign, the
channel's and the point's figure) must be shown or withheld exactly as by
``protect_table`` with the same candidate nodes.
"""

from __future__ import annotations

import random

import pytest

from survey.results.protection import GroupTable, _protect
from survey.results.table_counts import TableCounts, fingerprint
from survey.stats.disclosure import Atom, Node, periods_of, protect_table

MONTHS = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]


def as_read(counts: dict[Atom, int]) -> TableCounts:
    """The counts as the summaries hand them over."""
    rows = [(a.channel, a.point, a.month, n) for a, n in counts.items()]
    return TableCounts(rows, fingerprint(counts))


def general(k: int, counts: dict[Atom, int]) -> GroupTable:
    """The protection through the general route, with the nodes the results pages may show."""
    ((channel, point),) = {(a.channel, a.point) for a in counts}
    periods = {p for a in counts for p in periods_of(a.month)}
    nodes = [Node("group", None, p) for p in periods] + [Node("channel", channel, "all")]
    nodes += [Node("point", point, "all")] if point is not None else []
    return GroupTable.of(protect_table(counts, k=k, nodes=nodes), fingerprint(counts))


@pytest.mark.parametrize("seed", range(4))
def test_one_cell_tables_show_the_same_parts_by_either_route(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(30):
        point = rng.choice([None, 12])
        counts = {
            Atom("phone" if point is None else "qr", point, m): rng.randint(1, 8)
            for m in rng.sample(MONTHS, rng.randint(1, 12))
        }
        k = rng.choice([3, 5])
        fast, slow = _protect(k, as_read(counts)), general(k, counts)
        assert type(fast.invisible) is type(slow.invisible)
        periods = sorted({p for a in counts for p in periods_of(a.month)})
        channel = next(iter(counts)).channel
        for period in [*periods, None]:
            for channels in (None, frozenset({channel})):
                for where in ("any", point):
                    asked = (period, None, channels, where)
                    assert fast.part_shown(*asked) == slow.part_shown(*asked), (counts, asked)


def test_a_small_group_alone_is_withheld_by_the_shortcut() -> None:
    counts = {Atom("phone", None, "2026-03"): 2, Atom("phone", None, "2026-04"): 9}
    table = _protect(5, as_read(counts))
    assert not table.part_shown("2026-03", None, None, "any")
    # the year (11) minus April (9) would give March away: April and its quarter are
    # withheld (18 respondents' figures), dearer to lose would be the year and "all"
    assert not table.part_shown("2026-04", None, None, "any")
    assert not table.part_shown("2026-Q2", None, None, "any")
    assert table.part_shown("2026", None, None, "any")
    assert table.part_shown(None, None, None, "any")
