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

The hashes are integer arithmetic (a multiplier, a square, a remainder)
written once for SQLite and PostgreSQL alike and once in Python
(:func:`fingerprint`), so a fingerprint computed from counts read in another
statement is comparable. They mix the atom's identity non-linearly: with a
linear h, cards moving in a rectangle (two months by two channels, the very
move disclosure control guards against) would leave the sums unchanged. Two
different counts with an equal fingerprint need both 31-bit sums to agree by
chance as well as n and the number of atoms; and a stale protection could at
worst show a figure it should have withheld, never hide a count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, Integer, case, cast, func, select

from ..extensions import db
from ..models import CHANNELS, Campaign, CampaignGroup, Group, MonthlySummary
from ..stats.disclosure import Atom
from .replica import read_sums
from .running import sync_pending

__all__ = [
    "Fingerprint",
    "TableKey",
    "add_fingerprints",
    "atom_number",
    "fingerprint",
    "fingerprint_sums",
    "summary_atoms",
    "table_fingerprints",
]

TableKey = tuple[int, str, str]  # unit id, group code, indicator
Fingerprint = tuple[int, int, int, int]  # atoms, respondents, sum n*h1, sum n*h2

_PRIME = 2_147_483_629  # the largest prime below 2**31: a square stays below 2**63
_MONTHS = 100_000  # months are numbered year * 12 + month, below this
_CHANNEL_INDEX = {channel: i + 1 for i, channel in enumerate(CHANNELS)}
_SLOTS = 16  # room per point for the channel index (CHANNELS has fewer)
# Each hash is (y*y + a*y + b) mod p of the atom's number y: different a, b.
_H1 = (7_919, 104_729)
_H2 = (1_299_709, 15_485_863)


def _atom_number(channel: str, point: object, month: str) -> int:
    """One integer per atom of a table (distinct for distinct atoms), reduced mod p."""
    month_number = int(month[:4]) * 12 + int(month[5:7])
    slot = (point if isinstance(point, int) else 0) * _SLOTS + _CHANNEL_INDEX.get(channel, 0)
    return (slot * _MONTHS + month_number) % _PRIME


def _hash(y: int, a: int, b: int) -> int:
    return (y * y + a * y + b) % _PRIME


def fingerprint(counts: Mapping[Atom, int]) -> Fingerprint:
    """The fingerprint of one table's counts, as :func:`table_fingerprints` gives it."""
    atoms = respondents = first = second = 0
    for atom, n in counts.items():
        if n <= 0:
            continue  # an empty atom is no atom of the table (build_table leaves it out)
        y = _atom_number(atom.channel, atom.point, atom.month)
        atoms += 1
        respondents += n
        first += n * _hash(y, *_H1)
        second += n * _hash(y, *_H2)
    return atoms, respondents, first, second


def atom_number(m: Any = MonthlySummary) -> Any:
    """The SQL of :func:`_atom_number` over a summary row (of ``m``, a table or subquery)."""
    channel = case(*((m.channel == c, i) for c, i in _CHANNEL_INDEX.items()), else_=0)
    month = (
        cast(func.substr(m.month, 1, 4), Integer) * 12 + cast(func.substr(m.month, 6, 2), Integer)
    )
    slot = cast(func.coalesce(m.service_point_id, 0), BigInteger) * _SLOTS + channel
    return (slot * _MONTHS + month) % _PRIME


def _sql_hash(y: Any, a: int, b: int) -> Any:
    return (y * y + y * a + b) % _PRIME


def fingerprint_sums(n: Any, y: Any) -> list[Any]:
    """The aggregates of a fingerprint but n: non-empty atoms, sum n*h1, sum n*h2.

    bigint, not PostgreSQL's numeric sum: numerics arrive as Decimal, ten times slower.
    """
    return [
        cast(func.sum(case((n > 0, 1), else_=0)), BigInteger).label("atoms"),
        cast(func.sum(n * _sql_hash(y, *_H1)), BigInteger).label("h1"),
        cast(func.sum(n * _sql_hash(y, *_H2)), BigInteger).label("h2"),
    ]


def add_fingerprints(known: Fingerprint | None, part: Sequence[Any], n: int) -> Fingerprint:
    """A table's fingerprint so far plus a disjoint part of it (atoms, h1, h2 and its n)."""
    atoms, first, second = (int(v) for v in part)
    if known is None:
        return atoms, n, first, second
    return known[0] + atoms, known[1] + n, known[2] + first, known[3] + second


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
    """Every table's fingerprint, from one GROUP BY over the campaign's monthly summaries.

    The atom's number is worked out once per row in a subquery that the
    planner may not merge (OFFSET 0): merged, each hash would work it out
    again, and that doubled the query's time on 66,000 rows.
    """
    m = MonthlySummary
    sync_pending(db.session)  # this transaction's own changes count too
    rows = _rows(campaign, indicators, units, m.unit_id, m.group_id, m.indicator, m.n,
                 atom_number().label("y")).offset(0).subquery("rows")
    sums = (
        select(
            rows.c.unit_id,
            rows.c.group_id,
            rows.c.indicator,
            cast(func.sum(rows.c.n), BigInteger).label("n"),
            *fingerprint_sums(rows.c.n, rows.c.y),
        )
        .group_by(rows.c.unit_id, rows.c.group_id, rows.c.indicator)
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


def summary_atoms(campaign: Campaign, *, indicators: Sequence[str],
                  units: Iterable[int] | None = None) -> dict[TableKey, dict[Atom, int]]:
    """Every table's respondents per atom, read from the monthly summaries (counted cards)."""
    m = MonthlySummary
    sync_pending(db.session)
    stmt = _rows(campaign, indicators, units, m.unit_id, Group.code, m.indicator, m.channel,
                 m.service_point_id, m.month, m.n).join(Group, Group.id == m.group_id)
    tables: dict[TableKey, dict[Atom, int]] = {}
    for unit, group, indicator, channel, point, month, n in read_sums(stmt):
        atom = Atom(channel, None if point is None else int(point), month)
        table = tables.setdefault((int(unit), group, indicator), {})
        table[atom] = table.get(atom, 0) + int(n)
    return tables
