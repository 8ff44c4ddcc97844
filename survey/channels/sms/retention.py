"""Retention: personal links in the outbox are blanked once they can no longer be used."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import or_, select, update

from ...extensions import db, rows_changed
from ...models import (
    FollowUpCase,
    Invitation,
    OutboundMessage,
    utcnow,
)

FINAL_STATES = ("sent", "delivered", "failed", "undelivered", "cancelled", "unknown")


def redact_expired(now: dt.datetime | None = None) -> int:
    """Blank bodies and links of finished messages whose link is long past its use.

    The link opens someone's questionnaire (or their rating of a fix), so it is
    kept no longer than the invitation can be answered (the follow-up case is
    open to a rating) plus SURVEY_SMS_RETENTION_DAYS. Commits.
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=int(current_app.config["SURVEY_SMS_RETENTION_DAYS"]))
    expired = select(Invitation.id).where(
        Invitation.expires_at.is_not(None), Invitation.expires_at < cutoff
    )
    closed = select(FollowUpCase.id).where(
        FollowUpCase.closed_at.is_not(None), FollowUpCase.closed_at < cutoff
    )
    count = rows_changed(
        update(OutboundMessage)
        .where(
            or_(
                OutboundMessage.invitation_id.in_(expired),
                OutboundMessage.followup_case_id.in_(closed),
            ),
            OutboundMessage.state.in_(FINAL_STATES),
            OutboundMessage.link.is_not(None),
        )
        .values(body="", link=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(count or 0)
