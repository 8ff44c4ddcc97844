"""After a campaign closes: who was asked is unlinked from what they answered.

While a campaign runs, an answer can be joined to a name by anyone with database
access: response -> invitation -> contact (name, phone), response -> call-back
number, and the outbox's messages -> phone. The app shows none of it to an
evaluator, but a database copy would. Once the campaign is over (and its last
follow-up case closed) none of it is needed: the invitation keeps its group,
unit and channel (the response rates still count), and the person is forgotten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, exists, select, update

from ..extensions import db, rows_changed
from ..models import (
    CallbackRequest,
    Campaign,
    Contact,
    FollowUpCase,
    Invitation,
    OutboundMessage,
    Response,
    utcnow,
)

# Outbox states after which a message is never sent again (survey.channels.sms.retention).
FINISHED = ("sent", "delivered", "failed", "undelivered", "cancelled", "unknown")


@dataclass(frozen=True)
class Unlinked:
    """What one run forgot: campaigns, invitations unlinked, contacts, call-back numbers, phones."""

    campaigns: tuple[str, ...]
    invitations: int
    contacts: int
    callbacks: int
    messages: int


def closed_campaigns(today: dt.date, after_days: int) -> list[Campaign]:
    """Campaigns whose period ended more than ``after_days`` days ago, with no open case."""
    open_case = exists().where(
        FollowUpCase.campaign_id == Campaign.id, FollowUpCase.closed_at.is_(None)
    )
    ended_before = today - dt.timedelta(days=after_days)
    return list(
        db.session.execute(
            select(Campaign)
            .where(Campaign.period_end < ended_before, ~open_case)
            .order_by(Campaign.code)
        ).scalars()
    )


def unlink_contacts(*, today: dt.date | None = None, after_days: int = 0) -> Unlinked:
    """Unlink contacts from the invitations of closed campaigns and forget the numbers (flushes).

    Contacts no other invitation refers to are deleted; call-back numbers of the
    campaigns' responses are deleted; the phone numbers of their finished
    messages are blanked. Running it again changes nothing more.
    """
    today = today or utcnow().date()
    campaigns = closed_campaigns(today, after_days)
    ids = [c.id for c in campaigns]
    if not ids:
        return Unlinked((), 0, 0, 0, 0)
    in_campaigns = select(Invitation.id).where(Invitation.campaign_id.in_(ids))
    contact_ids = list(
        db.session.execute(
            select(Invitation.contact_id).where(
                Invitation.campaign_id.in_(ids), Invitation.contact_id.is_not(None)
            ).distinct()
        ).scalars()
    )
    invitations = rows_changed(
        update(Invitation)
        .where(Invitation.campaign_id.in_(ids), Invitation.contact_id.is_not(None))
        .values(contact_id=None)
        .execution_options(synchronize_session=False)
    )
    still_used = exists().where(Invitation.contact_id == Contact.id)
    contacts = rows_changed(
        delete(Contact)
        .where(Contact.id.in_(contact_ids), ~still_used)
        .execution_options(synchronize_session=False)
    )
    answered_here = select(Response.id).where(Response.campaign_id.in_(ids))
    callbacks = rows_changed(
        delete(CallbackRequest)
        .where(CallbackRequest.response_id.in_(answered_here))
        .execution_options(synchronize_session=False)
    )
    cases_here = select(FollowUpCase.id).where(FollowUpCase.campaign_id.in_(ids))
    messages = rows_changed(
        update(OutboundMessage)
        .where(
            (OutboundMessage.invitation_id.in_(in_campaigns))
            | (OutboundMessage.followup_case_id.in_(cases_here)),
            OutboundMessage.state.in_(FINISHED),
            OutboundMessage.to_phone != "",
        )
        .values(to_phone="", body="", link=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.expire_all()
    return Unlinked(tuple(c.code for c in campaigns), invitations, contacts, callbacks, messages)
