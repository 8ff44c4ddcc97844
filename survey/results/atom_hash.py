"""The two hashes of a summary row's atom that table fingerprints add up.

A disclosure table's fingerprint (:mod:`.table_counts`) is, beside its
number of atoms and respondents, the sums of n x h1 and n x h2 over its
atoms, where an atom is a (channel, service point, month) of the table. The
hashes depend on the atom alone, so each monthly summary row keeps its own
(``hash1``, ``hash2``), written with the row (running sums, rebuild, the
migration that added them) and never changed: a fingerprint is then two
multiplications per row, where working the hashes out in the query doubled
its time at 10 million responses.

The same arithmetic is written once in Python (:func:`atom_hashes`) and once
as SQL that SQLite and PostgreSQL share (:func:`atom_hashes_sql`): a number
per atom (distinct atoms, distinct numbers), reduced mod a prime p below
2**31, then (y*y + a*y + b) mod p for two pairs (a, b). The square mixes the
atoms non-linearly: with a linear hash, cards moving in a rectangle (two
months by two channels, the very move disclosure control guards against)
would leave the sums unchanged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, case, cast, func

from ..models import CHANNELS

__all__ = ["atom_hash_columns", "atom_hashes", "atom_hashes_sql"]

PRIME = 2_147_483_629  # the largest prime below 2**31: a square stays below 2**63
_MONTHS = 100_000  # months are numbered year * 12 + month, below this
_CHANNEL_INDEX = {channel: i + 1 for i, channel in enumerate(CHANNELS)}
_SLOTS = 16  # room per point for the channel index (CHANNELS has fewer)
_H1 = (7_919, 104_729)
_H2 = (1_299_709, 15_485_863)


def _atom_number(channel: str, point: object, month: str) -> int:
    month_number = int(month[:4]) * 12 + int(month[5:7])
    slot = (point if isinstance(point, int) else 0) * _SLOTS + _CHANNEL_INDEX.get(channel, 0)
    return (slot * _MONTHS + month_number) % PRIME


def atom_hashes(channel: str, point: object, month: str) -> tuple[int, int]:
    """h1 and h2 of the atom (channel, service point id or None, "YYYY-MM")."""
    y = _atom_number(channel, point, month)
    return (y * y + _H1[0] * y + _H1[1]) % PRIME, (y * y + _H2[0] * y + _H2[1]) % PRIME


def atom_hash_columns(channel: str, point: object, month: str) -> dict[str, int]:
    """A new summary row's ``hash1`` and ``hash2`` columns, written once with the row."""
    first, second = atom_hashes(channel, point, month)
    return {"hash1": first, "hash2": second}


def atom_hashes_sql(channel: Any, point: Any, month: Any) -> tuple[Any, Any]:
    """h1 and h2 as SQL expressions over a row's channel, service point and month columns."""
    index = case(*((channel == c, i) for c, i in _CHANNEL_INDEX.items()), else_=0)
    month_number = cast(func.substr(month, 1, 4), Integer) * 12 + cast(
        func.substr(month, 6, 2), Integer
    )
    slot = cast(func.coalesce(point, 0), BigInteger) * _SLOTS + index
    y = (slot * _MONTHS + month_number) % PRIME
    return (
        (y * y + y * _H1[0] + _H1[1]) % PRIME,
        (y * y + y * _H2[0] + _H2[1]) % PRIME,
    )
