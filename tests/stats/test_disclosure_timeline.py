"""One-cell tables: the time tree's exact pattern is safe, and never dearer than the general search.

The pattern of :mod:`survey.stats.disclosure.timeline` is attacked by the
independent attacker of tests/stats/disclosure_attacker.py (exact rational
elimination, brute force over small pools), and its price is compared with
what the general search (audit by linear algebra, greedy perturbations)
withholds on the same table.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from survey.stats.disclosure import Atom, Node, protect_table
from survey.stats.disclosure.protect import node_prices, search_secondary
from survey.stats.disclosure.table import build_table, periods_of
from survey.stats.disclosure.timeline import protect_timeline
from tests.stats.test_disclosure_cases import assert_safe

MONTHS = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]


def one_cell_table(rng: random.Random, point: int | None) -> dict[Atom, int]:
    """A group reached one way: some months empty, most small, a few busy."""
    months = sorted(rng.sample(MONTHS, rng.randint(1, 14)))
    small = rng.random() < 0.7
    return {
        Atom("link" if point is None else "qr", point, m): rng.randint(1, 6)
        if small or rng.random() < 0.5
        else rng.randint(5, 40)
        for m in months
    }


def the_nodes(counts: dict[Atom, int]) -> list[Node]:
    """What the results pages may show of such a table (as survey.results.protection asks)."""
    atom = next(iter(counts))
    periods = {p for a in counts for p in periods_of(a.month)}
    nodes = [Node("group", None, p) for p in periods] + [Node("channel", atom.channel, "all")]
    return nodes + ([Node("point", atom.point, "all")] if atom.point is not None else [])


def general_search(counts: dict[Atom, int], nodes: list[Node], k: int) -> tuple[float, float]:
    """The price of the general search's secondary nodes, and of the timeline's, on one table."""
    table = build_table(counts)
    sizes = table.node_sizes(0)
    index = {s: i for i, s in enumerate(table.slices)}
    periods = {p: i for i, p in enumerate(table.periods)}
    candidate = np.zeros(sizes.shape, dtype=bool)
    for node in nodes:
        candidate[index[(node.kind, node.key)], periods[node.period]] = True
    primary = candidate & (sizes > 0) & (sizes < k)
    searched = search_secondary(table, candidate & ~primary, k)
    price = node_prices(table)
    result = protect_table(counts, k=k, nodes=nodes)
    mine = sum(price[index[(n.kind, n.key)], periods[n.period]] for n in result.secondary)
    return float(price[searched].sum()), float(mine)


@pytest.mark.parametrize("seed", range(6))
def test_one_cell_patterns_are_safe_and_cost_no_more_than_the_search(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        counts = one_cell_table(rng, rng.choice([None, 7]))
        k = rng.choice([3, 5])
        nodes = the_nodes(counts)
        result = protect_table(counts, k=k, nodes=nodes)
        assert_safe(counts, result)
        assert result.primary == {n for n in nodes if 0 < result.sizes.get(n, 0) < k}
        searched, mine = general_search(counts, nodes, k)
        assert mine <= searched, counts


def test_where_the_greedy_search_withholds_more_the_tree_finds_the_cheaper_cover() -> None:
    # k = 5: February 5, March 3, June 2, November 5 of 2026. Below k: March, June, Q2.
    # Q1 (8) minus February gives March, and the year (15) minus Q1 and Q4 gives June:
    # withholding Q1 alone covers both (the year less February and Q4 is 3 + 2 = 5).
    counts = {
        Atom("link", None, m): n
        for m, n in {"2026-02": 5, "2026-03": 3, "2026-06": 2, "2026-11": 5}.items()
    }
    result = protect_table(counts, k=5, nodes=the_nodes(counts))
    assert result.secondary == {Node("group", None, "2026-Q1")}
    assert_safe(counts, result)
    searched, mine = general_search(counts, the_nodes(counts), 5)
    assert mine < searched


def test_a_quarter_beside_two_published_months_would_give_the_third_away() -> None:
    # 2026-Q1: January 12, February 9, March 2 (below k): the quarter (23) minus January
    # and February is March. The cheapest cover withholds February (9), not the quarter.
    pattern = protect_timeline(
        {"2026-01": 12, "2026-02": 9, "2026-03": 2},
        k=5,
        copies={p: 1 for p in ("2026-01", "2026-02", "2026-03", "2026-Q1", "2026", "all")},
    )
    assert pattern.primary == {"2026-03"}
    assert pattern.secondary == {"2026-02"}
    assert pattern.sizes["2026-Q1"] == 23


def test_a_period_nobody_may_see_is_neither_published_nor_withheld() -> None:
    # Only the year is a candidate: its months and quarter are never shown, so nothing
    # can be subtracted from it and nothing is withheld; a year below k is primary.
    counts = {"2026-01": 3, "2026-05": 4}
    assert protect_timeline(counts, k=5, copies={"2026": 1}).withheld == frozenset()
    small = protect_timeline({"2026-01": 3}, k=5, copies={"2026": 1, "all": 2})
    assert small.primary == {"2026", "all"} and small.secondary == frozenset()


def test_the_whole_campaign_costs_every_node_that_shows_it() -> None:
    # One month of 2 beside 2026-02 of 30 in the same quarter and year: either the
    # February month (30) or the quarter, the year and "all" must go; with "all" shown
    # three times (group, channel, point) the cover stays below the year.
    counts = {"2026-01": 2, "2026-02": 30}
    copies = {"2026-01": 1, "2026-02": 1, "2026-Q1": 1, "2026": 1, "all": 3}
    pattern = protect_timeline(counts, k=5, copies=copies)
    assert pattern.primary == {"2026-01"}
    assert pattern.secondary == {"2026-02"}
    assert "all" not in pattern.withheld


def test_k_of_one_or_less_withholds_nothing() -> None:
    for k in (0, 1):
        assert (
            protect_timeline({"2026-01": 1}, k=k, copies={"2026-01": 1, "all": 1}).withheld
            == frozenset()
        )
    with pytest.raises(ValueError, match="k must be an integer"):
        protect_timeline({"2026-01": 1}, k=-1, copies={})
