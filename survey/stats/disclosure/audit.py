"""The audit: is any pool of fewer than k respondents derivable from the published nodes?

What an attacker can compute from published nodes is any linear combination
of them, the same one for n, sums, sums of squares and counts satisfied. So a
vector ``c`` over the atoms is *derivable* when it lies in the row space R of
the published nodes' 0/1 vectors (empty atoms being known zeros, they are
left out). A table is safe when no nonzero derivable ``c`` rests on fewer than
k respondents, counting the respondents of the atoms where ``c`` is nonzero.
That covers a withheld small node (its own 0/1 vector), two withheld months
whose sum follows from a quarter (pooled below k), and a cell that is never
shown but is the difference of two shown ones (a service point minus the one
channel it alone has: the point's other channel, a "cell" of two people).

Finding the lightest derivable vector is hard in general, but the structure
keeps it small:

- Months decouple. A month whose slices are all published at month level
  constrains only itself; coarser nodes link months only through slices
  withheld at month level. Union-find over those links splits the table into
  blocks of months that are audited one by one (and cached between rounds).
- A block of one month is a graph: channels and points are vertices, atoms
  are edges, a published slice is a vertex's star, and R is the cut space of
  the graph in which the unpublished vertices are merged. Its lightest
  derivable vectors are its lightest cuts: contract the edges of k or more
  respondents, then a minimum cut (Stoer and Wagner, JACM 1997) below k is a
  violation and its edges are the pool.
- Other blocks (months linked through withheld nodes) are searched exactly
  with linear algebra: the derivable vectors supported on light atoms, in a
  basis that is the identity on a set of pivot atoms (any derivable vector
  weighs at least the pivots it uses), connected pivot sets of weight below
  k, and for each a branching search for the coefficients that cancel all but
  fewer than k respondents' worth of atoms. Weights are at least 1, so sets
  and depth stay below k. This is the costly part: a table where nearly every
  atom is small (the demo's) is one block of all its months.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise
from math import comb

import numpy as np
import numpy.typing as npt
from scipy.linalg import qr  # type: ignore[import-untyped]

from .pivot_sets import RowsAlone, connected_sets
from .table import Table

__all__ = [
    "Spaces",
    "Violation",
    "block_spaces",
    "derivable_within",
    "find_violations",
    "light_combination",
    "light_combinations",
    "min_cut",
    "null_basis",
]

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
TOLERANCE = 1e-9
VECTORISED = 20  # normals tried at once by _cancelling; beyond that it branches


@dataclass(frozen=True, slots=True, eq=False)
class Spaces:
    """Orthonormal bases of what a block's published rows reveal and what they leave free.

    ``derivable`` spans the row space (atoms x rank), ``invisible`` the null
    space: the changes of the atoms that no published figure would show.
    """

    derivable: Floats
    invisible: Floats


@dataclass(frozen=True, slots=True, eq=False)
class Violation:
    """Atoms of one layer pooling fewer than k respondents, with a derivable combination.

    ``block_atoms`` and ``rows`` (node ids, restricted to the block's months)
    are the block it was found in; ``spaces`` its bases when the audit
    computed them (they are recomputed from the rows otherwise).
    """

    layer: int
    atoms: tuple[int, ...]
    block_atoms: tuple[int, ...]
    rows: tuple[int, ...]
    spaces: Spaces | None = None


Cache = dict[Hashable, tuple[tuple[tuple[int, ...], ...], Spaces | None]]


def null_basis(matrix: Floats, width: int) -> Floats:
    """An orthonormal basis (columns) of the vectors the rows of ``matrix`` all annihilate.

    The tolerance is absolute (relative to 1, not to the largest singular
    value): the matrices are 0/1 rows or rows of orthonormal bases, so an
    entry of 1e-16 is a rounding error even when it is the only one.
    """
    if matrix.shape[0] == 0 or width == 0:
        return np.eye(width)
    _, singular, right = np.linalg.svd(matrix, full_matrices=matrix.shape[0] < width)
    rank = int((singular > TOLERANCE * max(1.0, float(singular[0]))).sum())
    return np.asarray(right[rank:].T, dtype=np.float64)


def block_spaces(table: Table, atoms: Ints, rows: Sequence[int]) -> Spaces:
    """Row and null space of a block's published rows, from one pivoted QR."""
    width = len(atoms)
    matrix = table.rows(rows, atoms)
    if matrix.shape[0] == 0:
        return Spaces(np.zeros((width, 0)), np.eye(width))
    q, r, _ = qr(matrix.T, pivoting=True)
    diagonal = np.abs(np.diag(r))
    rank = int((diagonal > TOLERANCE * max(1.0, float(diagonal[0]))).sum())
    return Spaces(np.asarray(q[:, :rank]), np.asarray(q[:, rank:]))


def derivable_within(table: Table, violation: Violation) -> Floats:
    """A basis (columns) of the derivable vectors supported on the violation's atoms."""
    block = np.asarray(violation.block_atoms, dtype=np.int64)
    spaces = violation.spaces or block_spaces(table, block, violation.rows)
    position = np.searchsorted(block, violation.atoms)
    return null_basis(spaces.invisible[position].T, len(position))


def find_violations(table: Table, published: Bools, k: int, cache: Cache) -> list[Violation]:
    """Pools below k still derivable: per layer and block, in month order (empty when safe).

    A block of one month yields its lightest cut; a block of linked months
    yields disjoint pools, so that one round of the search can treat them all.
    """
    found: list[Violation] = []
    for layer in range(table.weights.shape[0]):
        found += _layer_violations(table, layer, published, k, cache)
    return found


def _blocks(table: Table, layer: int, published: Bools
            ) -> tuple[list[list[int]], dict[int, list[int]], Bools, Bools]:
    """Months linked by published coarser nodes through slices withheld at month level.

    Returns the blocks (lists of months), the coarser rows of each block (by its
    first month), the slices shown at month level per month, and those
    re-published at a single month by a coarser node whose other months are
    all shown (the coarser node then tells that month's figure).
    """
    support = table.support(layer)
    has = (table.member.astype(np.int64) @ support.astype(np.int64)) > 0
    shown = published[:, table.ancestors[:, 0]]
    free = has & ~shown
    months = len(table.months)
    parent = list(range(months))

    def root(m: int) -> int:
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    coarse = np.flatnonzero(table.level > 0)
    touching = (free.astype(np.int64) @ table.within[:, coarse].astype(np.int64)) > 0
    republished = np.zeros_like(free)
    links: list[tuple[int, int]] = []
    for slice_index, column in np.argwhere(published[:, coarse] & touching):
        period = int(coarse[column])
        linked = np.flatnonzero(free[slice_index] & table.within[:, period])
        if len(linked) == 1:
            republished[slice_index, linked[0]] = True
        for a, b in pairwise(linked):
            parent[root(int(b))] = root(int(a))
        links.append((table.node_id(int(slice_index), period), int(linked[0])))
    groups: dict[int, list[int]] = {}
    for m in range(months):
        groups.setdefault(root(m), []).append(m)
    blocks = sorted(groups.values())
    rows: dict[int, list[int]] = {}
    for node_id, month in links:
        rows.setdefault(root(month), []).append(node_id)
    by_first = {block[0]: rows.get(root(block[0]), []) for block in blocks}
    return blocks, by_first, shown, republished


def _layer_violations(table: Table, layer: int, published: Bools, k: int, cache: Cache
                      ) -> list[Violation]:
    """The violations of one layer: each block with a light atom, by graph or by algebra.

    A block's answer depends only on its months and the rows it sees, which is
    the cache key: a round that withholds nodes elsewhere leaves it valid.
    """
    weights = table.weights[layer]
    light = (weights > 0) & (weights < k)
    if not light.any():
        return []
    light_month = np.zeros(len(table.months), dtype=bool)
    light_month[table.atom_month[light]] = True
    blocks, coarse_rows, shown, republished = _blocks(table, layer, published)
    live = weights > 0
    found: list[Violation] = []
    for block in blocks:
        if not light_month[block].any():
            continue
        atoms = np.flatnonzero(live & np.isin(table.atom_month, block))
        if len(block) == 1:
            visible = shown[:, block[0]] | republished[:, block[0]]
            rows = [table.node_id(int(s), int(table.ancestors[block[0], 0]))
                    for s in np.flatnonzero(visible)]
            key: Hashable = (layer, block[0], visible.tobytes())
            if key not in cache:
                pool = _month_violation(table, atoms, weights[atoms], visible, k)
                cache[key] = (() if pool is None else (pool,)), None
        else:
            rows = [table.node_id(int(s), int(table.ancestors[m, 0]))
                    for m in block for s in np.flatnonzero(shown[:, m])]
            rows += coarse_rows[block[0]]
            key = (layer, tuple(block), tuple(sorted(rows)))
            if key not in cache:
                cache[key] = _block_violations(table, atoms, weights[atoms], rows, k)
        pools, spaces = cache[key]
        block_atoms = tuple(int(a) for a in atoms)
        found += [Violation(layer, pool, block_atoms, tuple(rows), spaces) for pool in pools]
    return found


def _month_violation(table: Table, atoms: Ints, weights: Ints, visible: Bools, k: int
                     ) -> tuple[int, ...] | None:
    """The lightest cut of one month's graph, if it pools fewer than k respondents.

    Vertices are slices; a slice shown (or re-published) keeps its own vertex,
    the others merge: into one vertex, or, when the group's month is shown
    (the sum of all channels), into one for channels and one for points, the
    group's row being the merged channels' star.
    """
    count = len(table.slices)
    cells = table.atom_cell[atoms]

    def vertex(slices: Ints, side: int) -> Ints:
        merged = count + side if visible[0] else count
        return np.where((slices >= 0) & visible[np.maximum(slices, 0)], slices, merged)

    ends = np.stack([vertex(table.cell_channel[cells], 0), vertex(table.cell_point[cells], 1)])
    keep = ends[0] != ends[1]
    ends, weights, atoms = ends[:, keep], weights[keep], atoms[keep]
    parent = np.arange(count + 2)

    def root(v: int) -> int:
        while parent[v] != v:
            v = int(parent[v])
        return v

    for a, b in ends[:, weights >= k].T:  # a cut through k or more is no violation
        parent[root(int(b))] = root(int(a))
    light = weights < k
    heads = np.array([[root(int(v)) for v in column] for column in ends[:, light].T],
                     dtype=np.int64).reshape(-1, 2)
    crossing = heads[:, 0] != heads[:, 1]
    heads = heads[crossing]
    pool_atoms, pool_weights = atoms[light][crossing], weights[light][crossing]
    if len(heads) == 0:
        return None
    names, index = np.unique(heads, return_inverse=True)
    index = index.reshape(-1, 2)
    for component in _components(len(names), index):
        adjacency = np.zeros((len(names), len(names)))
        inside = np.isin(index[:, 0], component)
        np.add.at(adjacency, (index[inside, 0], index[inside, 1]), pool_weights[inside])
        np.add.at(adjacency, (index[inside, 1], index[inside, 0]), pool_weights[inside])
        sub = adjacency[np.ix_(component, component)]
        value, side = min_cut(sub)
        if value < k:
            chosen = np.zeros(len(names), dtype=bool)
            chosen[np.asarray(component)[side]] = True
            cut = inside & (chosen[index[:, 0]] != chosen[index[:, 1]])
            return tuple(sorted(int(a) for a in pool_atoms[cut]))
    return None


def _components(size: int, edges: Ints) -> list[list[int]]:
    """Connected components (with at least one edge) of a graph given by its edge list."""
    parent = list(range(size))

    def root(v: int) -> int:
        while parent[v] != v:
            v = parent[v]
        return v

    for a, b in edges:
        parent[root(int(b))] = root(int(a))
    found: dict[int, list[int]] = {}
    for v in sorted({int(v) for v in edges.ravel()}):
        found.setdefault(root(v), []).append(v)
    return [members for members in found.values() if len(members) > 1]


def min_cut(weights: Floats) -> tuple[float, Bools]:
    """Stoer-Wagner global minimum cut of a connected weighted graph (adjacency matrix).

    Returns the cut's weight and one side as a mask. O(V^3) with numpy rows:
    the graphs here are one month's channels and points after contraction.
    """
    size = len(weights)
    work = np.array(weights, dtype=np.float64)
    members: list[list[int]] = [[v] for v in range(size)]
    active = list(range(size))
    best, best_side = np.inf, [0]
    while len(active) > 1:
        index = np.asarray(active)
        sub = work[np.ix_(index, index)]
        connection = sub[0].copy()
        added = np.zeros(len(index), dtype=bool)
        added[0] = True
        order, phase_cut = [0], 0.0
        for _ in range(len(index) - 1):
            nxt = int(np.argmax(np.where(added, -np.inf, connection)))
            phase_cut = float(connection[nxt])
            added[nxt] = True
            order.append(nxt)
            connection += sub[nxt]
        s, t = int(index[order[-2]]), int(index[order[-1]])
        if phase_cut < best:
            best, best_side = phase_cut, list(members[t])
        work[s] += work[t]
        work[:, s] += work[:, t]
        work[s, s] = 0.0
        members[s] += members[t]
        active.remove(t)
    side = np.zeros(size, dtype=bool)
    side[best_side] = True
    return best, side


def _block_violations(table: Table, atoms: Ints, weights: Ints, rows: list[int], k: int
                      ) -> tuple[tuple[tuple[int, ...], ...], Spaces]:
    """Disjoint light pools of a block of linked months, by exact linear algebra.

    The derivable vectors resting on light atoms only are the row space
    vectors that vanish on the heavy atoms; one search collects disjoint
    pools among them (up to 64 a round, the next audit finds the rest).
    """
    spaces = block_spaces(table, atoms, rows)
    light = np.flatnonzero(weights < k)
    heavy = np.flatnonzero(weights >= k)
    derivable = spaces.derivable
    if len(heavy):
        derivable = derivable @ null_basis(derivable[heavy], derivable.shape[1])
    found = light_combinations(derivable[light], weights[light], k)
    return tuple(tuple(int(a) for a in atoms[light[pool]]) for pool in found), spaces


def light_combination(basis: Floats, weights: Ints, k: int) -> Ints | None:
    """The support of a nonzero vector of span(basis) weighing less than k, or None."""
    found = light_combinations(basis, weights, k, limit=1)
    return found[0] if found else None


def light_combinations(basis: Floats, weights: Ints, k: int, limit: int = 64) -> list[Ints]:
    """Supports of nonzero vectors of span(basis) weighing less than k, pairwise disjoint.

    ``basis`` has one row per atom (weights >= 1) and one column per basis
    vector (full column rank). In the basis that is the identity on a set of
    pivot atoms (chosen by pivoted QR, heavier atoms first), a vector weighs
    at least the pivots it uses; a lightest vector uses a set of pivots that
    is connected through shared atoms (else a part of it would be lighter), so
    only connected sets of pivots weighing less than k are tried, each by
    :func:`_cancelling`. Empty exactly when no such vector exists.
    """
    size, rank = basis.shape
    if rank == 0:
        return []
    _, order = qr((basis * weights[:, None]).T, mode="r", pivoting=True)
    pivots = [int(i) for i in order[:rank]]
    unit = basis @ np.linalg.inv(basis[pivots])
    unit[np.abs(unit) < TOLERANCE] = 0.0
    unit[pivots] = np.eye(rank)
    others = np.setdiff1d(np.arange(size), pivots)
    rest_rows, rest_weights = unit[others], weights[others]
    touching = (rest_rows != 0).astype(np.float64)
    neighbours = [set(np.flatnonzero(row).tolist()) - {i}
                  for i, row in enumerate((touching.T @ touching) > 0)]
    pivot_weights = [int(w) for w in weights[pivots]]
    alone = RowsAlone(touching, rest_weights)
    pools: list[Ints] = []
    taken = np.zeros(size, dtype=bool)
    for chosen in connected_sets(neighbours, pivot_weights, k):
        budget = k - 1 - sum(pivot_weights[j] for j in chosen)
        # rows that only one chosen vector touches cannot cancel: a quick lower bound
        if alone.weight(chosen) > budget:
            continue
        count = touching[:, chosen].sum(axis=1)
        # one vector alone: every row it touches is "alone", so the bound was its weight
        rows = np.flatnonzero(count > 0)
        x = np.ones(1) if len(chosen) == 1 else _cancelling(
            rest_rows[np.ix_(rows, np.asarray(chosen))], rest_weights[rows], budget)
        if x is None:
            continue
        pool = np.flatnonzero(np.abs(unit[:, chosen] @ x) > TOLERANCE)
        if not taken[pool].any():
            pools.append(pool)
            taken[pool] = True
            if len(pools) == limit:
                break
    return pools


def _cancelling(rows: Floats, weights: Ints, budget: int) -> Floats | None:
    """A nonzero x leaving rows of total weight <= budget with ``row . x != 0``, or None.

    If some x will do, so will one orthogonal to a set of rows of rank
    len(x) - 1 (adding constraints from the rows it leaves only cancels more)
    or, when the rows have lower rank, one orthogonal to them all. So the
    candidates are the normals of every len(x) - 1 rows (generalised cross
    products, computed at once), tried together; when there are many (more
    than VECTORISED, for three or more coefficients), :func:`_branching`
    searches instead, which is cheaper there.
    """
    width = rows.shape[1]
    if int(weights.sum()) <= budget:
        first = np.zeros(width)
        first[0] = 1.0
        return first
    if width == 1:
        return None
    if width > 2 and comb(len(rows), width - 1) > VECTORISED:
        return _branching(rows, weights, budget)
    subsets = np.array(list(combinations(range(len(rows)), width - 1)), dtype=np.int64)
    stacks = rows[subsets.reshape(-1, width - 1)]
    normals = np.stack([(-1) ** j * np.linalg.det(np.delete(stacks, j, axis=2))
                        for j in range(width)], axis=1).reshape(-1, width)
    lengths = np.linalg.norm(normals, axis=1)
    normals = normals[lengths > TOLERANCE] / lengths[lengths > TOLERANCE, None]
    if len(normals):
        left = np.abs(rows @ normals.T) > TOLERANCE * np.linalg.norm(rows, axis=1)[:, None]
        fits = np.flatnonzero(weights @ left <= budget)
        if len(fits):
            return np.asarray(normals[fits[0]], dtype=np.float64)
    orthogonal = null_basis(rows, width)  # rows of rank below len(x) - 1: x cancels all
    return np.asarray(orthogonal[:, 0], dtype=np.float64) if orthogonal.shape[1] else None


def _branching(rows: Floats, weights: Ints, budget: int) -> Floats | None:
    """:func:`_cancelling` by branching, for many rows.

    While the rows x does not cancel weigh more than the budget, x must be
    orthogonal to one of the first rows that make the budget overflow (at
    most budget + 1 of them, as weights are at least 1); try each, keeping an
    orthonormal basis of the rows x is made orthogonal to. Depth < len(x).
    """
    width = rows.shape[1]

    def search(constraints: Floats) -> Floats | None:
        residual = rows - (rows @ constraints.T) @ constraints
        norms = np.linalg.norm(residual, axis=1)
        live = norms > TOLERANCE
        if int(weights[live].sum()) <= budget:  # any x orthogonal to the constraints will do
            if live.any():
                return np.asarray(residual[int(np.argmax(live))], dtype=np.float64)
            free = np.eye(width) - constraints.T @ constraints  # a symmetric projector
            return np.asarray(free[int(np.argmax(np.linalg.norm(free, axis=0)))],
                              dtype=np.float64)
        if len(constraints) == width - 1:
            return None
        overflow = int(np.searchsorted(np.cumsum(weights[live]), budget, side="right")) + 1
        for row, norm in zip(residual[live][:overflow], norms[live][:overflow], strict=True):
            found = search(np.vstack([constraints, row / norm]))
            if found is not None:
                return found
        return None

    return search(np.zeros((0, width)))
