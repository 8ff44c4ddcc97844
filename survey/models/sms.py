"""Tables of the SMS channel: the durable outbox and the opt-out list.

A message belongs to exactly one of an invitation (the invitation SMS and its
reminders) or a follow-up case (the request to rate the fix of a bad review,
sent once, without reminders); a CHECK constraint holds it to that.

The outbox row holds the message body, which carries the person's personal
link (the only place besides the SMS itself where that link exists: the
invitation or the case keeps just the token's hash). Reminders reuse the
stored link. So the outbox is contact-side data, like Contact: shown to
administrators only, never to evaluators, and its bodies and links are blanked
by ``survey.channels.sms.redact_expired`` once the invitation has expired (or
the case is closed) and the retention period (SURVEY_SMS_RETENTION_DAYS) has
passed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow
from .followup import FollowUpCase
from .invitations import Invitation

__all__ = ["MESSAGE_STATES", "OutboundMessage", "SmsOptOut"]

# queued -> sending -> sent -> delivered | undelivered | failed; or cancelled (opt-out,
# invitation answered or expired, case rated or closed) or unknown (gave up while Twilio
# may have accepted it: an administrator decides, the worker never resends it on its own).
MESSAGE_STATES: tuple[str, ...] = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "undelivered",
    "cancelled",
    "unknown",
)


class OutboundMessage(Model):
    """One SMS to one person, queued once and sent at most once.

    It belongs to an invitation or to a follow-up case, never both
    (``one_owner``). ``(invitation_id, kind)`` is unique: the invitation and
    each reminder can be queued only once per invitation, however often the
    queuing runs; ``followup_case_id`` is unique: a case's rating request is
    queued once, however often its remedy is edited.
    """

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), index=True)
    followup_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("followup_case.id"), unique=True
    )
    # "invitation", "reminder-1", "reminder-2", ... of an invitation; "rating" of a case.
    kind: Mapped[str] = mapped_column(String(20))
    to_phone: Mapped[str] = mapped_column(String(32), index=True)
    body: Mapped[str] = mapped_column(Text)
    # The personal link in the body, kept so that reminders can carry it too.
    link: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The current claim of a worker: when it began, and when it is presumed dead.
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Set when an attempt ended without knowing whether Twilio accepted the message
    # (crash, dropped connection, 5xx): the next attempt first looks for it on Twilio.
    uncertain_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("invitation_id", "kind"),
        CheckConstraint(
            "(invitation_id IS NOT NULL AND followup_case_id IS NULL)"
            " OR (invitation_id IS NULL AND followup_case_id IS NOT NULL)",
            name="one_owner",
        ),
        CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in MESSAGE_STATES) + ")", name="state_known"
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_outbound_message_due", "state", "next_attempt_at"),
    )

    invitation: Mapped[Invitation | None] = relationship()
    followup_case: Mapped[FollowUpCase | None] = relationship()


class SmsOptOut(Model):
    """A number that asked for no more messages, kept only as a keyed hash.

    The hash is HMAC-SHA256 keyed with SURVEY_PHONE_HASH_KEY (SECRET_KEY when
    unset): a plain SHA-256 of an 11-digit mobile number is reversed by trying
    all of them in minutes, so it would not keep the number secret. The key is
    separate from SECRET_KEY so that rotating the session key does not silently
    forget every opt-out (see survey.channels.sms.phone_hash).
    """

    __tablename__ = "sms_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
