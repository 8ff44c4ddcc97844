"""Parsing a framework file: the tree adds up, or the file is refused.

The checks that matter to an evaluator come first: category points (or weights)
add up to the stated total, each category's items add up to the category's
points, ids are unique, every text is in every declared language, innovation
categories and items carry caps, and grades run from best to worst. The version
is the SHA-256 of the file's text, as for instruments, so a scored cycle keeps
the exact framework it was scored under.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from pathlib import Path
from typing import Any

from .errors import FrameworkError
from .framework import INNOVATION_KINDS, KINDS, Category, Framework, Grade, Item
from .parse_items import parse_item
from .reading import SLUG, WORD, Reader, same

__all__ = ["parse_framework", "parse_items_of", "read_toml"]

_TOP_KEYS = frozenset({"id", "languages", "title", "description", "total", "grades", "categories"})
_CATEGORY_KEYS = frozenset(
    {"id", "kind", "title", "description", "points", "weight", "cap", "items"}
)
_GRADE_KEYS = frozenset({"id", "title", "from"})


def read_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FrameworkError(file, None, None, f"not valid TOML: {error}") from error


def file_id(reader: Reader, value: Any) -> str:
    """The file's id: a slug equal to the file name, so a reference to it finds one file."""
    ident = reader.identifier(value, SLUG, None, "id", "provincial-institutions")
    stem = Path(reader.file).stem
    if stem != ident:
        raise reader.fail(None, "id", f"'{ident}' must equal the file name '{stem}'")
    return ident


def parse_items_of(
    reader: Reader,
    rows: Any,
    where: str,
    category: str,
    kind: str,
    points: float | None,
    seen: dict[str, str],
) -> tuple[Item, ...]:
    """A category's items; their points must add up to the category's ``points``.

    ``seen`` maps item ids already read to their category, across the file (and,
    for a unit set, across the framework it extends): item ids are unique.
    """
    if not isinstance(rows, list) or not rows:
        raise reader.fail(category, f"{where}.items", "a category needs [[categories.items]]")
    items: list[Item] = []
    for number, row in enumerate(rows, start=1):
        item = parse_item(reader, row, f"{where}.items[{number}]", category, kind)
        if item.id in seen:
            raise reader.fail(
                item.id, "id", f"duplicate item id (also in category '{seen[item.id]}')"
            )
        seen[item.id] = category
        items.append(item)
    if points is not None:
        added = math.fsum(item.points for item in items)
        if not same(added, points):
            raise reader.fail(
                category,
                "items",
                f"items add up to {added:g} points, not the category's {points:g}",
            )
    return tuple(items)


def _category(
    reader: Reader, data: Any, number: int, total: float, seen: dict[str, str]
) -> tuple[Category, str]:
    """One category and how its share was stated ('points', 'weight' or 'cap')."""
    where = f"categories[{number}]"
    table = reader.table(data, None, where)
    category_id = reader.identifier(table.get("id"), WORD, None, f"{where}.id", "staffing")
    reader.only_keys(table, _CATEGORY_KEYS, category_id)
    kind = reader.choice(table.get("kind", "common"), KINDS, category_id, "kind")
    title = reader.text(table.get("title"), category_id, "title", required=True)
    description = reader.text(table.get("description"), category_id, "description", required=False)
    if kind in INNOVATION_KINDS:
        for key in ("points", "weight"):
            if key in table:
                raise reader.fail(
                    category_id, key, f"an {kind} category is outside the total: give a cap"
                )
        if table.get("cap") is None:
            raise reader.fail(
                category_id, "cap", f"missing: an {kind} category needs a cap on its yearly points"
            )
        cap = reader.positive(table["cap"], category_id, "cap")
        items = parse_items_of(reader, table.get("items"), where, category_id, kind, None, seen)
        category = Category(category_id, kind, title, items, cap=cap, description=description)
        return category, "cap"
    if "cap" in table:
        raise reader.fail(category_id, "cap", f"a {kind} category has points, not a cap")
    if ("points" in table) == ("weight" in table):
        raise reader.fail(category_id, "points", "give points or weight, one of the two")
    if "weight" in table:
        weight = reader.positive(table["weight"], category_id, "weight")
        if weight > 1:
            raise reader.fail(
                category_id, "weight", f"{weight:g} is above 1 (a share of the total)"
            )
        points, style = weight * total, "weight"
    else:
        points, style = reader.positive(table["points"], category_id, "points"), "points"
    items = parse_items_of(reader, table.get("items"), where, category_id, kind, points, seen)
    return Category(category_id, kind, title, items, points=points, description=description), style


def _categories(reader: Reader, data: Any, total: float) -> tuple[Category, ...]:
    rows = reader.list_of(data, None, "categories")
    categories: list[Category] = []
    styles: set[str] = set()
    seen: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        category, style = _category(reader, row, number, total, seen)
        if any(c.id == category.id for c in categories):
            raise reader.fail(category.id, "id", "duplicate category id")
        if style != "cap":
            styles.add(style)
        categories.append(category)
    if len(styles) > 1:
        raise reader.fail(None, "categories", "give every category points, or every one a weight")
    scored = [c for c in categories if c.points is not None]
    if not scored:
        raise reader.fail(None, "categories", "no common or individual category")
    added = math.fsum(c.points for c in scored if c.points is not None)
    if not same(added, total):
        stated = "weights add up to" if styles == {"weight"} else "categories add up to"
        amount = f"{added / total:g}" if styles == {"weight"} else f"{added:g} points"
        raise reader.fail(None, "categories", f"{stated} {amount}, not the total {total:g}")
    return tuple(categories)


def _grades(reader: Reader, data: Any) -> tuple[Grade, ...]:
    if data is None:
        return ()
    rows = reader.list_of(data, None, "grades")
    grades: list[Grade] = []
    for number, row in enumerate(rows, start=1):
        field = f"grades[{number}]"
        table = reader.table(row, None, field)
        reader.only_keys(table, _GRADE_KEYS, None, f"{field}.")
        grade_id = reader.identifier(table.get("id"), SLUG, None, f"{field}.id", "excellent")
        if any(g.id == grade_id for g in grades):
            raise reader.fail(None, f"{field}.id", f"duplicate grade id '{grade_id}'")
        title = reader.text(table.get("title"), None, f"{field}.title", required=True)
        last = number == len(rows)
        if last != (table.get("from") is None):
            problem = (
                "the lowest grade has no 'from'" if last else "needs 'from' (the lowest points)"
            )
            raise reader.fail(None, f"{field}.from", problem)
        lower = None if last else reader.number(table["from"], None, f"{field}.from")
        if (
            lower is not None
            and grades
            and grades[-1].lower is not None
            and lower >= grades[-1].lower
        ):
            raise reader.fail(
                None,
                f"{field}.from",
                f"{lower:g} must be below the grade above ({grades[-1].lower:g})",
            )
        grades.append(Grade(grade_id, title, lower))
    if len(grades) < 2:
        raise reader.fail(None, "grades", "at least two grades, best first")
    return tuple(grades)


def parse_framework(text: str, *, file: str) -> Framework:
    """A framework from the text of its file (``file`` names it in error messages).

    For files on disk and for the stored text of a version scored earlier (pass
    ``file=f"{id}.toml"``); the version is the SHA-256 of the UTF-8 text.
    """
    data = read_toml(text, file)
    reader = Reader(file)
    reader.only_keys(data, _TOP_KEYS, None)
    framework_id = file_id(reader, data.get("id"))
    languages = reader.declared_languages(data.get("languages"))
    title = reader.text(data.get("title"), None, "title", required=True)
    description = reader.text(data.get("description"), None, "description", required=False)
    total = reader.positive(data.get("total"), None, "total")
    categories = _categories(reader, data.get("categories"), total)
    grades = _grades(reader, data.get("grades"))
    return Framework(
        id=framework_id,
        title=title,
        description=description,
        languages=languages,
        total=total,
        categories=categories,
        grades=grades,
        version=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=text,
        path=file,
    )
