"""Reading one item: its points, its source, and what that source needs.

Each source takes its own keys and refuses the others' (a survey item with
``methods`` is a mistake in the file, not something to ignore):

- survey: ``survey = { dimension, indicator, measure }`` and a ``rule``;
- self-assessment: ``evidence`` (whether the unit must attach it);
- on-site: ``methods``, the evaluators' ways of checking;
- data: ``data = { unit, min, max, numerator, denominator }`` and a ``rule``;
- event (innovation categories only): ``cap``, ``per_event`` or ``levels``, ``evidence``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .framework import (
    DATA_UNITS,
    DIMENSIONS,
    INNOVATION_KINDS,
    KINDS,
    MEASURES,
    METHODS,
    SOURCES,
    SURVEY_RANGE,
    DataMeasure,
    EventLevel,
    Item,
    SurveyFeed,
)
from .parse_rules import parse_rule
from .reading import ITEM_ID, SLUG, Reader, same

__all__ = ["parse_item"]

_COMMON_KEYS = frozenset({"id", "title", "criteria", "source", "kind"})
_SOURCE_KEYS = {
    "survey": frozenset({"points", "survey", "rule"}),
    "self-assessment": frozenset({"points", "evidence"}),
    "on-site": frozenset({"points", "methods"}),
    "data": frozenset({"points", "data", "rule"}),
    "event": frozenset({"cap", "per_event", "levels", "evidence"}),
}
_SURVEY_KEYS = frozenset({"dimension", "indicator", "measure"})
_DATA_KEYS = frozenset({"unit", "min", "max", "numerator", "denominator"})
_LEVEL_KEYS = frozenset({"id", "title", "points"})
_INDICATOR_EXAMPLE = "satisfaction.overall"


def parse_item(reader: Reader, data: Any, where: str, category: str, kind: str) -> Item:
    """One ``[[categories.items]]`` table of a category of ``kind``."""
    table = reader.table(data, None, where)
    item_id = reader.identifier(table.get("id"), ITEM_ID, None, f"{where}.id", "staffing.fill_rate")
    stated = table.get("kind", kind)
    reader.choice(stated, KINDS, item_id, "kind")
    if stated != kind:
        raise reader.fail(item_id, "kind", f"'{stated}' differs from its category's '{kind}'")
    source = reader.choice(table.get("source"), SOURCES, item_id, "source")
    innovation = kind in INNOVATION_KINDS
    if innovation != (source == "event"):
        raise reader.fail(
            item_id,
            "source",
            "an innovation item's source is 'event'"
            if innovation
            else "'event' is only for innovation-bonus and innovation-deduction categories",
        )
    reader.only_keys(table, _COMMON_KEYS | _SOURCE_KEYS[source], item_id)
    base = {
        "id": item_id,
        "category": category,
        "kind": kind,
        "source": source,
        "title": reader.text(table.get("title"), item_id, "title", required=True),
        "criteria": reader.text(table.get("criteria"), item_id, "criteria", required=False),
    }
    if source == "event":
        return _event(reader, table, base)
    points = reader.positive(table.get("points"), item_id, "points")
    if source == "survey":
        feed = _survey(reader, table.get("survey"), item_id)
        low, high = SURVEY_RANGE
        rule = parse_rule(
            reader, table.get("rule"), item_id, maximum=points, low=low, high=high, rising=True
        )
        return Item(**base, points=points, survey=feed, rule=rule)
    if source == "data":
        measure = _data(reader, table.get("data"), item_id)
        rule = parse_rule(
            reader,
            table.get("rule"),
            item_id,
            maximum=points,
            low=measure.min,
            high=measure.max,
            rising=False,
        )
        return Item(**base, points=points, data=measure, rule=rule)
    if source == "on-site":
        return Item(**base, points=points, methods=_methods(reader, table.get("methods"), item_id))
    evidence = reader.boolean(table.get("evidence"), item_id, "evidence", default=False)
    return Item(**base, points=points, evidence=evidence)


def _survey(reader: Reader, data: Any, item: str) -> SurveyFeed:
    if data is None:
        raise reader.fail(item, "survey", "missing: { dimension = ..., indicator = ... }")
    table = reader.table(data, item, "survey")
    reader.only_keys(table, _SURVEY_KEYS, item, "survey.")
    dimension = reader.choice(table.get("dimension"), DIMENSIONS, item, "survey.dimension")
    indicator = reader.identifier(
        table.get("indicator"), ITEM_ID, item, "survey.indicator", _INDICATOR_EXAMPLE
    )
    measure = reader.choice(table.get("measure", "index"), MEASURES, item, "survey.measure")
    return SurveyFeed(dimension=dimension, indicator=indicator, measure=measure)


def _data(reader: Reader, data: Any, item: str) -> DataMeasure:
    if data is None:
        raise reader.fail(item, "data", "missing: { unit = ..., min = ... }")
    table = reader.table(data, item, "data")
    reader.only_keys(table, _DATA_KEYS, item, "data.")
    unit = reader.choice(table.get("unit"), DATA_UNITS, item, "data.unit")
    low = reader.number(table.get("min"), item, "data.min")
    high = None if table.get("max") is None else reader.number(table["max"], item, "data.max")
    if high is not None and high <= low:
        raise reader.fail(item, "data.max", f"{high:g} must be above min {low:g}")
    numerator = reader.text(table.get("numerator"), item, "data.numerator", required=False)
    denominator = reader.text(table.get("denominator"), item, "data.denominator", required=False)
    if (numerator is None) != (denominator is None):
        raise reader.fail(item, "data", "a ratio needs both numerator and denominator")
    if numerator is not None and unit != "percent":
        raise reader.fail(item, "data.unit", "a ratio of numerator to denominator is a percent")
    if numerator is not None and low < 0:
        raise reader.fail(item, "data.min", "a ratio of counts cannot be below 0")
    return DataMeasure(unit=unit, min=low, max=high, numerator=numerator, denominator=denominator)


def _methods(reader: Reader, data: Any, item: str) -> tuple[str, ...]:
    methods = reader.list_of(data, item, "methods")
    for method in methods:
        reader.choice(method, METHODS, item, "methods", "method")
    if len(set(methods)) != len(methods):
        raise reader.fail(item, "methods", "a method is listed twice")
    return tuple(methods)


def _event(reader: Reader, table: Mapping[str, Any], base: dict[str, Any]) -> Item:
    """An event item: its cap, and the points of one event (flat, or by level)."""
    item = base["id"]
    if table.get("cap") is None:
        raise reader.fail(item, "cap", "missing: an event item needs a cap on its yearly points")
    if "points" in table:
        raise reader.fail(item, "points", "an event item has a cap, not points")
    cap = reader.positive(table["cap"], item, "cap")
    evidence = reader.boolean(table.get("evidence"), item, "evidence", default=True)
    has_flat, has_levels = "per_event" in table, "levels" in table
    if has_flat == has_levels:
        raise reader.fail(item, "per_event", "give per_event or levels, one of the two")
    if has_flat:
        per_event = reader.positive(table["per_event"], item, "per_event")
        _within_cap(reader, per_event, cap, item, "per_event")
        return Item(**base, points=cap, per_event=per_event, evidence=evidence)
    levels: list[EventLevel] = []
    for number, row in enumerate(reader.list_of(table["levels"], item, "levels"), start=1):
        field = f"levels[{number}]"
        row = reader.table(row, item, field)
        reader.only_keys(row, _LEVEL_KEYS, item, f"{field}.")
        level_id = reader.identifier(row.get("id"), SLUG, item, f"{field}.id", "provincial")
        if any(level.id == level_id for level in levels):
            raise reader.fail(item, f"{field}.id", f"duplicate level id '{level_id}'")
        points = reader.positive(row.get("points"), item, f"{field}.points")
        _within_cap(reader, points, cap, item, f"{field}.points")
        title = reader.text(row.get("title"), item, f"{field}.title", required=True)
        levels.append(EventLevel(id=level_id, title=title, points=points))
    return Item(**base, points=cap, levels=tuple(levels), evidence=evidence)


def _within_cap(reader: Reader, points: float, cap: float, item: str, field: str) -> None:
    if points > cap and not same(points, cap):
        raise reader.fail(
            item, field, f"{points:g} points per event is above the item's cap {cap:g}"
        )
