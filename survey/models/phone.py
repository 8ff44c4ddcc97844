"""The phone survey: call cases, attempts and their AAPOR dispositions.

A case is an invitation of channel ``phone``: the invitation carries the
person, group and unit; the case carries the queue state. An attempt is one
dial with its outcome. The interview itself becomes an ordinary Response
linked to the invitation, with ``operator_id`` for audit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow
from .campaigns import Campaign
from .invitations import Invitation


class CallCase(Model):
    """One person to reach by phone in a campaign, and where the queue stands with them."""

    __tablename__ = "call_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), unique=True)
    # queued -> claimed -> queued again (retry) or closed (final disposition).
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the case may be called next; None means now.
    next_try_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # True when next_try_at is a call-back the person asked for: those come first.
    is_callback: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # When the holder took the claim or last renewed it (survey.channels.phone.renew_claim).
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_disposition: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_call_case_queue", "campaign_id", "status", "next_try_at"),)

    campaign: Mapped[Campaign] = relationship()
    invitation: Mapped[Invitation] = relationship()
    attempt_list: Mapped[list[Attempt]] = relationship(
        back_populates="case", order_by="Attempt.started_at"
    )


class Attempt(Model):
    """One dial and its outcome, with the AAPOR code it counts under."""

    __tablename__ = "call_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("call_case.id"), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    disposition: Mapped[str] = mapped_column(String(32))
    aapor_code: Mapped[str] = mapped_column(String(8))
    notes: Mapped[str | None] = mapped_column(Text)
    callback_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    case: Mapped[CallCase] = relationship(back_populates="attempt_list")


class DispositionRule(Model):
    """A campaign's own retry rule for one disposition, overriding the default."""

    __tablename__ = "disposition_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    disposition: Mapped[str] = mapped_column(String(32))
    retry: Mapped[bool] = mapped_column(Boolean)
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("campaign_id", "disposition"),)
