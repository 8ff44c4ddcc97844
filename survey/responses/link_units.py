"""One personal link, several units: which units a link asks about, and how far each got.

A deputy or an expert asked about several institutions in one campaign gets
one message with one link. Behind it are one invitation per unit (the lead,
whose token the link carries, and the others that point to it), so each unit
is answered, saved, resumed and submitted as a questionnaire of its own and
lands in the results as a response of its own. The link's first page lists
the units and how far each got; a unit's questionnaire is its own address.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Invitation, Response, utcnow
from .targets import (
    Target,
    Unavailable,
    invitation_by_token,
    refuse_unless_open,
    target_of_invitation,
)

# What the list of a link's units says about each one.
NEW, BEGUN, ANSWERED = "new", "begun", "answered"


@dataclass(frozen=True)
class UnitStep:
    """One unit of a link: its invitation and how far it got (NEW, BEGUN or ANSWERED)."""

    invitation: Invitation
    state: str

    @property
    def open(self) -> bool:
        return self.state != ANSWERED


def lead_by_token(token: str) -> Invitation:
    """The lead a personal link's token belongs to; Unavailable("unknown") if none.

    Only a lead's token was ever issued: the other units' hashes are of tokens
    nobody holds.
    """
    return invitation_by_token(token)


def linked_invitations(lead: Invitation) -> list[Invitation]:
    """The invitations a link asks about, the lead's unit first, withdrawn ones left out."""
    return lead.linked()


def asks_several(lead: Invitation) -> bool:
    """Whether the link asks about more than one unit (then its first page lists them)."""
    return len(linked_invitations(lead)) > 1


def unit_steps(lead: Invitation, *, testing: Collection[int] = ()) -> list[UnitStep]:
    """Each unit of the link with how far it got, in the order the units were added.

    Raises Unavailable when the link as a whole cannot be answered: every unit
    withdrawn, the link expired, the campaign not open (a draft: only in test
    mode, ``testing``).
    """
    invitations = linked_invitations(lead)
    campaign = lead.campaign
    if not invitations:
        raise Unavailable("withdrawn", campaign)
    if lead.status == "expired" or (lead.expires_at is not None and utcnow() >= lead.expires_at):
        raise Unavailable("expired", campaign)
    refuse_unless_open(campaign, testing)
    responses = {
        response.invitation_id: response
        for response in db.session.execute(
            select(Response).where(Response.invitation_id.in_([i.id for i in invitations]))
        ).scalars()
    }
    steps = []
    for invitation in invitations:
        response = responses.get(invitation.id)
        if invitation.status == "completed" or (
            response is not None and response.submitted_at is not None
        ):
            steps.append(UnitStep(invitation, ANSWERED))
        elif response is not None or invitation.status == "started":
            steps.append(UnitStep(invitation, BEGUN))
        else:
            steps.append(UnitStep(invitation, NEW))
    return steps


def resolve_link_unit(token: str, unit_code: str, *, testing: Collection[int] = ()) -> Target:
    """The questionnaire about one unit of a link, with what was saved of it so far.

    The same checks as a single-unit link (answered, withdrawn, expired,
    campaign not open), for this unit's invitation; a unit the link does not
    ask about is unknown.
    """
    lead = lead_by_token(token)
    invitation = next(
        (i for i in linked_invitations(lead) if i.unit.code == unit_code and len(unit_code) <= 40),
        None,
    )
    if invitation is None:
        raise Unavailable("unknown", lead.campaign)
    return target_of_invitation(invitation, testing=testing)


def lead_of(invitation: Invitation) -> Invitation:
    """The invitation whose link asks about this one's unit (itself when it is a lead)."""
    return invitation.link_lead()
