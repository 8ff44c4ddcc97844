"""Disclosure control of every published figure: each (unit, group, indicator) one table.

Every face (pages, PDF, CSV/XLSX, the API) gets its figures from
:func:`survey.results.satisfaction`, which asks this module, for each group
part of each cell it is about to estimate, whether that part may be shown.
The rule (:mod:`survey.stats.disclosure`): per (campaign, unit, group,
indicator), the atoms are the respondents per (channel, service point,
month), and :func:`~survey.stats.disclosure.protect_table` withholds nodes
so that no linear combination of the published ones rests on fewer than k
respondents. A part is shown exactly when its atoms are a linear
combination of published nodes (then showing it adds nothing an attacker
did not have); that covers the nodes themselves and also, say, a unit's "no
service point" row or a period that is no node.

What may be published (the candidate nodes), chosen with the demo's figures
in hand: the group over every period (whole campaign, years, quarters,
months: the results pages, the trends, the exports and the API), and each
channel and each service point over the whole campaign only. Channels and
points by month as well made the search withhold a busy group's years and
even its whole-campaign figure (cards spread one or two per month over
several channels leave pools of one everywhere); for the whole campaign
alone they cost a channel or a point here and there. So the unit page shows
its breakdowns by channel and point for the whole campaign.

A multi-group figure (a unit over groups, a channel over units and groups)
is then built from the shown parts alone: a withheld part is left out, not
just hidden, since a combined figure and the published groups beside it would
give it back by subtraction. A withheld part carries no n at all (n = 0 here),
only whether it is below k ("primary") or withheld beside one ("secondary").

Each indicator has its own pattern, from its own counts (a departure from
the shared pattern the design note of survey.stats.disclosure proposes):
what one question's figures give is the sum of that question's answers, and
no combination of another question's figures says anything about it; a
published n of one question bounds the n of an optional one but does not fix
it. Shared, the five stakeholders of a group were withheld for every
question as soon as one of them skipped an optional one.

The pattern depends only on k and the counts of its table, so each worker
keeps it by k and a fingerprint of the counts (:mod:`.table_counts`), which
the read of the summaries gives: a new response (or a flag, an exclusion)
changes its table's fingerprint, never serves a stale entry, and tables with
the same counts (a group's indicators, answered by the same cards) share one.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from flask import current_app

from ..models import Campaign
from ..stats.disclosure import Atom, Node, TableProtection, periods_of, protect_table
from ..stats.disclosure.audit import block_spaces, null_basis
from ..stats.disclosure.timeline import protect_timeline
from .messages import ResultsError
from .periods import Period, parse_period
from .summaries import CellKey, StratumSummary, stratum_summaries
from .table_counts import (
    AtomRow,
    Fingerprint,
    TableCounts,
    TableKey,
    fingerprint,
    summary_counts,
    table_fingerprints,
)

__all__ = ["GroupTable", "Withheld", "group_tables", "protect_summaries"]

Withheld = Literal["", "primary", "secondary"]
_ATOM_KEYS = ("indicator", "unit", "channel", "service_point", "month")
_TOLERANCE = 1e-9
_CACHE = "survey.protected_tables"


class GroupTable:
    """What one (unit, group) table's protection says about parts, and the test itself.

    Kept between requests (:class:`_TableCache`), up to one per table of every
    campaign, so it keeps only what the test needs: each atom's month,
    channel and point as small codes, and the basis of the changes that leave
    every published node as it is. (Keeping the whole protection cost about
    12 kB a table: a gigabyte for 1,000 units x 9 groups x 8 indicators.) It
    remembers its answers: the same parts are asked about on every page view.
    """

    __slots__ = ("_answers", "_channel_names", "_channel_of", "_month_names", "_month_of",
                 "_point_names", "_point_of", "fingerprint", "invisible", "months")

    _REMEMBERED = 256  # answers kept per table (periods x channels x points asked about)

    def __init__(self, fingerprint: Fingerprint, months: tuple[str, ...],
                 cells: Sequence[tuple[str, int | str | None]], atom_month: np.ndarray,
                 atom_cell: np.ndarray, invisible: np.ndarray) -> None:
        self.fingerprint = fingerprint
        self._month_names = months
        self._month_of = atom_month.astype(np.int32)
        cell_channels = [channel for channel, _ in cells]
        cell_points = [point for _, point in cells]
        self._channel_names = tuple(dict.fromkeys(cell_channels))
        self._point_names = tuple(dict.fromkeys(cell_points))
        channel_code = np.array([self._channel_names.index(c) for c in cell_channels], np.int32)
        point_code = np.array([self._point_names.index(p) for p in cell_points], np.int32)
        self._channel_of = channel_code[atom_cell]
        self._point_of = point_code[atom_cell]
        self.months = _interned(frozenset(months))
        self.invisible = invisible
        self._answers: dict[tuple[object, ...], bool] = {}

    @classmethod
    def of(cls, protection: TableProtection, fingerprint: Fingerprint) -> GroupTable:
        """What a table's protection (by the general search) says, kept small."""
        table = protection.table
        return cls(fingerprint, table.months, table.cells, table.atom_month, table.atom_cell,
                   _invisible(protection))

    @classmethod
    def of_one_cell(cls, k: int, counts: TableCounts, cell: tuple[str, int | None]
                    ) -> GroupTable:
        """A table of one channel at one point (or none): its time tree solved exactly.

        The same nodes are candidates as for any table (:func:`_protect`), and
        the same rule decides (:mod:`survey.stats.disclosure.timeline`); the
        table's arrays are never built, which is most of what a first results
        page of 1,000 units used to cost.
        """
        channel, point = cell
        by_month = {month: n for _, _, month, n in counts.rows if n > 0}
        months = tuple(sorted(by_month))
        chains = [periods_of(m) for m in months]
        copies = dict.fromkeys((p for chain in chains for p in chain), 1)
        copies["all"] += 1 if point is None else 2  # the channel's and the point's figure
        withheld = protect_timeline(by_month, k=k, copies=copies).withheld
        rows = np.array([[period in chain for chain in chains]
                         for period in copies if period not in withheld],
                        dtype=np.float64).reshape(-1, len(months))
        # A copy: the basis is a slice of the SVD's square matrix, which would be kept with it.
        invisible = np.array(null_basis(rows, len(months)), copy=True)
        return cls(counts.fingerprint, months, [(channel, point)], np.arange(len(months)),
                   np.zeros(len(months), dtype=np.int64), invisible)

    def shown(self, part: np.ndarray) -> bool:
        """Whether a part (a 0/1 vector over the atoms) follows from published nodes."""
        if not part.any():
            return True
        moved = part.astype(np.float64) @ self.invisible
        return bool(np.abs(moved).max(initial=0.0) <= _TOLERANCE)

    def part_shown(self, period: str | None, window: Period | None,
                   channels: frozenset[str] | None, point: int | None | Literal["any"]) -> bool:
        """Whether the part of a cell's period within the window, these channels and point
        may be shown (remembered).

        Remembered by the period and window as asked, not by the months they
        cover: a year's page asks each of 9,000 tables about one period, and
        working out each table's months first cost more than the test itself.
        """
        key = (period, window, channels, point)
        known = self._answers.get(key)
        if known is None:
            months = (self.months if period is None and window is None
                      else _months_of(self.months, period, window))
            part = self.part(months, channels, point)
            known = part is not None and self.shown(part)
            if len(self._answers) >= self._REMEMBERED:
                self._answers.clear()
            self._answers[key] = known
        return known

    def part(self, months: frozenset[str] | None, channels: frozenset[str] | None,
             point: int | None | Literal["any"]) -> np.ndarray | None:
        """The atoms of a part as a 0/1 vector; None when a period cuts one of its months."""
        if months is None:
            return None
        if months >= self.months:  # the whole table's months: what a first page asks
            mask = np.ones(len(self._month_of), dtype=bool)
        else:
            mask = _among(self._month_names, months)[self._month_of]
        if channels is not None:
            mask &= _among(self._channel_names, channels)[self._channel_of]
        if point != "any":
            mask &= _among(self._point_names, {point})[self._point_of]
        return mask


def _among(names: tuple[object, ...], wanted: Collection[object]) -> np.ndarray:
    """Per code, whether its name is wanted (indexed by the atoms' codes: cheaper than
    np.isin, which checks the codes' range first, on the thousands of tables of a page)."""
    return np.fromiter((name in wanted for name in names), dtype=bool, count=len(names))


def _invisible(protection: TableProtection) -> np.ndarray:
    """A basis (atoms x d) of the changes that leave every published node as it is."""
    table = protection.table
    slices, periods = np.nonzero(protection.shown)
    ids = [table.node_id(int(s), int(p)) for s, p in zip(slices, periods, strict=True)]
    atoms = np.arange(table.weights.shape[1], dtype=np.int64)
    # By the audit's pivoted QR (cheaper than a full SVD: a busy unit's service users
    # have a few hundred atoms). A copy: the basis is a slice of the square Q, which
    # would be kept with it.
    return np.array(block_spaces(table, atoms, ids).invisible, copy=True)


_MONTH_SETS: dict[frozenset[str], frozenset[str]] = {}


def _interned(months: frozenset[str]) -> frozenset[str]:
    """One kept set per distinct set of months (most tables of a campaign share theirs)."""
    if len(_MONTH_SETS) > 10_000:
        _MONTH_SETS.clear()
    return _MONTH_SETS.setdefault(months, months)


class _TableCache:
    """The protections an app has worked out, by k and counts; least recently used dropped first.

    A protection depends on k and the table's counts alone, so it is kept by
    k and the counts' fingerprint, not by table: the eight indicators of a
    unit's group, answered by the same cards, have the same counts and share
    one (and so do small tables alike across units). A new card, a flag or
    an exclusion changes its table's fingerprint, so a table never gets a
    protection worked out for other counts.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.tables: OrderedDict[tuple[int, Fingerprint], GroupTable] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, k: int, fingerprint: Fingerprint) -> GroupTable | None:
        with self.lock:
            found = self.tables.get((k, fingerprint))
            if found is not None:
                self.tables.move_to_end((k, fingerprint))
            return found

    def put(self, k: int, table: GroupTable) -> None:
        with self.lock:
            self.tables[(k, table.fingerprint)] = table
            self.tables.move_to_end((k, table.fingerprint))
            while len(self.tables) > self.size:
                self.tables.popitem(last=False)


def _cache() -> _TableCache:
    """This app's cache of protected tables (SURVEY_PROTECTION_CACHE_TABLES entries)."""
    found = current_app.extensions.get(_CACHE)
    if found is None:
        size = int(current_app.config["SURVEY_PROTECTION_CACHE_TABLES"])
        found = current_app.extensions.setdefault(_CACHE, _TableCache(size))
    return found


def _protect(k: int, counts: TableCounts) -> GroupTable:
    """Work out the protection of one table from its counts (the costly step)."""
    cells = {(channel, point) for channel, point, _, n in counts.rows if n > 0}
    if len(cells) == 1:
        return GroupTable.of_one_cell(k, counts, next(iter(cells)))
    atoms = counts.atoms()
    months = {atom.month for atom in atoms}
    nodes = [Node("group", None, period) for period in {p for m in months for p in periods_of(m)}]
    nodes += [Node("channel", c, "all") for c in {atom.channel for atom in atoms}]
    nodes += [Node("point", p, "all") for p in {atom.point for atom in atoms} if p is not None]
    return GroupTable.of(protect_table(atoms, k=k, nodes=nodes), counts.fingerprint)


def _from_counts(cache: _TableCache, k: int, counts: Mapping[TableKey, TableCounts]
                 ) -> dict[TableKey, GroupTable]:
    """The protection of each table of ``counts``: from the cache, or worked out and kept."""
    tables = {}
    for key, table_counts in counts.items():
        table = cache.get(k, table_counts.fingerprint)
        if table is None:
            table = _protect(k, table_counts)
            cache.put(k, table)
        tables[key] = table
    return tables


def group_tables(campaign: Campaign, *, k: int, indicators: Sequence[str],
                 units: Iterable[int] | None = None, include_flagged: bool = False,
                 fingerprints: Mapping[TableKey, Fingerprint] | None = None,
                 ) -> dict[tuple[int, str, str], GroupTable]:
    """Every (unit, group, indicator) table of the campaign (or of ``units``), protected.

    Counted cards: one GROUP BY gives every table's fingerprint, and only the
    tables whose fingerprint is not the cached one are read atom by atom and
    protected again. With flagged cards (which the summaries leave out) the
    atoms are counted from the responses and looked up by their fingerprint.
    ``fingerprints``: the tables' fingerprints when the caller's own read
    gave them (:func:`.summaries.summaries_and_fingerprints`), for the same
    campaign, indicators and units.
    """
    cache = _cache()
    unit_list = None if units is None else list(units)
    if include_flagged:
        atoms = stratum_summaries(campaign, indicator=indicators, by=_ATOM_KEYS,
                                  units=unit_list, include_flagged=True)
        rows: dict[TableKey, list[AtomRow]] = {}
        for s in atoms:
            assert s.cell.unit_id is not None and s.cell.channel is not None and s.cell.month
            key = (s.cell.unit_id, s.group, s.cell.indicator or "")
            rows.setdefault(key, []).append(
                (s.cell.channel, s.cell.service_point_id, s.cell.month, s.n))
        return _from_counts(cache, k, {key: _counted(found) for key, found in rows.items()})
    tables: dict[TableKey, GroupTable] = {}
    stale: set[TableKey] = set()
    if fingerprints is None:
        fingerprints = table_fingerprints(campaign, indicators=indicators, units=unit_list)
    for key, found in fingerprints.items():
        table = cache.get(k, found)
        if table is None:
            stale.add(key)
        else:
            tables[key] = table
    if stale:
        read = summary_counts(campaign, indicators=sorted({key[2] for key in stale}),
                             units=sorted({key[0] for key in stale}))
        tables.update(_from_counts(cache, k, read))
    return tables


def _counted(rows: list[AtomRow]) -> TableCounts:
    """Counts read from the responses (flagged cards included), fingerprinted in Python."""
    return TableCounts(rows, fingerprint({Atom(c, p, m): n for c, p, m, n in rows}))


@dataclass(frozen=True, slots=True)
class _Scope:
    """What every part of one request shares: the period asked for and the channels."""

    window: Period | None
    channels: frozenset[str] | None
    by_point: bool


@lru_cache(maxsize=4096)
def _months_of(table_months: frozenset[str], period: str | None, window: Period | None
               ) -> frozenset[str] | None:
    """The months of a table a cell's period within the window covers; None when the
    window cuts a month (kept: most tables share their set of months)."""
    months = {m for m in table_months if period is None or period in periods_of(m)}
    if window is None:
        return frozenset(months)
    named = _named(window)
    if named is not None:
        return frozenset(m for m in months if named in periods_of(m))
    inside = set()
    for m in months:
        first = dt.date(int(m[:4]), int(m[5:]), 1)
        after = (first + dt.timedelta(days=32)).replace(day=1)
        if window.start <= first and after <= window.end:
            inside.add(m)
        elif first < window.end and window.start < after:
            return None  # the period cuts this month: not a combination of nodes
    return frozenset(inside)


@lru_cache(maxsize=256)
def _named(window: Period) -> str | None:
    """The lattice period a window was asked as ("2025", "2025-Q2", "2025-06"), if any."""
    try:
        parsed = parse_period(window.label)
    except ResultsError:  # a custom range's label "2025-01-01..2025-02-10"
        return None
    return parsed.label if parsed.label in periods_of(f"{parsed.start:%Y-%m}") else None


def _status(table: GroupTable | None, summary: StratumSummary, scope: _Scope, k: int
            ) -> Withheld:
    """Whether one group part may be shown, and if not why."""
    if table is None:  # no table: the part holds nobody the counts know of
        return "secondary"
    cell = summary.cell
    channels = scope.channels
    if cell.channel is not None:
        channels = frozenset({cell.channel}) & (channels or frozenset({cell.channel}))
    point: int | None | Literal["any"] = cell.service_point_id if scope.by_point else "any"
    period = cell.month or cell.quarter or cell.year or None  # the finest period of the cell
    if table.part_shown(period, scope.window, channels, point):
        return ""
    return "primary" if 0 < summary.n < k else "secondary"


def protect_summaries(campaign: Campaign, summaries: Sequence[StratumSummary], *,
                      by: Sequence[str], k: int, window: Period | None,
                      channels: Iterable[str] | None, units: Iterable[int] | None,
                      include_flagged: bool, indicators: Sequence[str],
                      fingerprints: Mapping[TableKey, Fingerprint] | None = None,
                      ) -> list[StratumSummary]:
    """The summaries (fetched by unit and ``by``) with every part that may not be shown marked.

    A withheld part keeps its group and cell but no count or sum (n = 0), and
    says why in ``withheld``. Where ``by`` has no unit, the parts of the
    units are then added up per cell and group, leaving withheld ones out
    (a group withheld at every unit stays one withheld part).
    """
    tables = group_tables(campaign, k=k, indicators=indicators, units=units,
                          include_flagged=include_flagged, fingerprints=fingerprints)
    scope = _Scope(window, None if channels is None else frozenset(channels),
                   "service_point" in by)
    marked = []
    for s in summaries:
        assert s.cell.unit_id is not None
        table = tables.get((s.cell.unit_id, s.group, s.cell.indicator or ""))
        why = _status(table, s, scope, k)
        # made directly, not by dataclasses.replace: thousands of parts a page are withheld
        marked.append(s if not why else StratumSummary(s.cell, s.group, 0, 0.0, 0.0, 0, why))
    return marked if "unit" in by else _without_units(marked, summaries, k)


def _without_units(marked: list[StratumSummary], original: Sequence[StratumSummary], k: int
                   ) -> list[StratumSummary]:
    """Parts added up over units: the shown ones summed, the withheld ones left out."""
    drop = {"unit_id": None, "unit_code": None, "unit_name": None}
    sums: dict[tuple[CellKey, str], StratumSummary] = {}
    small: dict[tuple[CellKey, str], int] = {}  # respondents of withheld parts, all primary
    for s, before in zip(marked, original, strict=True):
        key = (replace(s.cell, **drop), s.group)
        if s.withheld:
            pooled = small.get(key, 0) + before.n
            small[key] = pooled if s.withheld == "primary" else k
            sums.setdefault(key, replace(s, cell=key[0]))
            continue
        found = sums.get(key)
        if found is None or found.withheld:
            sums[key] = replace(s, cell=key[0])
        else:
            sums[key] = replace(found, n=found.n + s.n, total=found.total + s.total,
                                sum_of_squares=found.sum_of_squares + s.sum_of_squares,
                                satisfied=found.satisfied + s.satisfied)
    out = []
    for key, s in sums.items():
        if s.withheld:
            s = replace(s, withheld="primary" if small.get(key, k) < k else "secondary")
        out.append(s)
    out.sort(key=lambda s: (s.cell.sort_key(), s.group))
    return out
