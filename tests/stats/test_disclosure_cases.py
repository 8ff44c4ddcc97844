"""Disclosure control of a (unit, group) table, on cases built by hand from issue 10.

Each case is attacked by tests/stats/disclosure_attacker.py, which sees only
the published nodes' numbers and solves exactly over the rationals. A case
first shows the leak (what primary suppression alone, or the old rule, lets
the attacker recover) and then that protect_table's pattern leaves nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from fractions import Fraction

import pytest

from survey.stats import complementary_suppression
from survey.stats.disclosure import Atom, Node, TableProtection, protect_table
from tests.stats.disclosure_attacker import Attacker, all_nodes, holds, published_values


def attacker(counts: Mapping[Atom, int], shown: Collection[Node],
             sums: Mapping[Atom, tuple[int, ...]] | None = None) -> Attacker:
    """The attacker of a table of which ``shown`` nodes are published (n, then sums)."""
    atoms = sorted(a for a, n in counts.items() if n)
    measures = {a: (counts[a], *(sums or {}).get(a, ())) for a in atoms}
    width = max(len(m) for m in measures.values())
    measures = {a: m + (0,) * (width - len(m)) for a, m in measures.items()}
    return Attacker(atoms, published_values(shown, atoms, measures))


def assert_safe(counts: Mapping[Atom, int], result: TableProtection) -> None:
    """No withheld small node is recovered and no pool below k is derivable."""
    spy = attacker(counts, result.published)
    for node in result.primary:
        assert spy.recover_node(node) is None, node
    atoms = sorted(a for a, n in counts.items() if n)
    assert spy.lightest_pool([counts[a] for a in atoms], result.k) is None


def everything_but_primary(counts: Mapping[Atom, int], k: int = 5) -> set[Node]:
    """What primary suppression alone would publish: every node of k or more respondents."""
    atoms = [a for a, n in counts.items() if n]
    return {node for node in all_nodes(atoms)
            if sum(counts[a] for a in atoms if holds(node, a)) >= k}


# The expert of issue 10: alone at the unit in 2026-Q2, attitude 50, efficiency 100, overall 75;
# 800 others in 2026-Q4 at 87.875, so that 2026 shows n=801.
EXPERT = Atom("link", None, "2026-05")
EXPERT_TABLE = {
    EXPERT: 1,
    Atom("link", None, "2026-10"): 268,
    Atom("link", None, "2026-11"): 266,
    Atom("link", None, "2026-12"): 266,
}
EXPERT_SUMS = {
    EXPERT: (50, 100, 75),
    Atom("link", None, "2026-10"): (23450, 23584, 23500),
    Atom("link", None, "2026-11"): (23275, 23408, 23400),
    Atom("link", None, "2026-12"): (23275, 23408, 23400),
}


def test_primary_suppression_alone_gives_the_expert_away():
    shown = everything_but_primary(EXPERT_TABLE)
    spy = attacker(EXPERT_TABLE, shown, EXPERT_SUMS)
    assert spy.recover_node(Node("group", None, "2026")) == [801, 70050, 70500, 70375]
    assert spy.recover_node(Node("group", None, "2026-Q4")) == [800, 70000, 70400, 70300]
    # 2026 minus 2026-Q4: one respondent, attitude 50, efficiency 100, overall 75
    assert spy.recover_node(Node("group", None, "2026-Q2")) == [1, 50, 100, 75]


def test_the_expert_is_protected_by_withholding_a_quarter_and_a_month_beside_it():
    result = protect_table(EXPERT_TABLE)
    assert result.primary == {
        Node(kind, key, period)
        for kind, key in (("group", None), ("channel", "link"))
        for period in ("2026-05", "2026-Q2")
    }
    # cheapest: 2026-Q4 (800) with its smallest month (266, November before December),
    # rather than 2026 and the whole campaign (801 each)
    assert result.secondary == {
        Node(kind, key, period)
        for kind, key in (("group", None), ("channel", "link"))
        for period in ("2026-11", "2026-Q4")
    }
    assert Node("group", None, "2026") in result.published
    assert_safe(EXPERT_TABLE, result)
    spy = attacker(EXPERT_TABLE, result.published, EXPERT_SUMS)
    assert spy.recover_node(Node("group", None, "2026-Q2")) is None


def old_rule(counts: Mapping[Atom, int], k: int = 5) -> set[Node]:
    """Today's rule: each period's breakdown (by channel, by point) protected on its own.

    Every period is its own table: its channel cells and their total, its
    point cells and their total; complementary_suppression withholds the small
    cells and the smallest siblings beside them. Nothing links one period to
    another, which is the flaw the issue describes.
    """
    atoms = [a for a, n in counts.items() if n]
    sizes = {node: sum(counts[a] for a in atoms if holds(node, a)) for node in all_nodes(atoms)}
    withheld = {node for node, n in sizes.items() if n < k}
    for period in {node.period for node in sizes}:
        for kind in ("channel", "point"):
            family = {node: n for node, n in sizes.items()
                      if node.kind == kind and node.period == period}
            withheld |= complementary_suppression(family, k, withheld=withheld)
    return set(sizes) - withheld


def test_the_old_per_table_rule_leaks_the_expert_and_the_new_one_does_not():
    spy = attacker(EXPERT_TABLE, old_rule(EXPERT_TABLE), EXPERT_SUMS)
    assert spy.recover_node(Node("group", None, "2026-Q2")) == [1, 50, 100, 75]
    result = protect_table(EXPERT_TABLE)
    spy = attacker(EXPERT_TABLE, result.published, EXPERT_SUMS)
    assert spy.recover_node(Node("group", None, "2026-Q2")) is None


# Two respondents in May, the only month of 2026-Q2 with anyone; full quarters around it.
# The quarter equals its month, and only the year minus the other quarters gives it.
CHAIN = {
    **{Atom("qr", 1, f"2026-0{m}"): 10 for m in (1, 2, 3, 7, 8, 9)},
    Atom("qr", 1, "2026-05"): 2,
}


def test_a_month_alone_in_its_quarter_follows_from_the_year_through_the_quarters():
    spy = attacker(CHAIN, everything_but_primary(CHAIN), {a: (7 * n,) for a, n in CHAIN.items()})
    assert spy.recover_node(Node("group", None, "2026-05")) == [2, 14]
    # the old rule withholds Q2 with Q1 beside it among the quarters, but publishes the
    # channel's Q1 (its only channel), which is the same 30 people
    spy = attacker(CHAIN, old_rule(CHAIN), {a: (7 * n,) for a, n in CHAIN.items()})
    assert spy.recover_node(Node("group", None, "2026-05")) == [2, 14]


def test_the_month_quarter_year_chain_is_broken():
    result = protect_table(CHAIN)
    assert Node("point", 1, "2026-Q2") in result.primary
    assert {node.level for node in result.secondary} & {"quarter", "year", "all"}
    assert_safe(CHAIN, result)


# March: point 1 has QR (2 people) and the unit's only kiosk (6); point 2 has QR (7).
# Every node shown has 5 or more, yet point 1 minus the kiosk channel is QR at point 1: 2 people.
CROSSING = {
    **{Atom(c, p, m): 6 for m in ("2026-01", "2026-02")
       for c, p in (("qr", 1), ("kiosk", 1), ("qr", 2))},
    Atom("qr", 1, "2026-03"): 2,
    Atom("kiosk", 1, "2026-03"): 6,
    Atom("qr", 2, "2026-03"): 7,
}


def test_a_cell_never_shown_is_the_difference_of_two_shown_ones():
    spy = attacker(CROSSING, everything_but_primary(CROSSING))
    atoms = sorted(CROSSING)
    assert spy.lightest_pool([CROSSING[a] for a in atoms], 5) == {Atom("qr", 1, "2026-03")}
    qr_at_1 = [int(a == Atom("qr", 1, "2026-03")) for a in atoms]
    assert spy.recover(qr_at_1) == [2]


def test_the_crossing_is_protected_although_no_node_is_small():
    result = protect_table(CROSSING)
    assert result.primary == set()
    assert result.secondary  # the span condition on small nodes alone would withhold nothing
    assert_safe(CROSSING, result)


def test_two_small_months_pooled_below_k_are_not_left_derivable_together():
    # May (1) and August (2): the two in August could subtract themselves from a pool of 3
    table = {**{Atom("phone", None, f"2026-{m:02d}"): 9 for m in (4, 6, 7, 9)},
             Atom("phone", None, "2026-05"): 1, Atom("phone", None, "2026-08"): 2}
    result = protect_table(table)
    assert_safe(table, result)
    spy = attacker(table, result.published)
    may_and_august = [int(a.month in ("2026-05", "2026-08")) for a in sorted(table)]
    assert spy.recover(may_and_august) is None


def test_a_table_without_small_cells_is_published_whole():
    cells = (("qr", 1), ("kiosk", 1), ("sms", None))
    table = {Atom(c, p, m): 5 + i for i, (c, p, m) in enumerate(
        (c, p, m) for m in ("2025-12", "2026-01") for c, p in cells)}
    result = protect_table(table)
    assert result.withheld == set()
    assert result.published == all_nodes(table)


def test_an_optional_question_answered_by_few_withholds_the_cell_for_every_indicator():
    respondents = {Atom("qr", 1, "2026-01"): 9, Atom("qr", 1, "2026-02"): 9,
                   Atom("qr", 1, "2026-04"): 9}
    integrity = {Atom("qr", 1, "2026-01"): 2, Atom("qr", 1, "2026-02"): 9,
                 Atom("qr", 1, "2026-04"): 9}
    alone = protect_table(respondents)
    assert alone.withheld == set()
    result = protect_table(respondents, layers=[integrity])
    assert Node("group", None, "2026-01") in result.primary
    assert_safe(integrity, result)
    assert_safe(respondents, result)


def test_only_the_candidate_nodes_count_as_published():
    nodes = {node for node in all_nodes(CROSSING) if node.kind != "point"}
    result = protect_table(CROSSING, nodes=nodes)
    assert result.withheld == set()  # without point cells nothing tells QR at point 1 apart
    assert result.published == nodes
    assert_safe(CROSSING, result)
    with pytest.raises(KeyError, match="not a candidate"):
        result.status(Node("point", 1, "2026"))


def test_status_names_primary_secondary_published_and_empty_nodes():
    result = protect_table(EXPERT_TABLE)
    assert result.status(Node("group", None, "2026-Q2")) == "primary"
    assert result.status(Node("group", None, "2026-Q4")) == "secondary"
    assert result.status(Node("group", None, "2026")) == "published"
    assert result.status(Node("group", None, "2026-Q1")) == "published"  # nobody: n = 0
    assert result.status(Node("channel", "qr", "2026")) == "published"
    assert result.ordered(result.primary)[0] == Node("group", None, "2026-05")


def test_k_at_most_one_withholds_nothing_and_an_empty_table_is_fine():
    assert protect_table(EXPERT_TABLE, k=1).withheld == set()
    assert protect_table(EXPERT_TABLE, k=0).withheld == set()
    assert protect_table({}).published == set()
    assert protect_table({Atom("qr", 1, "2026-01"): 0}).withheld == set()


def test_the_pattern_does_not_depend_on_the_order_of_the_atoms():
    forward = protect_table(CROSSING | CHAIN)
    backward = protect_table(dict(reversed(list((CROSSING | CHAIN).items()))))
    assert forward == backward


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: protect_table({Atom("qr", 1, "2026-13"): 3}), "YYYY-MM"),
        (lambda: protect_table({Atom("qr", 1, "2026-01"): -1}), "integer >= 0"),
        (lambda: protect_table({Atom("qr", 1, "2026-01"): 2.5}), "integer >= 0"),  # type: ignore[dict-item]
        (lambda: protect_table({Atom("qr", 1, "2026-01"): 3}, k=-1), "k must be"),
        (lambda: protect_table({Atom("qr", 1, "2026-01"): 3}, k=2.0), "k must be"),  # type: ignore[arg-type]
        (lambda: protect_table({Atom("qr", 1, "2026-01"): 3},
                               layers=[{Atom("qr", 2, "2026-01"): 1}]), "which counts has none"),
        (lambda: protect_table({Atom("qr", 1, "2026-01"): 3},
                               nodes=[Node("group", None, "2026-1")]), "period"),
        (lambda: Node("point", None, "2026"), "needs a key"),
        (lambda: Node("group", "x", "2026"), "needs no key"),
        (lambda: Node("unit", 1, "2026"), "kind"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_refused_with_a_message_naming_it(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_fractions_are_exact_in_the_attacker():
    # the attacker's own arithmetic: 2026 minus its quarter is exact, not rounded
    spy = attacker(EXPERT_TABLE, {Node("group", None, "2026"), Node("group", None, "2026-Q4")},
                   EXPERT_SUMS)
    assert spy.recover_node(Node("group", None, "2026-Q2")) == [Fraction(1), 50, 100, 75]
