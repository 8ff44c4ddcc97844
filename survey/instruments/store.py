"""Instrument files on disk and the versions of them kept in the database.

A response records the exact version it answered; the version's text is kept,
so an answer can always be read against the questionnaire it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db, rows_changed
from ..models import InstrumentVersion, utcnow
from .files import load_directory
from .model import Instrument
from .parse import parse_instrument


def current_instruments() -> dict[str, Instrument]:
    """The instruments in INSTRUMENTS_DIR, validated (raises InstrumentError on a bad file)."""
    return _load_cached(current_app.config["INSTRUMENTS_DIR"])


@lru_cache(maxsize=8)
def _load_cached(directory: str) -> dict[str, Instrument]:
    return load_directory(directory)


def register_versions(instruments: dict[str, Instrument] | None = None) -> list[InstrumentVersion]:
    """Store every instrument version not yet stored; returns the newly stored rows."""
    instruments = instruments if instruments is not None else current_instruments()
    added: list[InstrumentVersion] = []
    for instrument in instruments.values():
        if _insert_unless_stored(instrument):
            added.append(_stored(instrument))
    return added


def _insert_unless_stored(instrument: Instrument) -> bool:
    """Insert the version's row unless another transaction has, or is about to; True if ours.

    Two workers serving their first card at once both found no row and both
    inserted it, and one request failed on the unique version. ON CONFLICT DO
    NOTHING waits for the other's insert to commit (or roll back) and then
    leaves its row in place; the SELECT that follows sees it.
    """
    values = {
        "instrument_id": instrument.id,
        "version": instrument.version,
        "source": instrument.source,
        "loaded_at": utcnow(),
    }
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql_insert(InstrumentVersion).values(**values)
    elif dialect == "sqlite":
        statement = sqlite_insert(InstrumentVersion).values(**values)
    else:  # another database: the plain check, then insert
        if _stored_or_none(instrument) is not None:
            return False
        return rows_changed(insert(InstrumentVersion).values(**values)) == 1
    return rows_changed(statement.on_conflict_do_nothing(index_elements=["version"])) == 1


def _stored_or_none(instrument: Instrument) -> InstrumentVersion | None:
    return db.session.execute(
        select(InstrumentVersion).where(InstrumentVersion.version == instrument.version)
    ).scalar_one_or_none()


def _stored(instrument: Instrument) -> InstrumentVersion:
    row = _stored_or_none(instrument)
    if row is None:
        raise LookupError(f"instrument version {instrument.version} of {instrument.id} not stored")
    return row


def current_version(instrument_id: str) -> tuple[Instrument, InstrumentVersion]:
    """The instrument as on disk now, with its stored version row (stored on first use)."""
    instruments = current_instruments()
    if instrument_id not in instruments:
        raise LookupError(
            f"no instrument with id {instrument_id!r} in {current_app.config['INSTRUMENTS_DIR']}"
        )
    instrument = instruments[instrument_id]
    row = _stored_or_none(instrument)
    if row is None:
        _insert_unless_stored(instrument)
        row = _stored(instrument)
    return instrument, row


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A stored instrument version as a worker keeps it: the row's id and what names it.

    A version row never changes once stored (it is the content hash's), so a
    worker may keep it for good instead of selecting it for every card.
    """

    id: int
    instrument_id: str
    version: str


# Per app (each test makes its own, on a database of its own): content hash -> stored row.
_VERSIONS = "survey_instrument_versions"


def serving_version(instrument_id: str) -> tuple[Instrument, StoredVersion, bool]:
    """The instrument as on disk now, its stored version, and whether this call stored it.

    The version is looked up in the database once per worker; a version seen
    for the first time is stored (flushed: the caller commits, at once, when
    the third value is True).
    """
    instruments = current_instruments()
    if instrument_id not in instruments:
        raise LookupError(
            f"no instrument with id {instrument_id!r} in {current_app.config['INSTRUMENTS_DIR']}"
        )
    instrument = instruments[instrument_id]
    known: dict[str, StoredVersion] = current_app.extensions.setdefault(_VERSIONS, {})
    cached = known.get(instrument.version)
    if cached is not None:
        return instrument, cached, False
    row = _stored_or_none(instrument)
    # Whether this transaction wrote it or found another's (ON CONFLICT), the caller commits.
    stored_now = row is None
    if row is None:
        _insert_unless_stored(instrument)
        row = _stored(instrument)
    found = StoredVersion(id=row.id, instrument_id=row.instrument_id, version=row.version)
    if not stored_now:
        # Only a committed row is kept: one stored now is kept by the next card after commit.
        known[instrument.version] = found
    return instrument, found, stored_now


def instrument_of(version: InstrumentVersion) -> Instrument:
    """The instrument exactly as a stored version defined it."""
    return _parse_cached(version.version, version.instrument_id, version.source)


@lru_cache(maxsize=64)
def _parse_cached(_version: str, instrument_id: str, source: str) -> Instrument:
    return parse_instrument(source, file=f"{instrument_id}.toml")
