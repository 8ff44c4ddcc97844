"""Framework files on disk: ``frameworks/*.toml`` and the unit sets in ``frameworks/units/``.

Reading bytes is kept apart from parsing so that the stored text of an old
version parses exactly like the file did (the version hashes the bytes; a BOM or
a non-UTF-8 file is refused rather than silently changed).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import FrameworkError
from .framework import Framework, UnitSet
from .parse_framework import parse_framework
from .parse_unit_set import parse_unit_set

__all__ = [
    "Library",
    "check_directory",
    "load_directory",
    "load_framework",
    "load_unit_set",
]

UNITS_FOLDER = "units"


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FrameworkError(str(path), None, None, f"cannot read: {error.strerror}") from error
    if raw.startswith(b"\xef\xbb\xbf"):
        raise FrameworkError(str(path), None, None, "starts with a BOM: save as UTF-8 without BOM")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FrameworkError(
            str(path), None, None, f"not UTF-8 text (byte {error.start})"
        ) from error


def load_framework(path: str | Path) -> Framework:
    """A framework from its file; the version hashes the exact bytes."""
    path = Path(path)
    return parse_framework(_read(path), file=str(path))


def load_unit_set(path: str | Path, frameworks: Iterable[Framework]) -> UnitSet:
    """A unit set from its file, checked against the framework versions given."""
    path = Path(path)
    return parse_unit_set(_read(path), file=str(path), frameworks=frameworks)


@dataclass(frozen=True)
class Library:
    """The frameworks and unit sets of a folder, by id."""

    frameworks: Mapping[str, Framework]
    unit_sets: Mapping[str, UnitSet]

    def unit_sets_for(self, unit: str) -> tuple[UnitSet, ...]:
        """The sets proposing items for this unit code (the app applies the approved one)."""
        return tuple(s for s in self.unit_sets.values() if unit in s.units)


def _files(directory: str | Path) -> tuple[Sequence[Path], Sequence[Path]]:
    directory = Path(directory)
    if not directory.is_dir():
        raise FrameworkError(str(directory), None, None, "no such folder")
    return sorted(directory.glob("*.toml")), sorted((directory / UNITS_FOLDER).glob("*.toml"))


def _collect(directory: str | Path, *, stop: bool) -> tuple[Library, list[FrameworkError]]:
    """Load every file; raise the first problem (``stop``) or gather one per bad file."""
    errors: list[FrameworkError] = []

    def keep(error: FrameworkError) -> None:
        if stop:
            raise error
        errors.append(error)

    framework_paths, set_paths = _files(directory)
    frameworks: dict[str, Framework] = {}
    broken: set[str] = set()
    for path in framework_paths:
        try:
            framework = load_framework(path)
        except FrameworkError as error:
            keep(error)
            broken.add(path.stem)
            continue
        frameworks[framework.id] = framework
    unit_sets: dict[str, UnitSet] = {}
    claimed: dict[tuple[str, str], str] = {}
    for path in set_paths:
        extends = _extends(path)
        if extends in broken:
            keep(
                FrameworkError(
                    str(path), None, "extends", f"'{extends}' does not load: fix its file first"
                )
            )
            continue
        try:
            unit_set = load_unit_set(path, frameworks.values())
        except FrameworkError as error:
            keep(error)
            continue
        for unit in unit_set.units:
            other = claimed.setdefault((unit_set.extends, unit), unit_set.id)
            if other != unit_set.id:
                keep(
                    FrameworkError(
                        str(path), None, "units", f"unit '{unit}' already has the set '{other}'"
                    )
                )
        unit_sets[unit_set.id] = unit_set
    return Library(frameworks, unit_sets), errors


def _extends(path: Path) -> str | None:
    """The framework a unit set names, read without validating the rest (None if unreadable)."""
    try:
        value = tomllib.loads(_read(path)).get("extends")
    except (FrameworkError, tomllib.TOMLDecodeError):
        return None
    return value if isinstance(value, str) else None


def load_directory(directory: str | Path) -> Library:
    """Every framework and unit set of a folder; raises the first FrameworkError."""
    library, _ = _collect(directory, stop=True)
    return library


def check_directory(directory: str | Path) -> list[FrameworkError]:
    """The first problem of every file in a folder (empty when all load).

    For ``flask survey framework check``: unlike ``load_directory`` it does not
    stop at the first bad file. A unit set extending a framework whose file is
    broken is reported as extending an unknown framework.
    """
    try:
        _, errors = _collect(directory, stop=False)
    except FrameworkError as error:
        return [error]
    return errors
