"""Who is asked: contacts, their personal invitations, and the one-time tickets of receipts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow

if TYPE_CHECKING:
    from .campaigns import Campaign
    from .units import Group, ServicePoint, Unit


class Contact(Model):
    """Who someone is. Kept apart from what they answered."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Invitation(Model):
    """One person, one group, one channel, one token (stored only as a hash), one unit.

    A person asked about several units (a deputy rating three institutions)
    has one invitation per unit, so each unit's answers are a response of
    their own and each counts in its unit's response rates. The first is the
    lead: its token is the one link sent. The others point to it
    (``lead_id``) and carry the hash of a token never issued, so no address
    opens them by themselves; the lead's link opens all of them.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_group.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    channel: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # pending -> started -> completed; or expired / withdrawn.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    language: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The invitation whose link also asks about this unit; None for a lead (or a single unit).
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), index=True)
    # A test call's invitation: a draft's phone script tried in the operator console
    # (survey.setup.opening.start_test_call); no contact, deleted when the campaign opens.
    test: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    campaign: Mapped[Campaign] = relationship()
    group: Mapped[Group] = relationship()
    unit: Mapped[Unit] = relationship()
    contact: Mapped[Contact | None] = relationship()
    lead: Mapped[Invitation | None] = relationship(remote_side=[id], back_populates="others")
    # The other units the lead's link asks about, in the order they were added.
    others: Mapped[list[Invitation]] = relationship(back_populates="lead", order_by="Invitation.id")

    def link_lead(self) -> Invitation:
        """The invitation whose link asks about this one's unit (itself when it is a lead)."""
        return self.lead if self.lead is not None else self

    def linked(self) -> list[Invitation]:
        """The invitations the same link asks about, the lead's unit first, none withdrawn."""
        lead = self.link_lead()
        return [i for i in (lead, *lead.others) if i.status != "withdrawn"]


class Ticket(Model):
    """One service transaction's one-time QR token, printed on a receipt."""

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The tickets issued together (one printed sheet), for the burst rule; None before sheets.
    sheet: Mapped[str | None] = mapped_column(String(16), index=True)

    campaign: Mapped[Campaign] = relationship()
    service_point: Mapped[ServicePoint] = relationship()
