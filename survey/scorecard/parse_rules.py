"""Reading a scoring rule from a file, and refusing one that cannot be applied as written.

A rule is checked against its item: every value the item can take must get
exactly one number of points (bands neither overlap nor leave gaps, and reach the
ends of the range), no rule gives more than the item's maximum or less than 0,
and the best value reaches the maximum (else nobody could get full marks, almost
always a slip). A survey rule must not give fewer points for a better index.
"""

from __future__ import annotations

import math
from typing import Any

from .reading import Reader, is_number, same
from .rules import Band, BandsRule, LinearRule, Rule, describe_band

__all__ = ["parse_rule"]

RULE_TYPES = ("linear", "bands")
_LINEAR_KEYS = frozenset({"type", "points_at"})
_BANDS_KEYS = frozenset({"type", "bands"})
_BAND_KEYS = frozenset({"from", "to", "points"})


def parse_rule(
    reader: Reader,
    data: Any,
    item: str,
    *,
    maximum: float,
    low: float,
    high: float | None,
    rising: bool,
) -> Rule:
    """The rule of an item worth ``maximum`` points whose values run from ``low`` to ``high``.

    ``high`` None is an open range (a count); ``rising`` requires more points for
    higher values (survey indices).
    """
    table = reader.table(data, item, "rule")
    kind = reader.choice(table.get("type"), RULE_TYPES, item, "rule.type")
    if kind == "linear":
        reader.only_keys(table, _LINEAR_KEYS, item, "rule.")
        rule: Rule = _linear(reader, table.get("points_at"), item, low, high)
    else:
        reader.only_keys(table, _BANDS_KEYS, item, "rule.")
        rule = _bands(reader, table.get("bands"), item, low, high)
    _check_points(reader, rule, item, maximum)
    if rising and not rule.is_non_decreasing:
        raise reader.fail(
            item, "rule", "a survey rule must not give fewer points for a higher index"
        )
    return rule


def _linear(reader: Reader, value: Any, item: str, low: float, high: float | None) -> LinearRule:
    field = "rule.points_at"
    pairs = reader.list_of(value, item, field)
    shape = "two [value, points] pairs such as [[50, 0], [95, 8]]"
    if len(pairs) != 2 or not all(
        isinstance(p, list) and len(p) == 2 and all(is_number(x) for x in p) for p in pairs
    ):
        raise reader.fail(item, field, f"must be {shape}")
    (x0, p0), (x1, p1) = sorted((float(x), float(p)) for x, p in pairs)
    if x0 == x1:
        raise reader.fail(item, field, f"the two values must differ, both are {x0:g}")
    for x in (x0, x1):
        _inside(reader, x, item, field, low, high)
    return LinearRule(low=x0, low_points=p0, high=x1, high_points=p1)


def _inside(
    reader: Reader, x: float, item: str, field: str, low: float, high: float | None
) -> None:
    if x < low or (high is not None and x > high):
        span = f"{low:g} to {high:g}" if high is not None else f"{low:g} and more"
        raise reader.fail(item, field, f"{x:g} is outside the item's values ({span})")


def _bands(reader: Reader, value: Any, item: str, low: float, high: float | None) -> BandsRule:
    rows = reader.list_of(value, item, "rule.bands")
    bands: list[Band] = []
    for number, row in enumerate(rows, start=1):
        field = f"rule.bands[{number}]"
        row = reader.table(row, item, field)
        reader.only_keys(row, _BAND_KEYS, item, f"{field}.")
        start = (
            low if row.get("from") is None else reader.number(row["from"], item, f"{field}.from")
        )
        top = math.inf if high is None else high
        end = top if row.get("to") is None else reader.number(row["to"], item, f"{field}.to")
        if start >= end:
            raise reader.fail(item, field, f"from {start:g} must be below to {end:g}")
        points = reader.number(row.get("points"), item, f"{field}.points")
        bands.append(Band(low=start, high=end, points=points))
    bands.sort(key=lambda b: (b.low, b.high))
    _tile(reader, bands, item, low, high)
    return BandsRule(bands=tuple(bands))


def _tile(reader: Reader, bands: list[Band], item: str, low: float, high: float | None) -> None:
    """Bands must cover [low, high] exactly once: no overlap, no gap, no overhang."""
    first, last = bands[0], bands[-1]
    if first.low < low:
        raise reader.fail(
            item, "rule.bands", f"band {describe_band(first)} starts below the lowest value {low:g}"
        )
    if first.low > low:
        raise reader.fail(item, "rule.bands", f"gap: no band covers {low:g} to {first.low:g}")
    for before, after in zip(bands, bands[1:], strict=False):
        if after.low < before.high:
            raise reader.fail(
                item,
                "rule.bands",
                f"bands {describe_band(before)} and {describe_band(after)} overlap",
            )
        if after.low > before.high:
            raise reader.fail(
                item, "rule.bands", f"gap: no band covers {before.high:g} to {after.low:g}"
            )
    if high is None and not math.isinf(last.high):
        raise reader.fail(
            item, "rule.bands", f"gap: no band covers {last.high:g} and more (leave out 'to')"
        )
    if high is not None and last.high > high:
        raise reader.fail(
            item, "rule.bands", f"band {describe_band(last)} ends above the highest value {high:g}"
        )
    if high is not None and last.high < high:
        raise reader.fail(item, "rule.bands", f"gap: no band covers {last.high:g} to {high:g}")


def _check_points(reader: Reader, rule: Rule, item: str, maximum: float) -> None:
    if rule.worst < 0:
        raise reader.fail(item, "rule", f"gives {rule.worst:g} points, below 0")
    if rule.best > maximum and not same(rule.best, maximum):
        raise reader.fail(item, "rule", f"gives {rule.best:g} points, above the item's {maximum:g}")
    if not same(rule.best, maximum):
        raise reader.fail(
            item,
            "rule",
            f"gives at most {rule.best:g} points: no value reaches the item's {maximum:g}",
        )
