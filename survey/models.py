"""The data model, in SQLAlchemy 2.0 typed style.

Two halves are kept apart on purpose: what people said (Response, Answer,
ResponseScore) and who they are (Contact, CallbackRequest). Evaluators' screens
read only the first half; the link between them exists only for operators and
for the follow-up of bad reviews.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> dt.datetime:
    """Timestamps are stored in UTC, naive, the same on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# The respondent groups of DESIGN.md; for the statistics each is a stratum.
GROUP_CODES: tuple[str, ...] = (
    "deputy",
    "cppcc",
    "retiree",
    "expert",
    "supervisor",
    "party",
    "staff",
    "service_user",
    "public",
)

# How a response reached us.
CHANNELS: tuple[str, ...] = ("qr", "ticket", "kiosk", "link", "sms", "paper", "phone", "ivr")


class Unit(db.Model):
    """An institution being evaluated."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(80))

    service_points: Mapped[list[ServicePoint]] = relationship(
        back_populates="unit", order_by="ServicePoint.code"
    )


class ServicePoint(db.Model):
    """A counter or hall of a unit where a reusable QR code hangs."""

    __tablename__ = "service_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    unit: Mapped[Unit] = relationship(back_populates="service_points")


class Group(db.Model):
    """A respondent group; in the statistics, a stratum."""

    __tablename__ = "respondent_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class InstrumentVersion(db.Model):
    """The exact text of an instrument file as it was when someone answered it."""

    __tablename__ = "instrument_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Campaign(db.Model):
    """One evaluation round: units, period, groups with instruments, weights and targets."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    opens_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # Space-separated subset of CHANNELS.
    channels: Mapped[str] = mapped_column(String(200), default="qr ticket kiosk link sms phone")
    # When true, a group that reached its target thanks further respondents and stops.
    cap_at_target: Mapped[bool] = mapped_column(Boolean, default=False)
    # The group whose card a reusable service-point code opens.
    point_group_id: Mapped[int | None] = mapped_column(ForeignKey("respondent_group.id"))
    # Phone survey: calling hours in the campaign's time zone ("HH:MM") and attempts per case.
    call_from: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")
    call_until: Mapped[str] = mapped_column(String(5), default="20:00", server_default="20:00")
    max_attempts: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    # Bad-review follow-up: working days the unit has to remedy a case.
    followup_days: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_order"),)

    units: Mapped[list[Unit]] = relationship(secondary="campaign_unit", order_by="Unit.code")
    groups: Mapped[list[CampaignGroup]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )
    point_group: Mapped[Group | None] = relationship()

    def channel_list(self) -> list[str]:
        return self.channels.split()

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or utcnow()
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)

    def group_settings(self, group_id: int) -> CampaignGroup | None:
        return next((g for g in self.groups if g.group_id == group_id), None)


campaign_unit = db.Table(
    "campaign_unit",
    db.Column("campaign_id", ForeignKey("campaign.id"), primary_key=True),
    db.Column("unit_id", ForeignKey("unit.id"), primary_key=True),
)


class CampaignGroup(db.Model):
    """A group's settings in a campaign: instrument, policy weight, population, target."""

    __tablename__ = "campaign_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_group.id"))
    instrument_id: Mapped[str] = mapped_column(String(80))
    weight: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("campaign_id", "group_id"),
        CheckConstraint("weight IS NULL OR weight >= 0", name="weight_not_negative"),
        CheckConstraint("population IS NULL OR population > 0", name="population_positive"),
        CheckConstraint("target IS NULL OR target > 0", name="target_positive"),
    )

    campaign: Mapped[Campaign] = relationship(back_populates="groups")
    group: Mapped[Group] = relationship()


class Contact(db.Model):
    """Who someone is. Kept apart from what they answered."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Invitation(db.Model):
    """One person, one group, one channel, one token (stored only as a hash)."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_group.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    channel: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # pending -> started -> completed; or expired / withdrawn.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    language: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    group: Mapped[Group] = relationship()
    unit: Mapped[Unit] = relationship()
    contact: Mapped[Contact | None] = relationship()


class Ticket(db.Model):
    """One service transaction's one-time QR token, printed on a receipt."""

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    campaign: Mapped[Campaign] = relationship()
    service_point: Mapped[ServicePoint] = relationship()


class Response(db.Model):
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
    # The operator who entered a phone interview, for audit; never shown to evaluators.
    operator_id: Mapped[int | None] = mapped_column(Integer)

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


class Answer(db.Model):
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


class ResponseScore(db.Model):
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


class CallbackRequest(db.Model):
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
