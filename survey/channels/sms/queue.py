"""Queuing messages in the outbox: invitations, reminders and requests to rate a fix.

Queuing writes an OutboundMessage row in the caller's transaction (nothing is
sent from a web request); the unique constraints keep each message once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ...extensions import db
from ...i18n import normalise
from ...models import (
    CallbackRequest,
    Campaign,
    Contact,
    FollowUpCase,
    Group,
    Invitation,
    OutboundMessage,
    Unit,
    utcnow,
)
from ...tokens import hash_token, new_token
from ..links import create_invitation, invitation_url, rating_url
from .bodies import invitation_body, message_language, rating_body, reminder_body
from .numbers import is_opted_out, sms_number

# Invitations still waiting for an answer; others get no reminder and no pending message.
OPEN_STATUSES = ("pending", "started")


def _message(invitation_id: int, kind: str) -> OutboundMessage | None:
    return db.session.execute(
        select(OutboundMessage).where(
            OutboundMessage.invitation_id == invitation_id, OutboundMessage.kind == kind
        )
    ).scalar_one_or_none()


def _queued(
    kind: str,
    phone: str,
    body: str,
    link: str | None,
    language: str,
    now: dt.datetime,
    **owner: object,
) -> OutboundMessage:
    """A new outbox row, due at ``now``; ``owner`` is its invitation or its follow-up case."""
    message = OutboundMessage(
        kind=kind,
        to_phone=phone,
        body=body,
        link=link,
        language=language,
        state="queued",
        attempts=0,
        next_attempt_at=now,
        **owner,
    )
    db.session.add(message)
    return message


def queue_invitation_sms(
    invitation: Invitation, token: str, *, now: dt.datetime | None = None
) -> OutboundMessage | None:
    """Queue the invitation SMS, with the link only ``token`` can make; does not commit.

    Returns None (and queues nothing) when the contact has no usable mobile
    number or the number opted out, or while the campaign is a draft (being
    tried: no real contact hears of it; ``flask survey sms-invite`` sends once it
    is open); returns the existing row when the invitation's message was
    already queued.
    """
    if invitation.campaign.draft:
        return None
    contact = invitation.contact
    phone = sms_number(contact.phone if contact else None)
    if phone is None or is_opted_out(phone):
        return None
    if invitation.id is not None:
        existing = _message(invitation.id, "invitation")
        if existing is not None:
            return existing
    language = message_language(invitation)
    link = invitation_url(token)
    body = invitation_body(invitation, link, language)
    return _queued(
        "invitation", phone, body, link, language, now or utcnow(), invitation=invitation
    )


def rating_message(case_row: FollowUpCase) -> OutboundMessage | None:
    """The case's request to rate the fix, if one was ever queued."""
    if case_row.id is None:
        return None
    return db.session.execute(
        select(OutboundMessage).where(OutboundMessage.followup_case_id == case_row.id)
    ).scalar_one_or_none()


def queue_rating_sms(
    case_row: FollowUpCase, *, now: dt.datetime | None = None
) -> OutboundMessage | None:
    """Queue the request to rate the fix of a bad review, once per case; does not commit.

    Sent to the number the respondent left for a call-back (CallbackRequest),
    in the language they answered in, with a fresh one-time link whose token
    the case keeps only as a hash. Returns None (and queues nothing, makes no
    token) when there is no usable number or it opted out; returns the
    existing row when the case's message was already queued, whatever became
    of it: a rating request is never queued twice.
    """
    existing = rating_message(case_row)
    if existing is not None:
        return existing
    callback = db.session.execute(
        select(CallbackRequest).where(CallbackRequest.response_id == case_row.response_id)
    ).scalar_one_or_none()
    phone = sms_number(callback.phone if callback else None)
    if phone is None or is_opted_out(phone):
        return None
    response = case_row.response
    language = normalise(response.language) or str(current_app.config["BABEL_DEFAULT_LOCALE"])
    token = new_token()
    case_row.rating_token_hash = hash_token(token)
    link = rating_url(token)
    body = rating_body(case_row.unit, case_row.campaign, link, language)
    return _queued("rating", phone, body, link, language, now or utcnow(), followup_case=case_row)


def create_sms_invitations(
    campaign: Campaign,
    group: Group,
    unit: Unit,
    contacts: Iterable[Contact],
    *,
    now: dt.datetime | None = None,
) -> list[tuple[Invitation, OutboundMessage | None]]:
    """One SMS invitation per contact, each with its message queued; does not commit.

    A contact without a usable number or who opted out still gets the
    invitation (it may be sent another way), but no message.
    """
    created = []
    for contact in contacts:
        invitation, token = create_invitation(
            campaign, group, unit, channel="sms", contact=contact, language=contact.language
        )
        created.append((invitation, queue_invitation_sms(invitation, token, now=now)))
    return created


def reissue_sms_invitations(
    campaign: Campaign, group: Group, *, now: dt.datetime | None = None
) -> list[OutboundMessage]:
    """Queue messages for the campaign's SMS invitations of ``group`` that have none yet.

    Their tokens were never sent anywhere (no message exists) and cannot be
    recovered from the hash, so each gets a fresh token, and its message the
    new link. Only invitations still pending with no response are touched: a
    link someone may already hold is never replaced. The other units of a link
    (``lead_id`` set) get no message of their own: the lead's names them all,
    and none of its units may have been begun. Does not commit.
    """
    from ...models import Response

    other = aliased(Invitation)
    has_message = select(OutboundMessage.id).where(OutboundMessage.invitation_id == Invitation.id)
    has_response = select(Response.id).where(Response.invitation_id == Invitation.id)
    other_begun = select(other.id).where(other.lead_id == Invitation.id, other.status != "pending")
    invitations = (
        db.session.execute(
            select(Invitation)
            .where(
                Invitation.campaign_id == campaign.id,
                Invitation.group_id == group.id,
                Invitation.channel == "sms",
                Invitation.status == "pending",
                Invitation.contact_id.is_not(None),
                Invitation.lead_id.is_(None),
                ~has_message.exists(),
                ~has_response.exists(),
                ~other_begun.exists(),
            )
            .order_by(Invitation.id)
        )
        .scalars()
        .all()
    )
    queued = []
    for invitation in invitations:
        if sms_number(invitation.contact.phone if invitation.contact else None) is None:
            continue
        token = new_token()
        invitation.token_hash = hash_token(token)
        message = queue_invitation_sms(invitation, token, now=now)
        if message is not None:
            queued.append(message)
    return queued


def queue_reminders(campaign: Campaign, now: dt.datetime | None = None) -> list[OutboundMessage]:
    """Queue the next reminder for each unanswered SMS invitation that is due one.

    Due means: the invitation is still open and not expired, it has had fewer
    than SURVEY_REMINDER_MAX reminders, its last message went out (sent or
    delivered: no reminder behind a message still queued or one that failed)
    at least SURVEY_REMINDER_INTERVAL_DAYS ago, and the number has not opted
    out. The reminder carries the link of the invitation message. Each row is
    committed on its own (one of the few services that commit, on purpose), so
    a reminder queued meanwhile by another process (the unique constraint)
    costs nothing else.
    """
    if campaign.draft:
        return []  # nobody real was invited to a campaign being tried
    now = now or utcnow()
    maximum = int(current_app.config["SURVEY_REMINDER_MAX"])
    interval = dt.timedelta(days=float(current_app.config["SURVEY_REMINDER_INTERVAL_DAYS"]))
    other = aliased(Invitation)
    # A link of several units is reminded (on its lead's messages) while any unit is open.
    other_open = select(other.id).where(
        other.lead_id == Invitation.id, other.status.in_(OPEN_STATUSES)
    )
    invitations = (
        db.session.execute(
            select(Invitation)
            .where(
                Invitation.campaign_id == campaign.id,
                Invitation.channel == "sms",
                Invitation.lead_id.is_(None),
                Invitation.status.in_(OPEN_STATUSES) | other_open.exists(),
            )
            .order_by(Invitation.id)
        )
        .scalars()
        .all()
    )
    queued: list[OutboundMessage] = []
    for invitation in invitations:
        message = _next_reminder(invitation, now, maximum, interval)
        if message is None:
            continue
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        queued.append(message)
    return queued


def _next_reminder(
    invitation: Invitation, now: dt.datetime, maximum: int, interval: dt.timedelta
) -> OutboundMessage | None:
    """The invitation's next reminder, added to the session, when one is due; else None."""
    if invitation.expires_at is not None and invitation.expires_at <= now:
        return None
    messages = (
        db.session.execute(
            select(OutboundMessage)
            .where(OutboundMessage.invitation_id == invitation.id)
            .order_by(OutboundMessage.created_at, OutboundMessage.id)
        )
        .scalars()
        .all()
    )
    first = next((m for m in messages if m.kind == "invitation"), None)
    if first is None or not first.link:
        return None
    reminders = [m for m in messages if m.kind.startswith("reminder-")]
    if len(reminders) >= maximum:
        return None
    last = messages[-1]
    if last.state not in ("sent", "delivered"):
        return None
    if now - (last.sent_at or last.created_at) < interval:
        return None
    phone = sms_number(invitation.contact.phone if invitation.contact else None)
    phone = phone or first.to_phone
    if is_opted_out(phone):
        return None
    return _queued(
        f"reminder-{len(reminders) + 1}",
        phone,
        reminder_body(invitation, first.link, first.language),
        first.link,
        first.language,
        now,
        invitation_id=invitation.id,
    )
