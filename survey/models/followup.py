"""Bad reviews and their follow-up, as in the good/bad-review practice.

A response whose overall answer is in the two lowest levels opens a case for
its unit. The call-back number stays in CallbackRequest (contact side); the
case only points at the response, so evaluators can count cases without
seeing who complained.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow
from .campaigns import Campaign
from .responses import Response
from .units import Unit

# What the respondent thought of the fix.
FIX_RATINGS: tuple[str, ...] = ("satisfied", "basically_satisfied", "dissatisfied")
# How the rating reached us: told the handler on the phone, or given on the SMS link (/f/<token>).
RATING_CHANNELS: tuple[str, ...] = ("phone", "link")


class FollowUpCase(Model):
    """One bad review to remedy, with its deadline, what was done and how it was rated."""

    __tablename__ = "followup_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), unique=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The end (24:00, local) of the period's last working day, in UTC; see followup.deadline.
    # Cases opened before that rule keep the time of day they were opened at.
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # open -> remedied (handler acted) -> closed (rated or rating window over); or excluded.
    # held: its card is in a burst not yet reviewed; opened (or excluded) by the review.
    status: Mapped[str] = mapped_column(String(16), default="open")
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action_taken: Mapped[str | None] = mapped_column(Text)
    remedied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A one-time link for the respondent to rate the fix, stored only as a hash.
    rating_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    fix_rating: Mapped[str | None] = mapped_column(String(24))
    rating_channel: Mapped[str | None] = mapped_column(String(8))
    rated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    excluded_reason: Mapped[str | None] = mapped_column(Text)
    excluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    response: Mapped[Response] = relationship()
    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()

    @property
    def due_day(self) -> dt.date:
        """The last day of the period, on the campaign's calendar: what "due" means to people.

        due_at is the instant the day ends, i.e. the next midnight, so showing
        due_at's own date would say a day too late.
        """
        zone = ZoneInfo(self.campaign.timezone or "Asia/Shanghai")
        local = self.due_at.replace(tzinfo=dt.UTC).astimezone(zone)
        return (local - dt.timedelta(microseconds=1)).date()
