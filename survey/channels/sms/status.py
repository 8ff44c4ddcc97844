"""Twilio's delivery reports: states only move forward."""

from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import (
    OutboundMessage,
)

# Delivery states move forward only: a late "sent" never undoes "delivered".
_STATUS_RANK = {"queued": 0, "sending": 0, "sent": 1, "delivered": 2, "undelivered": 2, "failed": 2}


def record_status(sid: str, status: str, error_code: str | None = None) -> bool:
    """Apply a Twilio status callback; True when a message changed. Commits.

    States only move forward (callbacks can arrive out of order). A callback
    for a SID we do not know yet (it can overtake our own commit of the SID)
    is ignored; the final status follows in a later callback.
    """
    rank = _STATUS_RANK.get(status)
    if rank is None or rank == 0:
        return False
    message = db.session.execute(
        select(OutboundMessage).where(OutboundMessage.twilio_sid == sid)
    ).scalar_one_or_none()
    if message is None:
        return False
    if _STATUS_RANK.get(message.state, 3) >= rank:
        return False
    message.state = status
    if error_code:
        message.last_error = f"Twilio error {error_code}"[:2000]
    db.session.commit()
    return True
