"""One (unit, group) table as index arrays: its atoms, its slices, its time hierarchy.

An *atom* is the finest additive summary the results are built from: the
respondents of one channel at one service point (or none, for channels such
as phone, link or SMS) in one calendar month. A *node* is a cell that may be
published: a slice (the whole group, one channel, one service point) over a
period of the time hierarchy month < quarter < year < all (calendar quarters
and years of the campaign's time zone, so a campaign may start or end
mid-year). A node is the sum of its atoms, for every additive measure alike
(n, sum of scores, sum of squares, count satisfied), which is why one 0/1
incidence decides what a publication reveals about all four.

Everything the search needs is kept as small integer and boolean arrays
(slices x cells, months x periods) so that the costs of the secondary search
are matrix products rather than Python loops over nodes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["LEVELS", "Atom", "Node", "Table", "build_table", "node_order", "periods_of"]

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]

NodeKind = Literal["group", "channel", "point"]
PointKey = int | str | None
LEVELS: tuple[str, ...] = ("month", "quarter", "year", "all")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_KIND_ORDER = {"group": 0, "channel": 1, "point": 2}


@lru_cache(maxsize=4096)
def periods_of(month: str) -> tuple[str, str, str, str]:
    """The month, its calendar quarter, its year and "all": every period that contains it.

    Spelled as the results filter spells periods ("2026-05", "2026-Q2",
    "2026"), so nodes can be matched with published cells by string. Kept per
    month: the results ask it of every month of every table on every page.
    """
    found = _MONTH.match(month)
    if found is None:
        raise ValueError(f"month must be written YYYY-MM (e.g. 2026-05), got {month!r}")
    year, number = found.group(1), int(found.group(2))
    return month, f"{year}-Q{(number + 2) // 3}", year, "all"


@dataclass(frozen=True, order=True, slots=True)
class Atom:
    """The respondents of one group at one unit through one channel, point and month.

    ``point`` is None for channels without service points (phone, link, SMS).
    """

    channel: str
    point: PointKey
    month: str


@dataclass(frozen=True, slots=True)
class Node:
    """A cell of a (unit, group) table that a page, export or the API may show.

    ``kind`` "group" (``key`` None) is the group's own figure; "channel" and
    "point" (``key`` the channel name or the service point's id) are the group
    part inside a channel's or a point's cell. ``period`` is "all", a year
    "2026", a quarter "2026-Q2" or a month "2026-05".
    """

    kind: NodeKind
    key: PointKey
    period: str

    def __post_init__(self) -> None:
        if self.kind not in _KIND_ORDER:
            raise ValueError(f"node kind must be group, channel or point, got {self.kind!r}")
        if (self.kind == "group") != (self.key is None):
            needs = "no" if self.kind == "group" else "a"
            raise ValueError(f"a {self.kind} node needs {needs} key, got {self.key!r}")

    @property
    def level(self) -> str:
        """"month", "quarter", "year" or "all"."""
        return LEVELS[_level(self.period)]


def _level(period: str) -> int:
    """0 for a month, 1 a quarter, 2 a year, 3 the whole campaign."""
    if period == "all":
        return 3
    return 1 if "Q" in period else 0 if "-" in period else 2


def _key_order(key: PointKey) -> tuple[int, str, int]:
    """A total order over channel names and point ids (ints by value, then strings)."""
    if key is None:
        return (0, "", 0)
    if isinstance(key, int):
        return (1, "", key)
    return (2, key, 0)


def node_order(node: Node) -> tuple[int, tuple[int, str, int], int, str]:
    """Group before channels before points, finer periods first: the order results are listed."""
    return (_KIND_ORDER[node.kind], _key_order(node.key), _level(node.period), node.period)


@dataclass(frozen=True, slots=True, eq=False)
class Table:
    """The index arrays of one (unit, group) table (built by :func:`build_table`).

    Cells are (channel, point) pairs, slices are the group, its channels and its
    points; ``member[slice, cell]`` says which cells a slice holds and
    ``within[month, period]`` which months a period holds. Atoms are the
    non-empty (cell, month) pairs; ``weights[layer, atom]`` their counts, layer
    0 being the respondents and further layers e.g. an optional question's n.
    """

    cells: tuple[tuple[str, PointKey], ...]
    months: tuple[str, ...]
    periods: tuple[str, ...]
    level: Ints  # per period: 0 month .. 3 all
    ancestors: Ints  # months x 4: the period index of the month, quarter, year, all
    within: Bools  # months x periods
    slices: tuple[tuple[NodeKind, PointKey], ...]
    member: Bools  # slices x cells
    atom_cell: Ints
    atom_month: Ints
    weights: Ints  # layers x atoms
    atom_at: Ints  # cells x months: atom index or -1
    cell_channel: Ints  # per cell: the index of its channel's slice
    cell_point: Ints  # per cell: the index of its point's slice, -1 for none

    @property
    def node_count(self) -> int:
        return len(self.slices) * len(self.periods)

    def node_id(self, slice_index: int, period_index: int) -> int:
        return slice_index * len(self.periods) + period_index

    def node(self, node_id: int) -> Node:
        kind, key = self.slices[node_id // len(self.periods)]
        return Node(kind, key, self.periods[node_id % len(self.periods)])

    def support(self, layer: int) -> Bools:
        """cells x months: where the layer has respondents."""
        found = np.zeros(self.atom_at.shape, dtype=bool)
        live = self.weights[layer] > 0
        found[self.atom_cell[live], self.atom_month[live]] = True
        return found

    def node_sizes(self, layer: int) -> Ints:
        """slices x periods: each node's count in the layer (its n)."""
        grid = np.zeros(self.atom_at.shape, dtype=np.int64)
        np.add.at(grid, (self.atom_cell, self.atom_month), self.weights[layer])
        return self.member.astype(np.int64) @ grid @ self.within.astype(np.int64)

    def rows(self, node_ids: Sequence[int], atoms: Ints) -> npt.NDArray[np.float64]:
        """The 0/1 vectors of nodes over the given atoms (what publishing them reveals)."""
        slice_ids = np.asarray(node_ids, dtype=np.int64) // len(self.periods)
        period_ids = np.asarray(node_ids, dtype=np.int64) % len(self.periods)
        in_slice = self.member[np.ix_(slice_ids, self.atom_cell[atoms])]
        in_period = self.within[self.atom_month[atoms]][:, period_ids].T
        return (in_slice & in_period).astype(np.float64)


def _validated(counts: Mapping[Atom, int], name: str) -> dict[Atom, int]:
    found: dict[Atom, int] = {}
    months: set[str] = set()
    for atom, n in counts.items():
        if not isinstance(atom, Atom):
            raise TypeError(f"{name} must map Atom to a count, got a key {atom!r}")
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"{name}[{atom}] must be a count (an integer >= 0), got {n!r}")
        months.add(atom.month)
        if n:
            found[atom] = int(n)
    for month in months:
        periods_of(month)
    return found


def build_table(counts: Mapping[Atom, int], layers: Sequence[Mapping[Atom, int]] = ()) -> Table:
    """Index the non-empty atoms of ``counts`` (and the further count ``layers``).

    Empty atoms are left out: they are known zeros to anyone, so they neither
    hide nor reveal anything. A layer may count fewer respondents than
    ``counts`` in an atom but none where ``counts`` has none.
    """
    base = _validated(counts, "counts")
    extra = [_validated(layer, f"layers[{i}]") for i, layer in enumerate(layers)]
    for i, layer in enumerate(extra):
        stray = sorted(set(layer) - set(base))
        if stray:
            raise ValueError(f"layers[{i}] counts respondents in {stray[0]}, which counts has none")
    atoms = sorted(base, key=lambda a: (a.month, a.channel, _key_order(a.point)))
    cells = tuple(sorted({(a.channel, a.point) for a in atoms},
                         key=lambda c: (c[0], _key_order(c[1]))))
    months = tuple(sorted({a.month for a in atoms}))
    periods = tuple(sorted({p for m in months for p in periods_of(m)},
                           key=lambda p: (_level(p), p)))
    period_index = {p: i for i, p in enumerate(periods)}
    level = np.array([_level(p) for p in periods], dtype=np.int64)
    ancestors = np.array([[period_index[p] for p in periods_of(m)] for m in months],
                         dtype=np.int64).reshape(len(months), 4)
    within = np.zeros((len(months), len(periods)), dtype=bool)
    within[np.repeat(np.arange(len(months)), 4), ancestors.ravel()] = True
    channels = sorted({c for c, _ in cells}, key=_key_order)
    points = sorted({p for _, p in cells if p is not None}, key=_key_order)
    slices: tuple[tuple[NodeKind, PointKey], ...] = (
        (("group", None),)
        + tuple(("channel", c) for c in channels)
        + tuple(("point", p) for p in points)
    )
    member = np.array([[kind == "group" or (kind == "channel" and c == key)
                        or (kind == "point" and p == key) for c, p in cells]
                       for kind, key in slices], dtype=bool).reshape(len(slices), len(cells))
    cell_index = {c: i for i, c in enumerate(cells)}
    month_index = {m: i for i, m in enumerate(months)}
    atom_cell = np.array([cell_index[(a.channel, a.point)] for a in atoms], dtype=np.int64)
    atom_month = np.array([month_index[a.month] for a in atoms], dtype=np.int64)
    weights = np.array([[layer.get(a, 0) for a in atoms] for layer in (base, *extra)],
                       dtype=np.int64).reshape(1 + len(extra), len(atoms))
    atom_at = np.full((len(cells), len(months)), -1, dtype=np.int64)
    atom_at[atom_cell, atom_month] = np.arange(len(atoms))
    slice_index = {s: i for i, s in enumerate(slices)}
    cell_channel = np.array([slice_index[("channel", c)] for c, _ in cells], dtype=np.int64)
    cell_point = np.array([-1 if p is None else slice_index[("point", p)] for _, p in cells],
                          dtype=np.int64)
    return Table(cells, months, periods, level, ancestors, within, slices, member,
                 atom_cell, atom_month, weights, atom_at, cell_channel, cell_point)
