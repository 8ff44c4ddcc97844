"""Short public addresses and the one-time tokens behind them.

Every address is SURVEY_BASE_URL plus a one-letter path and a code or a
22-character token, short enough for an SMS and for a printed letter:

- ``/p/<point code>``: a service point's reusable code (anyone may answer);
- ``/k/<point code>``: the same card in kiosk mode on a tablet at the window;
- ``/t/<token>``: a ticket printed on one receipt (answerable once);
- ``/i/<token>``: one person's invitation (answerable once, resumable);
- ``/f/<token>``: the respondent's rating of the fix of their bad review (once).
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app

from ..extensions import db
from ..models import Campaign, Contact, Group, Invitation, ServicePoint, Ticket, Unit, utcnow
from ..tokens import hash_token, new_token


def base_url() -> str:
    return str(current_app.config["SURVEY_BASE_URL"]).rstrip("/")


def point_url(point: ServicePoint) -> str:
    return f"{base_url()}/p/{point.code}"


def kiosk_url(point: ServicePoint) -> str:
    return f"{base_url()}/k/{point.code}"


def ticket_url(token: str) -> str:
    return f"{base_url()}/t/{token}"


def invitation_url(token: str) -> str:
    return f"{base_url()}/i/{token}"


def rating_url(token: str) -> str:
    return f"{base_url()}/f/{token}"


def create_invitation(
    campaign: Campaign,
    group: Group,
    unit: Unit,
    *,
    channel: str = "link",
    contact: Contact | None = None,
    language: str | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[Invitation, str]:
    """A new invitation and its token; the token is returned once and stored only as a hash."""
    token = new_token()
    invitation = Invitation(
        campaign=campaign,
        group=group,
        unit=unit,
        contact=contact,
        channel=channel,
        token_hash=hash_token(token),
        language=language,
        expires_at=expires_at or campaign.closes(),
    )
    db.session.add(invitation)
    return invitation, token


def add_unit_to_link(lead: Invitation, unit: Unit) -> Invitation:
    """Ask the person of ``lead`` about ``unit`` too, through the link they already have.

    A new invitation for the unit (its own response, its own place in the
    response rates) that points to the lead. Its token is never issued: only
    a hash of a random one is stored, so no address opens it by itself.
    """
    invitation = Invitation(
        campaign=lead.campaign,
        group=lead.group,
        unit=unit,
        contact=lead.contact,
        channel=lead.channel,
        token_hash=hash_token(new_token()),
        language=lead.language,
        expires_at=lead.expires_at,
        lead=lead,
    )
    db.session.add(invitation)
    return invitation


def issue_tickets(
    campaign: Campaign, point: ServicePoint, count: int, *, days: int | None = None
) -> list[tuple[Ticket, str]]:
    """``count`` one-time receipt tokens for a service point; tokens returned once."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    days = days if days is not None else int(current_app.config["SURVEY_TICKET_DAYS"])
    expires = utcnow() + dt.timedelta(days=days)
    expires = min(expires, campaign.closes())
    sheet = secrets.token_hex(6)  # one sheet: many of its tickets in minutes is a burst
    issued = []
    for _ in range(count):
        token = new_token()
        ticket = Ticket(
            campaign=campaign,
            service_point=point,
            token_hash=hash_token(token),
            expires_at=expires,
            sheet=sheet,
        )
        db.session.add(ticket)
        issued.append((ticket, token))
    return issued
