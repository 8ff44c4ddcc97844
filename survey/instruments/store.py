"""Instrument files on disk and the versions of them kept in the database.

A response records the exact version it answered; the version's text is kept,
so an answer can always be read against the questionnaire it was given.
"""

from __future__ import annotations

from functools import lru_cache

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import InstrumentVersion
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
        exists = db.session.execute(
            select(InstrumentVersion.id).where(InstrumentVersion.version == instrument.version)
        ).scalar_one_or_none()
        if exists is None:
            row = InstrumentVersion(
                instrument_id=instrument.id, version=instrument.version, source=instrument.source
            )
            db.session.add(row)
            added.append(row)
    db.session.flush()
    return added


def current_version(instrument_id: str) -> tuple[Instrument, InstrumentVersion]:
    """The instrument as on disk now, with its stored version row (stored on first use)."""
    instruments = current_instruments()
    if instrument_id not in instruments:
        raise LookupError(
            f"no instrument with id {instrument_id!r} in {current_app.config['INSTRUMENTS_DIR']}"
        )
    instrument = instruments[instrument_id]
    row = db.session.execute(
        select(InstrumentVersion).where(InstrumentVersion.version == instrument.version)
    ).scalar_one_or_none()
    if row is None:
        register_versions({instrument.id: instrument})
        row = db.session.execute(
            select(InstrumentVersion).where(InstrumentVersion.version == instrument.version)
        ).scalar_one()
    return instrument, row


def instrument_of(version: InstrumentVersion) -> Instrument:
    """The instrument exactly as a stored version defined it."""
    return _parse_cached(version.version, version.instrument_id, version.source)


@lru_cache(maxsize=64)
def _parse_cached(_version: str, instrument_id: str, source: str) -> Instrument:
    return parse_instrument(source, file=f"{instrument_id}.toml")
