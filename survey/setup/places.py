"""Units, their service points, and the sheets of receipt tickets printed for a point."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from ..access.audit import record_audit, record_change, snapshot
from ..channels.links import issue_tickets, ticket_url
from ..channels.print_sheets import SheetTicket
from ..channels.sms.signature import SignatureError, clean_signature
from ..extensions import db
from ..models import (
    Campaign,
    Response,
    ServicePoint,
    Ticket,
    Unit,
    campaigns_newest_first,
    utcnow,
)
from .common import SetupError, _flush, _refuse, check_code, check_name

# A printed sheet is 12 tickets a page; more than this is a job for `flask survey tickets`.
MAX_SHEET_TICKETS = 600


def _unit_snapshot(unit: Unit) -> dict[str, Any]:
    return snapshot(unit, ("id", "code", "name", "kind", "sms_signature"))


def save_unit(
    unit: Unit | None,
    *,
    code: str,
    name: str,
    kind: str | None = None,
    sms_signature: str | None = None,
) -> Unit:
    """Create (``unit`` None) or edit a unit; the code must be unused by another unit.

    ``sms_signature`` is the unit's own (None or empty: the campaign's is used).
    """
    try:
        code = check_code(code, gettext("unit"))
        name = check_name(name)
        signature = clean_signature(sms_signature)
    except (SetupError, SignatureError) as error:
        raise _refuse(str(error)) from None
    kind = " ".join((kind or "").split())[:80] or None
    other = db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if other is not None and other is not unit:
        raise _refuse(
            gettext(
                "The unit code %(code)s is already used by %(name)s.", code=code, name=other.name
            )
        )
    if unit is None:
        unit = Unit(code=code, name=name, kind=kind, sms_signature=signature)
        db.session.add(unit)
        db.session.flush()
        record_audit("unit.create", "unit", unit.id, after=_unit_snapshot(unit))
    else:
        before = _unit_snapshot(unit)
        unit.code, unit.name, unit.kind = code, name, kind
        unit.sms_signature = signature
        record_change("unit.update", "unit", unit.id, before, _unit_snapshot(unit))
    _flush()
    return unit


def _point_snapshot(point: ServicePoint) -> dict[str, Any]:
    return snapshot(point, ("id", "unit_id", "code", "name"))


def _point_in_use(point: ServicePoint) -> bool:
    """Answers or tickets already point at this code's address."""
    for model in (Response, Ticket):
        found = db.session.execute(
            select(model.id).where(model.service_point_id == point.id).limit(1)
        ).first()
        if found is not None:
            return True
    return False


def save_service_point(
    point: ServicePoint | None, *, unit: Unit | None, code: str, name: str
) -> ServicePoint:
    """Create or edit a service point; its code is its public address (/p/<code>).

    Once tickets were issued or answers came in through a point, its code is
    printed on posters and receipts: changing it would break them, so it is refused.
    Moving such a point to another unit is refused too: its printed codes would
    then collect answers for a unit the citizen was not served by, and its earlier
    answers would sit beside the new ones under one point of two units.
    """
    if unit is None:
        raise _refuse(gettext("Choose the unit the service point belongs to."))
    try:
        code = check_code(code, gettext("service point"))
        name = check_name(name)
    except SetupError as error:
        raise _refuse(str(error)) from None
    other = db.session.execute(
        select(ServicePoint).where(ServicePoint.code == code)
    ).scalar_one_or_none()
    if other is not None and other is not point:
        raise _refuse(
            gettext(
                "The service point code %(code)s is already used by %(name)s (%(unit)s).",
                code=code,
                name=other.name,
                unit=other.unit.name,
            )
        )
    if point is None:
        point = ServicePoint(unit=unit, code=code, name=name)
        db.session.add(point)
        db.session.flush()
        record_audit(
            "service_point.create", "service_point", point.id, after=_point_snapshot(point)
        )
    else:
        _refuse_printed_change(point, unit, code)
        before = _point_snapshot(point)
        point.unit, point.code, point.name = unit, code, name
        db.session.flush()
        record_change(
            "service_point.update", "service_point", point.id, before, _point_snapshot(point)
        )
    _flush()
    return point


def _refuse_printed_change(point: ServicePoint, unit: Unit, code: str) -> None:
    """A point whose codes are printed and in use keeps its code and its unit."""
    if code != point.code and _point_in_use(point):
        raise _refuse(
            gettext(
                "The code of %(name)s cannot change: its QR codes are printed and in use. "
                "Add a new service point instead.",
                name=point.name,
            )
        )
    if unit.id != point.unit_id and _point_in_use(point):
        raise _refuse(
            gettext(
                "%(name)s cannot move to another unit: its QR codes are printed and in use "
                "for %(unit)s. Add a new service point instead.",
                name=point.name,
                unit=point.unit.name,
            )
        )


def check_ticket_campaign(campaign: Campaign, point: ServicePoint) -> None:
    """Refuse (SetupError) receipt tickets at ``point`` that nobody could ever answer.

    Shared by the printed sheet and ``flask survey tickets``, so both refuse the
    same: a point of a unit the campaign does not evaluate, a campaign without
    receipt tickets, a closed one. A draft and a campaign not begun yet are not
    refused: counters get their rolls before the first day, and a draft is tried
    with a ticket printed for it (its test answer is deleted, and the ticket
    freed, when it opens); tickets_ahead_notes says what that means.
    """
    problem = _ticket_problem(campaign, point)
    if problem is not None:
        raise _refuse(problem)


def _ticket_problem(campaign: Campaign, point: ServicePoint) -> str | None:
    if point.unit not in campaign.units:
        return gettext(
            "%(unit)s is not evaluated in campaign %(campaign)s.",
            unit=point.unit.name,
            campaign=campaign.code,
        )
    if "ticket" not in campaign.channel_list():
        return gettext(
            "Campaign %(campaign)s does not use receipt tickets.", campaign=campaign.code
        )
    if campaign.closes() <= utcnow():
        return gettext("Campaign %(campaign)s is closed.", campaign=campaign.code)
    return None


def campaigns_for_tickets(point: ServicePoint) -> list[Campaign]:
    """The campaigns tickets may be printed for at ``point``, newest first (drafts included)."""
    return [c for c in campaigns_newest_first() if _ticket_problem(c, point) is None]


def tickets_ahead_notes(campaign: Campaign, expires: dt.datetime | None) -> list[str]:
    """What to know of tickets printed before ``campaign`` takes answers (translated).

    A draft's ticket opens its card in test mode only until an administrator
    opens it; a campaign not begun tells respondents so until its first day;
    and tickets expiring (``expires``, SURVEY_TICKET_DAYS after printing) before
    that day can only be tried, never answered (``expires`` None: they do not expire).
    """
    notes = []
    if campaign.draft:
        notes.append(
            gettext(
                "Campaign %(campaign)s is a draft: until an administrator opens it, these "
                "tickets open its card in test mode only and tell anyone else that the survey "
                "has not started. Opening it deletes the test answers and frees their tickets.",
                campaign=campaign.code,
            )
        )
    elif utcnow() < campaign.opens():
        notes.append(
            gettext(
                "Campaign %(campaign)s takes answers from %(date)s: until then these tickets "
                "tell respondents that the survey has not started.",
                campaign=campaign.code,
                date=campaign.opens().date().isoformat(),
            )
        )
    if expires is not None and expires <= campaign.opens():
        notes.append(
            gettext(
                "These tickets expire on %(expires)s, before campaign %(campaign)s takes "
                "answers (%(opens)s at the earliest): print those to hand out nearer its start.",
                expires=expires.date().isoformat(),
                campaign=campaign.code,
                opens=campaign.opens().date().isoformat(),
            )
        )
    return notes


def issue_ticket_sheet(
    campaign: Campaign | None, point: ServicePoint, count: int | None
) -> list[SheetTicket]:
    """Issue ``count`` receipt tickets for a point and return them for the printable sheet.

    The plain tokens exist only in the returned sheet: the page must be printed
    (or saved) now. The issue is audited with the campaign.
    """
    if campaign is None:
        raise _refuse(gettext("Choose the campaign the tickets are for."))
    if count is None or not 1 <= count <= MAX_SHEET_TICKETS:
        raise _refuse(
            gettext(
                "The number of tickets must be between 1 and %(max)d (more with the command "
                "flask survey tickets).",
                max=MAX_SHEET_TICKETS,
            )
        )
    check_ticket_campaign(campaign, point)
    issued = issue_tickets(campaign, point, count)
    record_ticket_issue(campaign, point, [ticket for ticket, _token in issued])
    _flush()
    return [SheetTicket(number, ticket_url(token)) for number, (_t, token) in enumerate(issued, 1)]


def record_ticket_issue(campaign: Campaign, point: ServicePoint, tickets: Sequence[Ticket]) -> None:
    """The audit event of tickets issued, from the web or `flask survey tickets`; not committed.

    One place for its fields, so the trail reads the same whichever way tickets were made.
    """
    db.session.flush()
    record_audit(
        "tickets.issue",
        "service_point",
        point.id,
        after={
            "point": point.code,
            "count": len(tickets),
            "first_ticket_id": min(ticket.id for ticket in tickets),
        },
        campaign_id=campaign.id,
    )
