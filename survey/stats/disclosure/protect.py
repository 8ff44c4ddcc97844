"""Primary and secondary suppression of one (unit, group) table, and what it returns.

Primary: every candidate node with 0 < n < k (in any layer) is withheld.
Secondary: while the audit (:mod:`.audit`) finds a pool of fewer than k
respondents that the published nodes still give away, withhold the nodes
that a cheap *perturbation* of that pool would change.

A perturbation is a change of the atoms' values that leaves every published
node as it is; as long as one exists that moves the pool, the pool cannot be
worked out. We try products ``(e_s - e_s') x (e_m - e_m')``: a cell s of the
pool's month m against another cell s' of that month (or none), times month m
against another month m' of the same cell (or none). Such a change touches
only the nodes whose slice tells s from s' and whose period tells m from m',
so its price is the sum of those nodes' n: swapping with the cheapest month of
the same quarter touches three month nodes, a 2 x 2 channel-by-month swap
touches four channel-month nodes, the classic hypercube of secondary
suppression (the hypercube method of tau-ARGUS). A lone atom's change (every
node holding it) is always among the candidates, so one always exists.

Each round audits once and, for every pool found, withholds what the
cheapest *useful* perturbation touches (useful: it moves some combination
still derivable on the pool, counting the perturbations already chosen in
the round). So a round withholds at least one node and removes at least one
derivable direction; withholding never makes anything else derivable, so
the loop ends. The audit, not the perturbation, decides when to stop.

Price of a node: its n (the respondents whose figure is lost), then one per
node, then coarser periods dearer than finer ones at equal n; ties fall to
the first candidate in a fixed order, so the same table always gets the same
pattern.

A table of one cell (one channel at one point, or none) is the time tree
alone; there the search is replaced by the exact optimum of the same price
(:mod:`.timeline`), which needs no audit and costs a fraction of it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np
import numpy.typing as npt

from .audit import Cache, Violation, derivable_within, find_violations, null_basis
from .table import Atom, Node, PointKey, Table, build_table, node_order
from .timeline import PER_RESPONDENT, protect_timeline

__all__ = ["Status", "TableProtection", "node_prices", "protect_table", "search_secondary"]

Status = Literal["published", "primary", "secondary"]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
_PERIOD = re.compile(r"^(all|\d{4}|\d{4}-Q[1-4]|\d{4}-(0[1-9]|1[0-2]))$")
_PER_RESPONDENT = float(PER_RESPONDENT)  # n outweighs the per-node and per-level terms


@dataclass(frozen=True, eq=False)
class TableProtection:
    """The publication pattern of one (unit, group) table.

    ``primary`` nodes have 0 < n < k (show "fewer than k"); ``secondary``
    nodes are withheld so that no primary node, and no pool of fewer than k
    respondents, follows from the ``published`` ones (show "withheld").
    ``sizes`` gives every non-empty node's n (respondents), for the caller's
    convenience: never publish it for a withheld node. ``published`` and
    ``sizes`` are built when first asked for (a big table has ~1,400 nodes);
    :meth:`status` answers for one node without building them.
    """

    k: int
    primary: frozenset[Node]
    secondary: frozenset[Node]
    table: Table = field(repr=False)
    shown: Bools = field(repr=False)  # slices x periods: candidates not withheld
    respondents: npt.NDArray[np.int64] = field(repr=False)  # slices x periods
    outside: frozenset[Node] = field(repr=False)  # candidates holding no atom of the table

    @property
    def withheld(self) -> frozenset[Node]:
        return self.primary | self.secondary

    @cached_property
    def published(self) -> frozenset[Node]:
        table = self.table
        return self.outside | frozenset(
            table.node(table.node_id(int(s), int(p))) for s, p in np.argwhere(self.shown))

    @cached_property
    def sizes(self) -> Mapping[Node, int]:
        table = self.table
        return {table.node(table.node_id(int(s), int(p))): int(self.respondents[s, p])
                for s, p in np.argwhere(self.respondents > 0)}

    @cached_property
    def _index(self) -> tuple[dict[tuple[str, PointKey], int], dict[str, int]]:
        return ({s: i for i, s in enumerate(self.table.slices)},
                {p: i for i, p in enumerate(self.table.periods)})

    def status(self, node: Node) -> Status:
        """"published", "primary" or "secondary" for a candidate (or empty) node.

        A node holding no respondent may always be shown (n = 0 tells nothing
        an empty atom does not); a non-empty node that was not a candidate was
        assumed never shown, so asking for it is a programming error.
        """
        if node in self.primary:
            return "primary"
        if node in self.secondary:
            return "secondary"
        slices, periods = self._index
        s, p = slices.get((node.kind, node.key)), periods.get(node.period)
        if s is None or p is None or self.shown[s, p] or self.respondents[s, p] == 0:
            return "published"
        raise KeyError(f"{node} holds respondents but was not a candidate node of this table")

    def ordered(self, nodes: Collection[Node]) -> list[Node]:
        """Nodes in listing order (group, channels, points; finer periods first)."""
        return sorted(nodes, key=node_order)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TableProtection):
            return NotImplemented
        return (self.k, self.primary, self.secondary, self.published) == (
            other.k, other.primary, other.secondary, other.published)

    __hash__ = None  # type: ignore[assignment]


def _candidates(table: Table, sizes: npt.NDArray[np.int64], nodes: Collection[Node] | None
                ) -> tuple[Bools, set[Node]]:
    """Candidate nodes as a slices x periods mask, and the given ones this table cannot hold."""
    if nodes is None:
        return sizes > 0, set()
    mask = np.zeros(sizes.shape, dtype=bool)
    slice_index = {s: i for i, s in enumerate(table.slices)}
    period_index = {p: i for i, p in enumerate(table.periods)}
    empty: set[Node] = set()
    for node in nodes:
        if not isinstance(node, Node) or not _PERIOD.match(node.period):
            raise ValueError(f"nodes must be Node with a period such as all, 2026, 2026-Q2 or "
                             f"2026-05, got {node!r}")
        s, p = slice_index.get((node.kind, node.key)), period_index.get(node.period)
        if s is None or p is None:
            empty.add(node)
        else:
            mask[s, p] = True
    return mask, empty


def protect_table(counts: Mapping[Atom, int], *, k: int = 5,
                  nodes: Collection[Node] | None = None,
                  layers: Sequence[Mapping[Atom, int]] = ()) -> TableProtection:
    """Withhold the nodes of one (unit, group) table that disclosure control requires.

    ``counts``: respondents per atom (empty atoms may be left out).
    ``nodes``: the nodes some page, export or API call may show; by default
    every non-empty slice (group, channel, point) over every period (month,
    quarter, year, all). Nodes never shown must be left out, not included.
    ``layers``: further counts over the same atoms whose figures are
    published (an indicator answered by fewer respondents than the others);
    the pattern, shared by every indicator, then protects each of them too.
    ``k``: the smallest number of respondents a figure may rest on (k <= 1
    withholds nothing).

    The result guarantees, for every layer: no withheld node with 0 < n < k,
    and no other pool of fewer than k respondents, is a linear combination of
    the published nodes (proved by exact audit, not assumed from the search).
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be an integer >= 0, got {k!r}")
    table = _distinct_layers(build_table(counts, layers))
    sizes = [table.node_sizes(layer) for layer in range(table.weights.shape[0])]
    candidate, outside = _candidates(table, sizes[0], nodes)
    primary = candidate & np.logical_or.reduce([(n > 0) & (n < k) for n in sizes])
    if len(table.cells) == 1 and table.weights.shape[0] == 1:
        secondary = _one_cell_secondary(table, candidate, k)
    else:
        secondary = search_secondary(table, candidate & ~primary & (sizes[0] > 0), k)

    def as_nodes(mask: Bools) -> frozenset[Node]:
        return frozenset(table.node(table.node_id(int(s), int(p))) for s, p in np.argwhere(mask))

    return TableProtection(k, as_nodes(primary), as_nodes(secondary), table,
                           candidate & ~primary & ~secondary, sizes[0], frozenset(outside))


def node_prices(table: Table) -> Floats:
    """slices x periods: what withholding each node costs (see the module's docstring)."""
    return (table.node_sizes(0) * _PER_RESPONDENT + 1.0 + table.level[None, :]).astype(
        np.float64)


def search_secondary(table: Table, published: Bools, k: int) -> Bools:
    """The general search: withhold cheap perturbations of what the audit finds until it finds
    nothing. ``published``: the candidates not primary (changed in place). Returns the
    secondary nodes as a slices x periods mask."""
    secondary = np.zeros_like(published)
    price = node_prices(table)
    cache: Cache = {}
    while violations := find_violations(table, published, k, cache):
        _protect_round(table, violations, price, published, secondary)
    return secondary


def _one_cell_secondary(table: Table, candidate: Bools, k: int) -> Bools:
    """The secondary nodes of a table of one cell: the time tree's exact optimum (.timeline)."""
    counts = {month: int(table.weights[0, a]) for a, month in
              zip(table.atom_at[0], table.months, strict=True)}
    copies = dict(zip(table.periods, (int(c) for c in candidate.sum(axis=0)), strict=True))
    pattern = protect_timeline(counts, k=k, copies=copies)
    withheld = np.array([p in pattern.secondary for p in table.periods], dtype=bool)
    return candidate & withheld[None, :]


def _protect_round(table: Table, violations: list[Violation], price: Floats,
                   published: Bools, secondary: Bools) -> None:
    """Withhold, for each violation found by one audit, the cheapest useful perturbation.

    A violation that the perturbations already chosen in this round move
    enough is skipped: what stays derivable on its pool is the old derivable
    space cut down to the directions those perturbations leave unchanged. (The
    nodes they withheld may free more than that; then the round withholds a
    little more than needed, and the next audit still decides.)
    """
    chosen: list[dict[int, float]] = []
    for violation in violations:
        derivable = derivable_within(table, violation)
        for change in chosen:
            moved = np.array([change.get(a, 0.0) for a in violation.atoms]) @ derivable
            if np.abs(moved).max(initial=0.0) > 1e-9:
                derivable = derivable @ null_basis(moved[None, :], derivable.shape[1])
        if derivable.shape[1] == 0:
            continue
        touched, change = _cheapest_perturbation(table, violation, derivable,
                                                 price * published)
        secondary |= touched & published
        published &= ~touched
        chosen.append(change)


def _distinct_layers(table: Table) -> Table:
    """Drop layers equal to an earlier one: they add nothing but work."""
    rows = [bytes(row.tobytes()) for row in table.weights]
    keep = [i for i, row in enumerate(rows) if row not in rows[:i]]
    if len(keep) == len(rows):
        return table
    return replace(table, weights=table.weights[keep])


def _cheapest_perturbation(table: Table, violation: Violation, derivable: Floats,
                           price: Floats) -> tuple[Bools, dict[int, float]]:
    """The cheapest useful perturbation: the nodes it touches and its change per atom.

    ``derivable`` (pool atoms x directions) spans what is still derivable on
    the pool; useful means changing one of those. ``price`` is zero for nodes
    not published (withheld already, or never shown). The touched nodes come
    as a slices x periods mask.
    """
    support = table.support(violation.layer)
    pool = np.asarray(violation.atoms, dtype=np.int64)
    cells, months = support.shape
    best: tuple[float, int, int, int] | None = None
    for a in pool:
        cell, month = int(table.atom_cell[a]), int(table.atom_month[a])
        cost = _partner_costs(table, price, cell, month)
        valid = np.ones((cells + 1, months + 1), dtype=bool)  # last row, column: no partner
        valid[:cells, :] &= support[:, month][:, None]
        valid[:, :months] &= support[cell, :][None, :]
        valid[:cells, :months] &= support
        valid[cell, :] = False
        valid[:, month] = False
        cell_factor = (table.atom_cell[pool][:, None] == cell).astype(np.float64) - (
            table.atom_cell[pool][:, None] == np.arange(cells + 1)[None, :])
        month_factor = (table.atom_month[pool][:, None] == month).astype(np.float64) - (
            table.atom_month[pool][:, None] == np.arange(months + 1)[None, :])
        moved = np.einsum("pd,ps,pm->dsm", derivable, cell_factor, month_factor)
        useful = valid & (np.abs(moved) > 1e-9).any(axis=0)
        if not useful.any():
            continue
        flat = int(np.argmin(np.where(useful, cost, np.inf)))
        if best is None or float(cost.flat[flat]) < best[0]:
            best = (float(cost.flat[flat]), int(a), *divmod(flat, months + 1))
    if best is None:  # cannot happen: a lone atom's change is always useful
        raise AssertionError("no perturbation moves a derivable pool")
    _, a, partner_cell, partner_month = best
    cell, month = int(table.atom_cell[a]), int(table.atom_month[a])
    other = table.member[:, partner_cell] if partner_cell < cells else np.zeros(
        len(table.slices), dtype=bool)
    here = table.within[month]
    there = table.within[partner_month] if partner_month < months else np.zeros_like(here)
    change: dict[int, float] = {}
    for c, sign_c in ((cell, 1.0), (partner_cell, -1.0)):
        for m, sign_m in ((month, 1.0), (partner_month, -1.0)):
            if c < cells and m < months:
                change[int(table.atom_at[c, m])] = sign_c * sign_m
    return (table.member[:, cell] != other)[:, None] & (here != there)[None, :], change


def _partner_costs(table: Table, price: Floats, cell: int, month: int) -> Floats:
    """Price of ``(e_cell - e_c') x (e_month - e_m')`` for every partner cell c' and month m'.

    A cells+1 x months+1 matrix, the last row and column being "no partner".
    The change touches a node when its slice holds exactly one of the two
    cells and its period exactly one of the two months, so the price is a
    product: (slices telling the cells apart) x (periods telling the months
    apart), the latter being the two months' paths up to their lowest common
    period (quarter, year or the whole campaign).
    """
    ancestors = table.ancestors
    on_path = price[:, ancestors]  # slices x months x 4 levels
    path = on_path.sum(axis=2)
    above = np.cumsum(on_path[:, :, ::-1], axis=2)[:, :, ::-1]  # price from a level up
    same_quarter = ancestors[:, 1] == ancestors[month, 1]
    same_year = ancestors[:, 2] == ancestors[month, 2]
    lowest_common = np.where(same_quarter, 1, np.where(same_year, 2, 3))
    shared = above[:, month, :][:, lowest_common]  # slices x months
    time_cost = np.column_stack([path[:, [month]] + path - 2.0 * shared, path[:, month]])
    tells = table.member[:, [cell]] != table.member  # slices x cells
    tells = np.column_stack([tells, table.member[:, cell]]).T  # (cells + none) x slices
    return np.asarray(tells.astype(np.float64) @ time_cost, dtype=np.float64)
