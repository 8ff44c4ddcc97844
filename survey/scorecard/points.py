"""An item's points from what was recorded: a score, a data value, a survey figure, events.

Every function refuses what the framework does not allow with a
:class:`ScoreError` naming the item, so a screen or an import can say exactly
which entry is wrong and change nothing: a score above the item's maximum, a data
value outside its range, an event of an unknown level, a score for an item of
another source.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import ScoreError
from .framework import Framework, Item

__all__ = [
    "Event",
    "Innovation",
    "assessed_points",
    "data_points",
    "innovation_points",
    "ratio_value",
    "survey_points",
]


def wrong_source(item: Item, *sources: str) -> ScoreError:
    """ "item 'x': is an on-site item, not data": the figure was given as the wrong kind."""
    article = "an" if item.source[0] in "aeiou" else "a"
    return ScoreError(item.id, f"is {article} {item.source} item, not {' or '.join(sources)}")


def _require(item: Item, *sources: str) -> None:
    if item.source not in sources:
        raise wrong_source(item, *sources)


def _finite(item: Item, value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScoreError(item.id, f"{what} must be a number, not {value!r}")
    return float(value)


def assessed_points(item: Item, score: float) -> float:
    """A self-assessment or on-site score, checked to lie from 0 to the item's maximum."""
    _require(item, "self-assessment", "on-site")
    score = _finite(item, score, "the score")
    if score < 0:
        raise ScoreError(item.id, f"score {score:g} is below 0")
    if score > item.points:
        raise ScoreError(item.id, f"score {score:g} is above the item's maximum {item.points:g}")
    return score


def ratio_value(item: Item, numerator: float, denominator: float) -> float:
    """The percent of a ratio item from its two counts (posts filled of posts approved)."""
    _require(item, "data")
    assert item.data is not None
    if not item.data.is_ratio:
        raise ScoreError(item.id, "is not a ratio: enter its value")
    numerator = _finite(item, numerator, "the numerator")
    denominator = _finite(item, denominator, "the denominator")
    if numerator < 0:
        raise ScoreError(item.id, f"the numerator {numerator:g} is below 0")
    if denominator <= 0:
        raise ScoreError(item.id, f"the denominator {denominator:g} must be above 0")
    return 100.0 * numerator / denominator


def data_points(item: Item, value: float) -> float:
    """A data value's points by the item's rule; the value must be in the item's range."""
    _require(item, "data")
    assert item.data is not None and item.rule is not None
    value = _finite(item, value, "the value")
    low, high = item.data.min, item.data.max
    if value < low or (high is not None and value > high):
        span = f"{low:g} to {high:g}" if high is not None else f"{low:g} or more"
        raise ScoreError(item.id, f"value {value:g} is outside the item's range ({span})")
    return item.rule.points_of(value)


def survey_points(item: Item, value: float) -> float:
    """The points of a survey figure on the 0-100 scale (index, or share satisfied in %)."""
    _require(item, "survey")
    assert item.rule is not None
    value = _finite(item, value, "the survey figure")
    if not 0.0 <= value <= 100.0:
        raise ScoreError(item.id, f"survey figure {value:g} is outside 0 to 100")
    return item.rule.points_of(value)


@dataclass(frozen=True, slots=True)
class Event:
    """One bonus or deduction event: its item and, for an item with levels, the level.

    The reason and evidence are kept by the app with the event; only what
    decides the points is here.
    """

    item: str
    level: str | None = None


@dataclass(frozen=True, slots=True)
class Innovation:
    """The points of a year's events after the caps, all as positive numbers.

    ``by_item`` is each item's sum after its own cap; ``by_category`` each
    innovation category's after the category cap; ``capped`` names the items and
    categories whose cap cut something, for the scorecard to say so.
    """

    by_item: dict[str, float]
    by_category: dict[str, float]
    bonus: float
    deduction: float
    capped: tuple[str, ...]

    @property
    def net(self) -> float:
        """What the events add to the total: bonus minus deduction."""
        return self.bonus - self.deduction


def _event_points(item: Item, event: Event) -> float:
    if item.levels:
        if event.level is None:
            levels = [level.id for level in item.levels]
            raise ScoreError(item.id, f"an event needs its level (one of {levels})")
        try:
            return item.level(event.level).points
        except KeyError:
            raise ScoreError(item.id, f"unknown level '{event.level}'") from None
    if event.level is not None:
        raise ScoreError(item.id, "has no levels")
    assert item.per_event is not None
    return item.per_event


def innovation_points(framework: Framework, events: Iterable[Event]) -> Innovation:
    """Sum the events per item up to the item's cap, then per category up to its cap."""
    raw: dict[str, float] = {
        item.id: 0.0 for c in framework.innovation_categories for item in c.items
    }
    for event in events:
        try:
            item = framework.item(event.item)
        except KeyError:
            raise ScoreError(event.item, f"is not an item of '{framework.id}'") from None
        _require(item, "event")
        raw[item.id] += _event_points(item, event)
    capped: list[str] = []
    by_item: dict[str, float] = {}
    by_category: dict[str, float] = {}
    bonus = deduction = 0.0
    for category in framework.innovation_categories:
        for item in category.items:
            by_item[item.id] = min(raw[item.id], item.points)
            if raw[item.id] > item.points:
                capped.append(item.id)
        added = math.fsum(by_item[item.id] for item in category.items)
        assert category.cap is not None
        by_category[category.id] = min(added, category.cap)
        if added > category.cap:
            capped.append(category.id)
        if category.kind == "innovation-bonus":
            bonus += by_category[category.id]
        else:
            deduction += by_category[category.id]
    return Innovation(by_item, by_category, bonus, deduction, tuple(capped))
