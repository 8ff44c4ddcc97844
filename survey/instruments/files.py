"""Instrument files on disk: one TOML file per instrument, read as exact bytes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .model import (
    Instrument,
    InstrumentError,
)
from .parse import parse_instrument


def load_instrument(path: str | Path) -> Instrument:
    """An instrument from its file; the version hashes the exact bytes (no newline changes)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InstrumentError(str(path), None, None, f"cannot read: {error.strerror}") from error
    if raw.startswith(b"\xef\xbb\xbf"):
        raise InstrumentError(str(path), None, None, "starts with a BOM: save as UTF-8 without BOM")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InstrumentError(
            str(path), None, None, f"not UTF-8 text (byte {error.start})"
        ) from error
    return parse_instrument(text, file=str(path))


def instrument_files(directory: str | Path) -> Sequence[Path]:
    """The instrument files of a folder, sorted by name; InstrumentError if it is no folder."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InstrumentError(str(directory), None, None, "no such folder")
    return sorted(directory.glob("*.toml"))


def load_directory(directory: str | Path) -> dict[str, Instrument]:
    """Every instrument in a folder, by id in file-name order; raises on the first problem."""
    instruments: dict[str, Instrument] = {}
    for path in instrument_files(directory):
        instrument = load_instrument(path)
        if instrument.id in instruments:
            raise InstrumentError(
                str(path), None, "id", f"duplicate instrument id '{instrument.id}'"
            )
        instruments[instrument.id] = instrument
    return instruments


def check_directory(directory: str | Path) -> list[InstrumentError]:
    """The first problem of every file in a folder (empty when all load).

    For a review of many files at once: unlike ``load_directory`` it does not stop
    at the first bad file.
    """
    try:
        paths = instrument_files(directory)
    except InstrumentError as error:
        return [error]
    errors: list[InstrumentError] = []
    ids: set[str] = set()
    for path in paths:
        try:
            instrument = load_instrument(path)
        except InstrumentError as error:
            errors.append(error)
            continue
        if instrument.id in ids:
            errors.append(
                InstrumentError(str(path), None, "id", f"duplicate instrument id '{instrument.id}'")
            )
        ids.add(instrument.id)
    return errors
