"""Framework files and the versions of them kept in the database.

A cycle is scored under one framework version for all its years, so the exact
text of every version (and of every unit's individual set) is stored by its
content hash, as instrument versions are: a file edited next year changes the
frameworks offered to new cycles, never the points of a cycle already scored.
"""

from __future__ import annotations

from functools import lru_cache

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import FrameworkVersion
from .files import Library, load_directory
from .framework import Framework, UnitSet
from .parse_framework import parse_framework
from .parse_unit_set import parse_unit_set

__all__ = [
    "current_library",
    "framework_of",
    "framework_version",
    "register_versions",
    "stored_frameworks",
    "unit_set_of",
]


def current_library() -> Library:
    """The frameworks and unit sets in FRAMEWORKS_DIR, validated (FrameworkError if not)."""
    return _load_cached(current_app.config["FRAMEWORKS_DIR"])


@lru_cache(maxsize=4)
def _load_cached(directory: str) -> Library:
    return load_directory(directory)


def framework_version(version: str) -> FrameworkVersion | None:
    """The stored row of a version hash, if stored."""
    return db.session.execute(
        select(FrameworkVersion).where(FrameworkVersion.version == version)
    ).scalar_one_or_none()


def register_versions(library: Library | None = None) -> list[FrameworkVersion]:
    """Store every framework and unit-set version not yet stored; returns the new rows."""
    library = library if library is not None else current_library()
    added: list[FrameworkVersion] = []
    for framework in library.frameworks.values():
        if framework_version(framework.version) is None:
            added.append(
                FrameworkVersion(
                    kind="framework",
                    file_id=framework.id,
                    version=framework.version,
                    source=framework.source,
                )
            )
    for unit_set in library.unit_sets.values():
        if framework_version(unit_set.version) is None:
            added.append(
                FrameworkVersion(
                    kind="unit_set",
                    file_id=unit_set.id,
                    extends_version=unit_set.extends_version,
                    version=unit_set.version,
                    source=unit_set.source,
                )
            )
    db.session.add_all(added)
    db.session.flush()
    return added


def stored_frameworks() -> list[FrameworkVersion]:
    """Every stored framework version (not unit sets), newest first, for a cycle's choice."""
    return list(
        db.session.execute(
            select(FrameworkVersion)
            .where(FrameworkVersion.kind == "framework")
            .order_by(FrameworkVersion.loaded_at.desc(), FrameworkVersion.id.desc())
        ).scalars()
    )


def unit_sets_extending(version: FrameworkVersion) -> list[FrameworkVersion]:
    """The stored unit sets written against this framework version."""
    return list(
        db.session.execute(
            select(FrameworkVersion)
            .where(
                FrameworkVersion.kind == "unit_set",
                FrameworkVersion.extends_version == version.version,
            )
            .order_by(FrameworkVersion.file_id)
        ).scalars()
    )


def framework_of(row: FrameworkVersion) -> Framework:
    """The framework exactly as a stored version defined it."""
    if row.kind != "framework":
        raise ValueError(f"version {row.version[:12]} is a {row.kind}, not a framework")
    return _parse_framework(row.version, row.file_id, row.source)


@lru_cache(maxsize=32)
def _parse_framework(_version: str, file_id: str, source: str) -> Framework:
    return parse_framework(source, file=f"{file_id}.toml")


def unit_set_of(row: FrameworkVersion, framework: Framework) -> UnitSet:
    """A stored unit set, parsed against the framework version it extends."""
    if row.kind != "unit_set":
        raise ValueError(f"version {row.version[:12]} is a {row.kind}, not a unit set")
    key = (row.version, framework.version)
    parsed = _UNIT_SETS.get(key)
    if parsed is None:
        parsed = parse_unit_set(
            row.source, file=f"units/{row.file_id}.toml", frameworks=[framework]
        )
        _UNIT_SETS[key] = parsed
    return parsed


# (unit set version, framework version) -> the parsed set; versions are content hashes,
# so an entry never goes stale (a Framework holds dicts and cannot key an lru_cache).
_UNIT_SETS: dict[tuple[str, str], UnitSet] = {}
