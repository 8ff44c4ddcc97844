"""Anomalies of the public channels, per service point and per kiosk device, for the fieldwork.

For each of the campaign's service points (its QR and ticket cards) and each
kiosk device (its cards): cards in the last hour against the source's usual
per hour (the same usual the burst rule uses: counted cards over the lookback,
per service hour), the share of lowest ratings over the last day, and the
bursts held for review. Counted live, as the fieldwork page is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from ..extensions import db
from ..models import Burst, Campaign, Device, Response, ServicePoint, utcnow
from ..responses.bursts import Rule, Source, lowest_card, usual_per_hour

# The public channels of a service point's own code and of its receipts.
POINT_CHANNELS = ("qr", "ticket")


@dataclass(frozen=True, slots=True)
class Activity:
    """One point's or device's cards now against its usual, and its held bursts."""

    point: ServicePoint
    device: Device | None
    last_hour: int
    usual_per_hour: float
    day_cards: int
    day_lowest: int
    held_bursts: int
    held_cards: int

    @property
    def ratio(self) -> float | None:
        """The last hour's cards over the usual per hour (None without a usual yet)."""
        return self.last_hour / self.usual_per_hour if self.usual_per_hour > 0 else None

    @property
    def lowest_share(self) -> float | None:
        return self.day_lowest / self.day_cards if self.day_cards else None


def _activity(
    campaign: Campaign,
    point: ServicePoint,
    device: Device | None,
    where: tuple[ColumnElement[bool], ...],
    now: dt.datetime,
    rule: Rule,
) -> Activity:
    mine = (*where, Response.campaign_id == campaign.id)
    hour = db.session.execute(
        select(func.count(Response.id)).where(
            *mine, Response.submitted_at > now - dt.timedelta(hours=1)
        )
    ).scalar_one()
    day_cards, day_lowest = db.session.execute(
        select(func.count(Response.id), func.sum(lowest_card())).where(
            *mine, Response.submitted_at > now - dt.timedelta(days=1)
        )
    ).one()
    usual, _lowest = usual_per_hour(Source("", "", mine), now - dt.timedelta(hours=1), rule)
    burst_where = [Burst.campaign_id == campaign.id, Burst.status == "held"]
    if device is not None:
        burst_where.append(Burst.device_id == device.id)
    else:
        burst_where += [Burst.service_point_id == point.id, Burst.channel.in_(POINT_CHANNELS)]
    bursts, cards = db.session.execute(
        select(func.count(Burst.id), func.sum(Burst.cards)).where(*burst_where)
    ).one()
    return Activity(
        point=point,
        device=device,
        last_hour=int(hour or 0),
        usual_per_hour=usual,
        day_cards=int(day_cards or 0),
        day_lowest=int(day_lowest or 0),
        held_bursts=int(bursts or 0),
        held_cards=int(cards or 0),
    )


def anomalies(campaign: Campaign, now: dt.datetime | None = None) -> list[Activity]:
    """Every service point of the campaign's units, then each of its kiosk devices."""
    now = now or utcnow()
    rule = Rule.from_config()
    rows = []
    for unit in sorted(campaign.units, key=lambda u: u.code):
        for point in unit.service_points:
            on_point = (Response.service_point_id == point.id, Response.channel.in_(POINT_CHANNELS))
            rows.append(_activity(campaign, point, None, on_point, now, rule))
            devices = db.session.execute(
                select(Device)
                .where(Device.service_point_id == point.id, Device.enrolled_at.is_not(None))
                .order_by(Device.name, Device.id)
            ).scalars()
            for device in devices:
                own = (Response.device_id == device.id,)
                rows.append(_activity(campaign, point, device, own, now, rule))
    return rows
