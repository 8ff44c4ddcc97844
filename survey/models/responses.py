"""What came back: responses, their answers and per-respondent indicator scores.

Two halves are kept apart on purpose: what people said (Response, Answer,
ResponseScore) and who they are (Contact, CallbackRequest). Evaluators' screens
read only the first half; the link between them exists only for operators and
for the follow-up of bad reviews."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow

if TYPE_CHECKING:
    from .campaigns import Campaign
    from .instruments import InstrumentVersion
    from .units import Group, Unit


class Response(Model):
    """What came back: one respondent's answers to one instrument version.

    ``submitted_at`` is None while a multi-page questionnaire is being filled in.
    The unique invitation, ticket and submission key make a repeated POST land
    on the same row instead of a second one.
    """

    __tablename__ = "response"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_group.id"))
    channel: Mapped[str] = mapped_column(String(16))
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_version.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), unique=True)
    # A random key carried by the form of a reusable code, so a retried POST is recognised.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    # The page a multi-page respondent reached, to resume there.
    current_page: Mapped[str | None] = mapped_column(String(80))
    # A burst of submissions from one client on a reusable code: kept, but flagged for review.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # Keyed hash of the client address, only to detect bursts; never the address itself.
    client_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # The burst the card was flagged in (survey.models.bursts); kept after the review.
    burst_id: Mapped[int | None] = mapped_column(ForeignKey("burst.id"), index=True)
    # The enrolled kiosk device a kiosk card came from (survey.models.devices).
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"), index=True)
    # The operator who entered a phone interview, for audit; never shown to evaluators.
    operator_id: Mapped[int | None] = mapped_column(Integer)
    # Whether the scores are in the running monthly summaries now (survey.results.running):
    # the guard that adds or takes away a response's scores exactly once.
    summarised: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A test answer, given in test mode while its campaign was a draft: also flagged, so
    # no figure, export, API or comment counts it; it opens no follow-up case and is
    # deleted when the campaign opens (survey.setup.opening).
    test: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Answer.id"
    )
    scores: Mapped[list[ResponseScore]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )
    instrument_version: Mapped[InstrumentVersion] = relationship()
    unit: Mapped[Unit] = relationship()
    group: Mapped[Group] = relationship()
    campaign: Mapped[Campaign] = relationship()

    # The burst rule counts a point's cards of the last minutes at every public card.
    __table_args__ = (Index("ix_response_point_submitted", "service_point_id", "submitted_at"),)


class Answer(Model):
    """One question's answer: an option value, a JSON list for multi, a number or a text."""

    __tablename__ = "answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[str | None] = mapped_column(Text)
    number: Mapped[float | None] = mapped_column(Float)
    # The item's score on the instrument's scale; None for "don't know" and unscored items.
    score: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    response: Mapped[Response] = relationship(back_populates="answers")


class ResponseScore(Model):
    """A respondent's score on one indicator, computed once at submission.

    Kept per respondent (not per item) so that a composite index keeps the
    correlation between its items, and so results are one GROUP BY away.
    """

    __tablename__ = "response_score"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), primary_key=True
    )
    indicator: Mapped[str] = mapped_column(String(80), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    satisfied: Mapped[bool] = mapped_column(Boolean)

    # Results read one indicator's scores for a whole campaign: on PostgreSQL this
    # index covers them (an index-only scan instead of reading every score row).
    __table_args__ = (
        Index(
            "ix_response_score_indicator",
            "indicator",
            "response_id",
            postgresql_include=["score", "satisfied"],
        ),
    )

    response: Mapped[Response] = relationship(back_populates="scores")


class CallbackRequest(Model):
    """A phone number a respondent left for a call-back about a bad review.

    Contact-side data: it is never an Answer and never reaches evaluators' results.
    """

    __tablename__ = "callback_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), unique=True
    )
    phone: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
