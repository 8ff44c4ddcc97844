"""Parsing a unit's individual items: a file that extends one version of one framework.

A unit proposes its own items for the framework's individual categories (a
service centre: items handled online, bad reviews put right ...); an evaluator
approves them. The file names the framework and the exact version it was written
against, so an approval always refers to items that fit the framework's points:
when the framework changes, the set is checked again rather than silently carried
over. Texts are in the framework's languages.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from .framework import Framework, Item, UnitSet
from .parse_framework import file_id, parse_items_of, read_toml
from .reading import SLUG, WORD, Reader

__all__ = ["parse_unit_set"]

_TOP_KEYS = frozenset(
    {"id", "extends", "extends_version", "units", "title", "description", "categories"}
)
_CATEGORY_KEYS = frozenset({"id", "items"})
_VERSION = re.compile(r"^[0-9a-f]{64}$")


def _base(reader: Reader, data: dict[str, Any], frameworks: Iterable[Framework]) -> Framework:
    """The framework version the set extends, among those known (files and stored versions)."""
    extends = reader.identifier(
        data.get("extends"), SLUG, None, "extends", "provincial-institutions"
    )
    version = data.get("extends_version")
    if not isinstance(version, str) or not _VERSION.match(version):
        raise reader.fail(
            None, "extends_version", "must be the 64 hex digits of the framework's version"
        )
    known = [f for f in frameworks if f.id == extends]
    if not known:
        ids = sorted({f.id for f in frameworks})
        raise reader.fail(None, "extends", f"unknown framework '{extends}' (known: {ids})")
    for framework in known:
        if framework.version == version:
            return framework
    current = ", ".join(f.version[:12] for f in known)
    raise reader.fail(
        None,
        "extends_version",
        f"{version[:12]} is not a known version of '{extends}' (known: {current});"
        " review the items against the framework and update extends_version",
    )


def _units(reader: Reader, value: Any) -> tuple[str, ...]:
    units = reader.list_of(value, None, "units")
    for code in units:
        if not isinstance(code, str) or not code.strip() or len(code) > 40:
            raise reader.fail(None, "units", f"{code!r} must be a unit code (1 to 40 characters)")
    if len(set(units)) != len(units):
        raise reader.fail(None, "units", "a unit is listed twice")
    return tuple(units)


def _categories(reader: Reader, data: Any, base: Framework) -> dict[str, tuple[Item, ...]]:
    rows = reader.list_of(data, None, "categories")
    individual = {c.id: c for c in base.individual_categories}
    seen = {item.id: item.category for item in base.items if item.kind != "individual"}
    categories: dict[str, tuple[Item, ...]] = {}
    for number, row in enumerate(rows, start=1):
        where = f"categories[{number}]"
        table = reader.table(row, None, where)
        category_id = reader.identifier(table.get("id"), WORD, None, f"{where}.id", "performance")
        reader.only_keys(table, _CATEGORY_KEYS, category_id)
        if category_id not in individual:
            raise reader.fail(
                category_id,
                "id",
                f"not an individual category of '{base.id}' (individual: {sorted(individual)})",
            )
        if category_id in categories:
            raise reader.fail(category_id, "id", "duplicate category id")
        category = individual[category_id]
        categories[category_id] = parse_items_of(
            reader, table.get("items"), where, category_id, "individual", category.points, seen
        )
    for item in base.items:
        if item.category in individual and item.category not in categories and item.id in seen:
            raise reader.fail(
                item.id, "id", f"duplicate item id (also a default item of '{item.category}')"
            )
    return categories


def parse_unit_set(text: str, *, file: str, frameworks: Iterable[Framework]) -> UnitSet:
    """A unit set from its text, checked against the framework version it extends.

    ``frameworks`` are the framework versions known: the files on disk and, in
    the app, the versions stored for cycles scored earlier.
    """
    frameworks = tuple(frameworks)
    data = read_toml(text, file)
    reader = Reader(file)
    reader.only_keys(data, _TOP_KEYS, None)
    set_id = file_id(reader, data.get("id"))
    base = _base(reader, data, frameworks)
    reader.languages = base.languages
    units = _units(reader, data.get("units"))
    title = reader.text(data.get("title"), None, "title", required=True)
    description = reader.text(data.get("description"), None, "description", required=False)
    categories = _categories(reader, data.get("categories"), base)
    return UnitSet(
        id=set_id,
        extends=base.id,
        extends_version=base.version,
        units=units,
        title=title,
        description=description,
        categories=categories,
        version=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=text,
        path=file,
    )
