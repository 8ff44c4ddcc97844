"""The objects a framework file becomes: frozen, so one loaded framework serves every request.

A framework is a tree: categories, each with points (or a weight of the total),
holding items with maximum points, a source and, for numbers, a rule. The kinds
come from the evaluation practice ("common + individual + innovation"): common
items are the office's for every unit; an individual category holds items each
unit proposes for itself (the framework's own are the defaults until a unit's
set is approved); innovation categories add bonus or deduct points for events,
up to a cap, outside the total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .rules import Rule

__all__ = [
    "DIMENSIONS",
    "KINDS",
    "METHODS",
    "SOURCES",
    "Category",
    "DataMeasure",
    "EventLevel",
    "Framework",
    "Grade",
    "Item",
    "SurveyFeed",
    "UnitSet",
]

Text = Mapping[str, str]

KINDS = ("common", "individual", "innovation-bonus", "innovation-deduction")
INNOVATION_KINDS = ("innovation-bonus", "innovation-deduction")
SOURCES = ("survey", "self-assessment", "on-site", "data", "event")
# On-site assessment methods of the practice: 查阅资料, 实地查看, 个别访谈, 座谈会.
METHODS = ("document_review", "on_site_check", "interview", "symposium")
# The three separate dimensions of the surveys (never pooled, see DESIGN.md).
DIMENSIONS = ("service_users", "stakeholders", "staff")
MEASURES = ("index", "share_satisfied")
DATA_UNITS = ("percent", "count", "number")
# Survey measures are read on a 0-100 scale: the index, or the share satisfied in percent.
SURVEY_RANGE = (0.0, 100.0)


@dataclass(frozen=True, slots=True)
class SurveyFeed:
    """Which survey figure feeds an item: a dimension's indicator, as index or share satisfied."""

    dimension: str
    indicator: str
    measure: str = "index"


@dataclass(frozen=True, slots=True)
class DataMeasure:
    """What a data item's number is: its unit, its possible range, and for a ratio its parts.

    With ``numerator`` and ``denominator`` the value is 100 * numerator / denominator
    (posts filled against posts approved), entered as the two counts so that the
    figure can be checked against its sources.
    """

    unit: str
    min: float
    max: float | None
    numerator: Text | None = None
    denominator: Text | None = None

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None


@dataclass(frozen=True, slots=True)
class EventLevel:
    """One level of an event item (national, provincial ...) with its points per event."""

    id: str
    title: Text
    points: float


@dataclass(frozen=True, slots=True)
class Item:
    """One scored item. ``points`` is its maximum (for an event item: its cap).

    Exactly the fields of its source are set: ``survey`` and ``rule`` for survey;
    ``data`` and ``rule`` for data; ``methods`` for on-site; ``per_event`` or
    ``levels`` for event. ``evidence`` says whether a score or event must come
    with evidence.
    """

    id: str
    category: str
    kind: str
    source: str
    title: Text
    points: float
    criteria: Text | None = None
    rule: Rule | None = None
    survey: SurveyFeed | None = None
    data: DataMeasure | None = None
    methods: tuple[str, ...] = ()
    evidence: bool = False
    per_event: float | None = None
    levels: tuple[EventLevel, ...] = ()

    @property
    def is_innovation(self) -> bool:
        return self.kind in INNOVATION_KINDS

    def level(self, level_id: str) -> EventLevel:
        """The event level with this id; KeyError if none."""
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(f"item {self.id!r} has no level {level_id!r}")


@dataclass(frozen=True, slots=True)
class Category:
    """A branch of the tree. ``points`` for common and individual categories, ``cap`` for
    innovation ones (the most their events can add or deduct in a year)."""

    id: str
    kind: str
    title: Text
    items: tuple[Item, ...]
    points: float | None = None
    cap: float | None = None
    description: Text | None = None

    @property
    def is_innovation(self) -> bool:
        return self.kind in INNOVATION_KINDS


@dataclass(frozen=True, slots=True)
class Grade:
    """A grade of the total: ``lower`` points or more (None for the lowest grade)."""

    id: str
    title: Text
    lower: float | None


@dataclass(frozen=True)
class UnitSet:
    """A unit's individual items, extending one version of one framework.

    Proposed by the unit and approved by an evaluator against its ``version``;
    the app records the approval, so a changed file needs approving again.
    """

    id: str
    extends: str
    extends_version: str
    units: tuple[str, ...]
    title: Text
    description: Text | None
    categories: Mapping[str, tuple[Item, ...]]
    version: str
    source: str = field(repr=False)
    path: str = ""


@dataclass(frozen=True)
class Framework:
    """A validated framework, identified by ``id`` and ``version`` (its content hash).

    ``unit_set`` is None for the framework as written; :meth:`for_unit_set` gives
    the framework a unit is scored on, with its individual items in place.
    """

    id: str
    title: Text
    description: Text | None
    languages: tuple[str, ...]
    total: float
    categories: tuple[Category, ...]
    grades: tuple[Grade, ...]
    version: str
    source: str = field(repr=False)
    path: str = ""
    unit_set: UnitSet | None = None

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item in file order."""
        return tuple(item for category in self.categories for item in category.items)

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError if none."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"framework {self.id!r} has no item {item_id!r}")

    def category(self, category_id: str) -> Category:
        """The category with this id; KeyError if none."""
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(f"framework {self.id!r} has no category {category_id!r}")

    @property
    def scored_categories(self) -> tuple[Category, ...]:
        """Common and individual categories: the ones adding up to ``total``."""
        return tuple(c for c in self.categories if not c.is_innovation)

    @property
    def innovation_categories(self) -> tuple[Category, ...]:
        return tuple(c for c in self.categories if c.is_innovation)

    @property
    def individual_categories(self) -> tuple[Category, ...]:
        return tuple(c for c in self.categories if c.kind == "individual")

    @property
    def grade_thresholds(self) -> tuple[tuple[str, float | None], ...]:
        """``(grade id, lower)`` best first, as survey.stats.composite.score takes them."""
        return tuple((g.id, g.lower) for g in self.grades)

    @property
    def versions(self) -> tuple[str, str | None]:
        """(framework version, unit set version): what a scored year must record."""
        return self.version, None if self.unit_set is None else self.unit_set.version

    def for_unit_set(self, unit_set: UnitSet) -> Framework:
        """This framework with ``unit_set``'s items in place of its individual defaults.

        ValueError when the set extends another framework or version: a set is
        approved against one version and never silently applied to another.
        """
        if (unit_set.extends, unit_set.extends_version) != (self.id, self.version):
            raise ValueError(
                f"unit set {unit_set.id!r} extends {unit_set.extends!r} version"
                f" {unit_set.extends_version[:12]}, not {self.id!r} version {self.version[:12]}"
            )
        categories = tuple(
            replace(c, items=unit_set.categories[c.id]) if c.id in unit_set.categories else c
            for c in self.categories
        )
        return replace(self, categories=categories, unit_set=unit_set)
