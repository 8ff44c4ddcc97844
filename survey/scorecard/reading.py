"""Checks shared by the framework and unit-set parsers: keys, texts, numbers, ids.

Each check raises a :class:`FrameworkError` that names the file, the item (or
category) and the field, so every parser reports problems the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ..instruments import KNOWN_LANGUAGES
from .errors import FrameworkError

__all__ = ["ITEM_ID", "KNOWN_LANGUAGES", "SLUG", "WORD", "Reader"]

# File and grade ids: slugs like instruments'. Category ids: one lowercase word;
# item ids: dotted lowercase words ("staffing.fill_rate"), stable across versions.
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
WORD = re.compile(r"^[a-z][a-z0-9_]*$")
ITEM_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
# Sums of points are compared to this tolerance: 0.1 + 0.2 must equal 0.3.
TOLERANCE = 1e-9


def is_number(value: Any) -> bool:
    """A finite TOML integer or float (booleans are ints in Python but not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def same(a: float, b: float) -> bool:
    """Equal up to the rounding of adding decimals."""
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


class Reader:
    """Carries the file name and declared languages to every check."""

    def __init__(self, file: str, languages: tuple[str, ...] = ()) -> None:
        self.file = file
        self.languages = languages

    def fail(self, where: str | None, field: str | None, problem: str) -> FrameworkError:
        return FrameworkError(self.file, where, field, problem)

    def only_keys(
        self, data: Mapping[str, Any], allowed: frozenset[str], where: str | None, prefix: str = ""
    ) -> None:
        """Refuse keys not in ``allowed``: a typo such as ``pionts`` is caught, not ignored."""
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(
                where, f"{prefix}{unknown[0]}", f"unknown key (expected one of {sorted(allowed)})"
            )

    def table(self, value: Any, where: str | None, field: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, field, "must be a table")
        return value

    def declared_languages(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(None, "languages", "must list the languages, zh_Hans first")
        for lang in value:
            if lang not in KNOWN_LANGUAGES:
                raise self.fail(
                    None, "languages", f"unknown language {lang!r} (expected {KNOWN_LANGUAGES})"
                )
        if value[0] != "zh_Hans":
            raise self.fail(None, "languages", "zh_Hans is required, first")
        if len(set(value)) != len(value):
            raise self.fail(None, "languages", "a language is listed twice")
        self.languages = tuple(value)
        return self.languages

    def text(self, value: Any, where: str | None, field: str, *, required: bool) -> Any:
        """A multilingual text: a non-blank string for each declared language and no other."""
        if value is None:
            if required:
                raise self.fail(where, field, "missing (a table of texts per language)")
            return None
        if not isinstance(value, dict):
            raise self.fail(
                where, field, f"must be a table of texts per language {list(self.languages)}"
            )
        for lang in value:
            if lang not in self.languages:
                raise self.fail(where, field, f"language '{lang}' is not declared")
        for lang in self.languages:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(where, field, f"missing translation for '{lang}'")
        return dict(value)

    def number(self, value: Any, where: str | None, field: str) -> float:
        if not is_number(value):
            raise self.fail(where, field, "must be a number")
        return float(value)

    def positive(self, value: Any, where: str | None, field: str) -> float:
        if not is_number(value) or value <= 0:
            raise self.fail(where, field, "must be a number greater than 0")
        return float(value)

    def boolean(self, value: Any, where: str | None, field: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(where, field, "must be true or false")
        return value

    def identifier(
        self, value: Any, pattern: re.Pattern[str], where: str | None, field: str, example: str
    ) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise self.fail(where, field, f"{value!r} must look like '{example}'")
        return value

    def choice(
        self,
        value: Any,
        choices: tuple[str, ...],
        where: str | None,
        field: str,
        what: str | None = None,
    ) -> str:
        """One of ``choices``; the refusal calls the value ``what`` (the field's last word)."""
        if value not in choices:
            word = what or field.rsplit(".", 1)[-1]
            raise self.fail(
                where, field, f"unknown {word} {value!r} (expected one of {list(choices)})"
            )
        return str(value)

    def list_of(self, value: Any, where: str | None, field: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, field, "must be a non-empty list")
        return value
