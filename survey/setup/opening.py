"""Opening a draft campaign, and the service points that would serve two campaigns at once.

A campaign made on the set-up pages is a draft: staff try every channel in
test mode (survey.channels.test_mode), and nothing real is asked of anyone.
Opening it is one explicit, audited act: the test answers are deleted (with
their scores and any call-back number), the tickets and personal links they
used become unused again, and from then on the campaign takes answers in its
period like any other.

A service point's reusable code (QR poster, kiosk) opens one card. When two
open campaigns survey its unit with a point group and share the channel over
the same days, it serves one of them: the one whose answering began last
(survey.responses.targets.serving_order). That was silent; here it is found,
so the set-up page and the opening page can say which campaign each point
will serve.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import delete, func, select, update

from ..access.audit import record_audit
from ..channels.links import create_invitation
from ..extensions import db, rows_changed
from ..models import (
    Attempt,
    CallCase,
    Campaign,
    Group,
    Invitation,
    Response,
    ServicePoint,
    Ticket,
    Unit,
    User,
    campaign_unit,
    utcnow,
)
from ..responses.targets import serving_order
from .common import _flush, _refuse

# The channels on which a service point's reusable code opens a card.
POINT_CHANNELS = ("qr", "kiosk")


@dataclass(frozen=True, slots=True)
class PointOverlap:
    """Service points that this campaign and another would both serve, and which one wins."""

    other: Campaign
    points: list[ServicePoint]
    channels: list[str]
    winner: Campaign


def count_test_answers(campaign: Campaign) -> int:
    """How many test answers (submitted or begun) the draft campaign holds."""
    return int(
        db.session.execute(
            select(func.count(Response.id)).where(
                Response.campaign_id == campaign.id, Response.test.is_(True)
            )
        ).scalar_one()
    )


def _serves_points(campaign: Campaign) -> list[str]:
    if campaign.point_group_id is None:
        return []
    return [c for c in POINT_CHANNELS if c in campaign.channel_list()]


def point_overlaps(campaign: Campaign, *, as_opened: bool = False) -> list[PointOverlap]:
    """The opened campaigns whose service points this one would share, on overlapping days.

    ``as_opened``: judge a draft as if it were opened now (the opening page's
    question); otherwise a draft shares nothing, since it serves no one yet.
    """
    channels = _serves_points(campaign)
    if not channels or (campaign.draft and not as_opened):
        return []
    unit_ids = {u.id for u in campaign.units}
    others = (
        db.session.execute(
            select(Campaign)
            .join(campaign_unit, campaign_unit.c.campaign_id == Campaign.id)
            .where(
                Campaign.id != campaign.id,
                Campaign.draft.is_(False),
                Campaign.point_group_id.is_not(None),
                campaign_unit.c.unit_id.in_(unit_ids),
            )
            .distinct()
        )
        .scalars()
        .all()
    )
    now = utcnow()
    found = []
    for other in sorted(others, key=lambda c: c.id):
        shared = [c for c in channels if c in _serves_points(other)]
        # Both take answers on some day, from now on (a campaign over already serves nobody).
        start = max(campaign.opens(), other.opens(), now)
        if not shared or start >= min(campaign.closes(), other.closes()):
            continue
        units = unit_ids & {u.id for u in other.units}
        points = list(
            db.session.execute(
                select(ServicePoint)
                .where(ServicePoint.unit_id.in_(units))
                .order_by(ServicePoint.code)
            )
            .scalars()
            .all()
        )
        if points:
            winner = serving_order([campaign, other])[0]
            found.append(PointOverlap(other, points, shared, winner))
    return found


def start_test_call(campaign: Campaign, group: Group, unit: Unit, *, by: User) -> CallCase:
    """A test call of a draft: the group's phone script in the console, held by ``by``. Flushed.

    Nobody is dialled: the invitation has no contact and is marked test, so its
    answers are test answers (survey.responses.interview) and the call, its
    attempts and the invitation are deleted when the campaign opens. Refused
    (SetupError) for an opened campaign, one without the phone channel, or a
    group or unit the campaign does not survey.
    """
    if not campaign.draft:
        raise _refuse(gettext("Campaign %(code)s is already open.", code=campaign.code))
    if "phone" not in campaign.channel_list():
        raise _refuse(
            gettext("Campaign %(code)s does not use the phone channel.", code=campaign.code)
        )
    if campaign.group_settings(group.id) is None or unit not in campaign.units:
        raise _refuse(gettext("Choose a group and a unit of the campaign."))
    invitation, _token = create_invitation(campaign, group, unit, channel="phone")
    invitation.test = True
    call = CallCase(
        campaign=campaign,
        invitation=invitation,
        status="claimed",
        claimed_by_id=by.id,
        claimed_at=utcnow(),
    )
    db.session.add(call)
    _flush()
    return call


def _delete_test_calls(campaign: Campaign) -> None:
    """The test calls of a campaign being opened: attempts, cases, invitations."""
    invitations = select(Invitation.id).where(
        Invitation.campaign_id == campaign.id, Invitation.test.is_(True)
    )
    cases = select(CallCase.id).where(CallCase.invitation_id.in_(invitations))
    for statement in (
        delete(Attempt).where(Attempt.case_id.in_(cases)),
        delete(CallCase).where(CallCase.invitation_id.in_(invitations)),
        delete(Invitation).where(Invitation.campaign_id == campaign.id, Invitation.test.is_(True)),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))


def open_campaign(campaign: Campaign, *, by: User) -> int:
    """Open a draft campaign: its test answers deleted, it takes answers; audited. Flushed.

    Returns how many test answers were deleted. A campaign already open is
    refused (SetupError), nothing changed.
    """
    if not campaign.draft:
        raise _refuse(gettext("Campaign %(code)s is already open.", code=campaign.code))
    test = select(Response.id).where(Response.campaign_id == campaign.id, Response.test.is_(True))
    # The receipts and personal links tried in test mode are unused again (test calls go).
    tickets = rows_changed(
        update(Ticket)
        .where(Ticket.id.in_(select(Response.ticket_id).where(Response.id.in_(test))))
        .values(used_at=None)
        .execution_options(synchronize_session=False)
    )
    links = rows_changed(
        update(Invitation)
        .where(Invitation.id.in_(select(Response.invitation_id).where(Response.id.in_(test))))
        .values(status="pending")
        .execution_options(synchronize_session=False)
    )
    # Answers, scores, call-back numbers and any case go with them (ON DELETE CASCADE).
    deleted = rows_changed(
        delete(Response)
        .where(Response.campaign_id == campaign.id, Response.test.is_(True))
        .execution_options(synchronize_session=False)
    )
    _delete_test_calls(campaign)
    campaign.draft = False
    record_audit(
        "campaign.open",
        "campaign",
        campaign.id,
        before={"draft": True},
        after={
            "draft": False,
            "test_answers_deleted": deleted,
            "tickets_reset": tickets,
            "links_reset": links,
        },
        campaign_id=campaign.id,
        user=by,
    )
    _flush()
    db.session.expire_all()
    return deleted
