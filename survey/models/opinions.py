""" "One unit, one opinion": the written opinion of a unit's cycle year, and its required fixes.

An opinion moves draft -> reviewed -> approved -> issued; each step keeps who
took it and when (and the audit trail keeps the same). What an issued opinion
says is frozen in ``content`` (JSON) when it is issued, so the PDF and the Word
document a unit received read the same later, whatever is re-scored since.

A fix is one required correction with its deadline. Once the opinion is issued
the unit's liaison answers it with a written rectification report; the
evaluators then record the look-back (回头看) and its outcome. "Rectified"
closes it; a look-back that finds it partly or not rectified closes that round
only, and the fix goes on as a new round: a row of its own that follows it
(same opinion, number and text, a new deadline), open for the unit's report
again. Each round keeps its report and look-back, so the history stays whole.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow

# The states of an opinion, in the order it moves through them.
OPINION_STATES: tuple[str, ...] = ("draft", "reviewed", "approved", "issued")
# What a look-back found of a fix.
LOOK_BACK_OUTCOMES: tuple[str, ...] = ("rectified", "partly", "not_rectified")


class Opinion(Model):
    """The written opinion of one unit for one year of a cycle."""

    __tablename__ = "opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycle.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="draft")
    # The evaluators' own text: what is wrong, and what they suggest.
    problems: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[str] = mapped_column(Text, default="")
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    drafted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The composed opinion as issued (JSON); None until issued.
    content: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("cycle_id", "unit_id", "year"),
        CheckConstraint("state IN ('draft', 'reviewed', 'approved', 'issued')", name="state_known"),
    )

    # Every round of every fix, by number and then round.
    fixes: Mapped[list[RequiredFix]] = relationship(
        back_populates="opinion",
        cascade="all, delete-orphan",
        order_by=lambda: [RequiredFix.position, RequiredFix.round],
    )


class RequiredFix(Model):
    """A correction an opinion requires, by a deadline; the unit's report and the look-back."""

    __tablename__ = "required_fix"

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinion.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    due: Mapped[dt.date] = mapped_column(Date, index=True)
    report: Mapped[str | None] = mapped_column(Text)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reported_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The report's document (PDF or image), kept like evidence under SURVEY_EVIDENCE_DIR.
    report_file: Mapped[str | None] = mapped_column(String(80), unique=True)
    report_filename: Mapped[str | None] = mapped_column(String(200))
    report_content_type: Mapped[str | None] = mapped_column(String(40))
    look_back: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))
    looked_back_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    looked_back_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # 1 for the fix as the opinion required it; 2, 3... for each renewed round, which
    # follows the round whose look-back found it not (or only partly) rectified.
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("required_fix.id"), unique=True)

    __table_args__ = (
        UniqueConstraint("opinion_id", "position", "round"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('rectified', 'partly', 'not_rectified')",
            name="outcome_known",
        ),
        CheckConstraint(
            "(round = 1 AND follows_id IS NULL) OR (round > 1 AND follows_id IS NOT NULL)",
            name="round_follows",
        ),
    )

    opinion: Mapped[Opinion] = relationship(back_populates="fixes")
    follows: Mapped[RequiredFix | None] = relationship(
        remote_side=[id], foreign_keys=[follows_id], back_populates="followed_by"
    )
    followed_by: Mapped[RequiredFix | None] = relationship(
        foreign_keys=[follows_id], back_populates="follows"
    )

    @property
    def closed(self) -> bool:
        """A round is closed once its look-back is recorded (a renewed round may follow it)."""
        return self.outcome is not None
