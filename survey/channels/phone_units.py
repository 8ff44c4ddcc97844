"""A person asked about several units, by phone: one call, unit by unit.

Each unit of a phone invitation is a call case of its own (its own response,
its own attempts and disposition). When the operator has finished the
interview about one unit, the person is still on the line: the case of their
next unit is claimed for the same operator at once, so the script goes on
about that unit in the same call instead of the queue ringing them again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update

from ..extensions import db, rows_changed
from ..models import CallCase, User, utcnow
from .phone import STALE_CLAIM

# Invitations whose unit still waits for an answer.
OPEN = ("pending", "started")


@dataclass(frozen=True)
class UnitStep:
    """Which of the person's units a case is about: ``position`` of ``count``."""

    position: int
    count: int


def unit_step(case_row: CallCase) -> UnitStep | None:
    """This case's unit among the person's units, or None when they are asked about one."""
    linked = case_row.invitation.linked()
    if len(linked) < 2:
        return None
    ids = [invitation.id for invitation in linked]
    position = ids.index(case_row.invitation_id) + 1 if case_row.invitation_id in ids else 1
    return UnitStep(position, len(linked))


def claim_next_unit(
    case_row: CallCase, operator: User, now: dt.datetime | None = None
) -> CallCase | None:
    """The case of the person's next open unit, claimed for ``operator``; None if none (commits).

    Only a case nobody holds (queued, or a claim gone stale) is taken, whatever
    its next try time: the person is on the phone now.
    """
    now = now or utcnow()
    others = [
        invitation.id
        for invitation in case_row.invitation.linked()
        if invitation.id != case_row.invitation_id and invitation.status in OPEN
    ]
    if not others:
        return None
    free = or_(
        CallCase.status == "queued",
        and_(CallCase.status == "claimed", CallCase.claimed_at < now - STALE_CLAIM),
    )
    candidates = db.session.execute(
        select(CallCase.id, CallCase.invitation_id).where(CallCase.invitation_id.in_(others), free)
    ).all()
    by_invitation = {invitation_id: case_id for case_id, invitation_id in candidates}
    for invitation_id in others:  # in the order the units were added to the link
        case_id = by_invitation.get(invitation_id)
        if case_id is None:
            continue
        claimed = rows_changed(
            update(CallCase)
            .where(CallCase.id == case_id, free)
            .values(status="claimed", claimed_by_id=operator.id, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if claimed == 1:
            found = db.session.get(CallCase, case_id)
            if found is not None:
                db.session.refresh(found)
            return found
    return None
