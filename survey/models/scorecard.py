"""The evaluation scorecard's tables: framework versions, cycles, and what each unit's year records.

A framework file is reviewed like code and may change between years; a scored
cycle must keep the exact framework it was scored under, so every version of a
framework (and of a unit's individual set) is stored by its content hash, like
instrument versions. A cycle names one framework version, its units, the
campaign feeding its survey items in each year and the deadlines of each step.
What a year of a unit records (self-assessment and on-site scores, notes per
on-site method, data values, bonus and deduction events) is kept per item id of
that framework version; the points are computed from it, never stored.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow

if TYPE_CHECKING:
    from .campaigns import Campaign
    from .units import Unit

# What a stored version is: a framework file, or a unit's individual set extending one.
FRAMEWORK_KINDS: tuple[str, ...] = ("framework", "unit_set")
# The steps of a cycle's year that have a deadline, in the order they happen.
CYCLE_STEPS: tuple[str, ...] = ("self_assessment", "on_site", "opinion", "rectification")
# Who gave a score: the unit itself, or the evaluators on site.
SCORE_SOURCES: tuple[str, ...] = ("self", "on_site")
DEFAULT_CYCLE_YEARS = 3


class FrameworkVersion(Model):
    """The exact text of a framework or unit-set file, by its content hash."""

    __tablename__ = "framework_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The file's id: the framework's, or the unit set's.
    file_id: Mapped[str] = mapped_column(String(80), index=True)
    # For a unit set: the framework version (hash) it extends.
    extends_version: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint("kind IN ('framework', 'unit_set')", name="kind_known"),)


class Cycle(Model):
    """An evaluation cycle: one framework version applied to units over (usually) three years."""

    __tablename__ = "evaluation_cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id"))
    first_year: Mapped[int] = mapped_column(Integer)
    years: Mapped[int] = mapped_column(Integer, default=DEFAULT_CYCLE_YEARS)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("years BETWEEN 1 AND 10", name="years_range"),
        CheckConstraint("first_year BETWEEN 2000 AND 2100", name="first_year_range"),
    )

    framework_version: Mapped[FrameworkVersion] = relationship()
    units: Mapped[list[CycleUnit]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="CycleUnit.unit_id"
    )
    campaigns: Mapped[list[CycleCampaign]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="CycleCampaign.year"
    )
    deadlines: Mapped[list[CycleDeadline]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan"
    )

    @property
    def year_list(self) -> list[int]:
        return list(range(self.first_year, self.first_year + self.years))


class CycleUnit(Model):
    """A unit evaluated in a cycle, with the individual set approved for it (if any)."""

    __tablename__ = "cycle_unit"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    unit_set_version_id: Mapped[int | None] = mapped_column(ForeignKey("framework_version.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    cycle: Mapped[Cycle] = relationship(back_populates="units")
    unit: Mapped[Unit] = relationship()
    unit_set_version: Mapped[FrameworkVersion | None] = relationship()


class CycleCampaign(Model):
    """The campaign whose answers of ``year`` feed the cycle's survey items that year."""

    __tablename__ = "cycle_campaign"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))

    cycle: Mapped[Cycle] = relationship(back_populates="campaigns")
    campaign: Mapped[Campaign] = relationship()


class CycleDeadline(Model):
    """The last day of one step of one year of a cycle (self-assessment, on-site ...)."""

    __tablename__ = "cycle_deadline"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    step: Mapped[str] = mapped_column(String(20), primary_key=True)
    due: Mapped[dt.date] = mapped_column(Date)

    cycle: Mapped[Cycle] = relationship(back_populates="deadlines")


class ItemScore(Model):
    """A self-assessment or on-site score of one item, for one unit and year of a cycle."""

    __tablename__ = "item_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(10))
    score: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("cycle_id", "unit_id", "year", "item_id", "source"),
        CheckConstraint("source IN ('self', 'on_site')", name="source_known"),
        CheckConstraint("score >= 0", name="score_not_negative"),
    )


class MethodNote(Model):
    """What the evaluators found on an item by one on-site method (document review ...)."""

    __tablename__ = "method_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(80))
    method: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("cycle_id", "unit_id", "year", "item_id", "method"),)


class DataValue(Model):
    """A data item's number (or a ratio's two counts) for one unit and year."""

    __tablename__ = "data_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("cycle_id", "unit_id", "year", "item_id"),)


class ScoreEvent(Model):
    """A bonus or deduction event of an innovation item, with its reason."""

    __tablename__ = "score_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(80))
    level: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Evidence(Model):
    """A file a unit's liaison uploaded: evidence for an item, or (no item) the self-report.

    The bytes live outside the web root under SURVEY_EVIDENCE_DIR, named by
    ``stored_name``; only those allowed to see the unit are served them.
    """

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    # None: the unit's written self-report of the year.
    item_id: Mapped[str | None] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
