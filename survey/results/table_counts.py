"""The counts behind disclosure control, read from the running summaries, and their fingerprints.

Disclosure control (:mod:`.protection`) protects each (unit, group,
indicator) table from its respondents per atom (channel, service point,
month), and the protection depends on those counts alone. Working it out
again on every page cost seconds with 1,000 units, so it is kept between
requests and looked up by a *fingerprint* of the counts: per table, the
number of non-empty atoms, the respondents, and two sums of n x h(atom) for
two hash functions h of the atom's identity. One GROUP BY over the monthly
summaries gives every table's fingerprint in a few hundred kB, where the
counts themselves are tens of thousands of rows to read and sort.

The hashes (:mod:`.atom_hash`) are kept on each summary row, written with
it, and computed the same way in Python (:func:`fingerprint`), so a
fingerprint computed from counts read in another statement is comparable.
Two different counts with an equal fingerprint need both 31-bit sums to
agree by chance as well as n and the number of atoms (the protection is kept
by fingerprint, so this holds across every table of the app: for 100,000
tables the chance of any such pair is about 1e-9); and a stale protection
could at worst show a figure it should have withheld, never hide a count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, case, cast, func, select

from ..extensions import db
from ..models import Campaign, CampaignGroup, Group, MonthlySummary
from ..stats.disclosure import Atom
from .atom_hash import atom_hashes
from .replica import read_sums
from .running import sync_pending

__all__ = [
    "AtomRow",
    "Fingerprint",
    "TableCounts",
    "TableKey",
    "fingerprint",
    "fingerprint_sums",
    "summary_counts",
    "table_fingerprints",
]

TableKey = tuple[int, str, str]  # unit id, group code, indicator
Fingerprint = tuple[int, int, int, int]  # atoms, respondents, sum n*h1, sum n*h2



def fingerprint(counts: Mapping[Atom, int]) -> Fingerprint:
    """The fingerprint of one table's counts, as :func:`table_fingerprints` gives it."""
    atoms = respondents = first = second = 0
    for atom, n in counts.items():
        if n <= 0:
            continue  # an empty atom is no atom of the table (build_table leaves it out)
        h1, h2 = atom_hashes(atom.channel, atom.point, atom.month)
        atoms += 1
        respondents += n
        first += n * h1
        second += n * h2
    return atoms, respondents, first, second


def fingerprint_sums(n: Any, hash1: Any, hash2: Any) -> list[Any]:
    """The aggregates of a fingerprint but n: non-empty atoms, sum n*h1, sum n*h2.

    bigint, not PostgreSQL's numeric sum: numerics arrive as Decimal, ten times slower.
    """
    return [
        cast(func.sum(case((n > 0, 1), else_=0)), BigInteger).label("atoms"),
        cast(func.sum(n * hash1), BigInteger).label("h1"),
        cast(func.sum(n * hash2), BigInteger).label("h2"),
    ]


def _rows(campaign: Campaign, indicators: Sequence[str], units: Iterable[int] | None,
          *columns: Any) -> Any:
    """The campaign's non-empty summary rows of configured groups, these indicators and units."""
    m = MonthlySummary
    configured = select(CampaignGroup.group_id).where(CampaignGroup.campaign_id == campaign.id)
    stmt = select(*columns).where(
        m.campaign_id == campaign.id,
        m.indicator.in_(list(indicators)),
        m.n > 0,
        m.group_id.in_(configured),
    )
    if units is not None:
        stmt = stmt.where(m.unit_id.in_([int(u) for u in units]))
    return stmt


def table_fingerprints(campaign: Campaign, *, indicators: Sequence[str],
                       units: Iterable[int] | None = None) -> dict[TableKey, Fingerprint]:
    """Every table's fingerprint, from one GROUP BY over the campaign's monthly summaries."""
    m = MonthlySummary
    sync_pending(db.session)  # this transaction's own changes count too
    sums = (
        _rows(
            campaign, indicators, units, m.unit_id, m.group_id, m.indicator,
            cast(func.sum(m.n), BigInteger).label("n"), *fingerprint_sums(m.n, m.hash1, m.hash2),
        )
        .group_by(m.unit_id, m.group_id, m.indicator)
        .subquery("sums")
    )
    stmt = select(
        sums.c.unit_id, Group.code, sums.c.indicator, sums.c.atoms, sums.c.n, sums.c.h1,
        sums.c.h2,
    ).join(Group, Group.id == sums.c.group_id)
    return {
        (int(unit), str(group), str(indicator)): (int(a), int(n), int(first), int(second))
        for unit, group, indicator, a, n, first, second in read_sums(stmt)
    }


AtomRow = tuple[str, int | None, str, int]  # channel, service point id or None, month, n


@dataclass(frozen=True, slots=True)
class TableCounts:
    """One table's respondents per atom as read, and the fingerprint of what was read.

    Kept as plain rows: most tables are of one cell (:mod:`.protection` then
    needs only their months), and making an :class:`Atom` of each of 100,000
    rows was a fifth of a first results page.
    """

    rows: list[AtomRow]
    fingerprint: Fingerprint

    def atoms(self) -> dict[Atom, int]:
        """The counts as disclosure control takes them."""
        return {Atom(channel, point, month): n for channel, point, month, n in self.rows}


def summary_counts(campaign: Campaign, *, indicators: Sequence[str],
                   units: Iterable[int] | None = None) -> dict[TableKey, TableCounts]:
    """Every table's respondents per atom and its fingerprint, read from the monthly summaries
    (counted cards), the fingerprint added up from the rows' stored hashes as the GROUP BY of
    :func:`table_fingerprints` adds them."""
    m = MonthlySummary
    sync_pending(db.session)
    stmt = _rows(campaign, indicators, units, m.unit_id, Group.code, m.indicator, m.channel,
                 m.service_point_id, m.month, m.n, m.hash1, m.hash2
                 ).join(Group, Group.id == m.group_id)
    rows: dict[TableKey, list[AtomRow]] = {}
    sums: dict[TableKey, list[int]] = {}
    for unit, group, indicator, channel, point, month, n, h1, h2 in read_sums(stmt):
        key = (unit, group, indicator)
        found = rows.get(key)
        if found is None:
            found = rows[key] = []
            sums[key] = [0, 0, 0, 0]
        found.append((channel, point, month, n))  # one summary row per atom (its cell key)
        total = sums[key]
        total[0] += 1
        total[1] += n
        total[2] += n * h1
        total[3] += n * h2
    return {key: TableCounts(found, (sums[key][0], sums[key][1], sums[key][2], sums[key][3]))
            for key, found in rows.items()}
