"""Bursts: cards from one public source coming faster than its usual, held for an evaluator.

A card through a public channel (a QR code, a kiosk device, a receipt-ticket
sheet) is checked as it is stored (survey.responses.bursts). When its source
sends more cards within the window than it is allowed, the source's cards of
that window become one Burst: flagged (Response.flagged), out of every
published figure, and their bad reviews held (FollowUpCase status "held") out of
the handler's queue, until an evaluator accepts the burst (the cards count,
their cases open) or excludes it, with a reason, in the audit trail.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .access import User
from .campaigns import Campaign
from .devices import Device
from .units import ServicePoint, Unit

# What sent the cards: one client (address hash) on a QR code, all QR cards of a point,
# one enrolled kiosk device, one sheet of receipt tickets.
BURST_SOURCES: tuple[str, ...] = ("client", "point", "device", "sheet")
# held: out of the figures and the handler's queue; accepted: counted; excluded: never counted.
BURST_STATES: tuple[str, ...] = ("held", "accepted", "excluded")


class Burst(Model):
    """Cards of one source within a window beyond its allowance, and what became of them."""

    __tablename__ = "burst"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"))
    channel: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8))
    # Which one of its kind: the client hash, the point's, device's or sheet's id.
    source_key: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    first_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_at: Mapped[dt.datetime] = mapped_column(DateTime)
    cards: Mapped[int] = mapped_column(Integer, default=0)
    # Cards whose overall answer is the lowest level (very dissatisfied).
    lowest: Mapped[int] = mapped_column(Integer, default=0)
    # What the rule compared with when it fired: the source's usual cards per hour and
    # the most cards its window allowed.
    usual_per_hour: Mapped[float] = mapped_column(Float, default=0.0)
    allowance: Mapped[int] = mapped_column(Integer)
    # Which part of the rule fired: "rate" (too many cards) or "lowest" (too many lowest).
    rule: Mapped[str] = mapped_column(String(8), default="rate")
    status: Mapped[str] = mapped_column(String(10), default="held")
    reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_burst_source", "source", "source_key", "last_at"),)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
    service_point: Mapped[ServicePoint | None] = relationship()
    device: Mapped[Device | None] = relationship()
    reviewed_by: Mapped[User | None] = relationship()

    @property
    def lowest_share(self) -> float | None:
        return self.lowest / self.cards if self.cards else None
