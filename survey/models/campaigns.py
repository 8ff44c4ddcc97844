"""Campaigns: one evaluation round with its units, period, groups and their settings.

Whether a campaign takes answers is decided here, once (:func:`campaign_state`):
the respondent pages, the phone queue, ticket sheets, the API and the
fieldwork monitor all ask this one rule. A campaign made on the set-up pages
starts as a draft: it takes no answers but test ones (test mode, see
survey.channels.test_mode) until an administrator opens it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .base import utcnow

if TYPE_CHECKING:
    from .units import Group, Unit

# Why a campaign takes no answers now: a draft (not opened yet by an administrator),
# before its opening time, or after its closing time.
CampaignState = Literal["draft", "not_open", "closed"]


class Campaign(Model):
    """One evaluation round: units, period, groups with instruments, weights and targets."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    opens_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # Space-separated subset of CHANNELS.
    channels: Mapped[str] = mapped_column(String(200), default="qr ticket kiosk link sms phone")
    # When true, a group that reached its target thanks further respondents and stops.
    cap_at_target: Mapped[bool] = mapped_column(Boolean, default=False)
    # The group whose card a reusable service-point code opens.
    point_group_id: Mapped[int | None] = mapped_column(ForeignKey("respondent_group.id"))
    # Phone survey: calling hours in the campaign's time zone ("HH:MM") and attempts per case.
    call_from: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")
    call_until: Mapped[str] = mapped_column(String(5), default="20:00", server_default="20:00")
    max_attempts: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    # No calls in the lunch break (午休); from evening_from a call is in the evening slot
    # (survey.channels.calling spreads a case's attempts over slots).
    lunch_from: Mapped[str] = mapped_column(String(5), default="12:00", server_default="12:00")
    lunch_until: Mapped[str] = mapped_column(String(5), default="14:00", server_default="14:00")
    evening_from: Mapped[str] = mapped_column(String(5), default="18:00", server_default="18:00")
    # Messages left on a voicemail naming the person, at most, per case.
    max_messages: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Whether a soft refusal is called again a week later (refusal conversion) or is final.
    refusal_conversion: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Bad-review follow-up: working days the unit has to remedy a case.
    followup_days: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # How the published figures weight the groups: "policy" (the groups' policy weights)
    # or "population" (population shares N_h/N; every surveyed group needs its N).
    weighting: Mapped[str] = mapped_column(String(16), default="policy", server_default="policy")
    # The SMS sender signature (签名) without its 【】, which mainland carriers require at
    # the start of every message; a unit's own signature overrides it (survey.channels.sms).
    sms_signature: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # A draft takes only test answers (kept apart, deleted when it opens) until an
    # administrator opens it (survey.setup.opening). Campaigns made before drafts
    # existed, and the demo's, are open.
    draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (CheckConstraint("period_end >= period_start", name="period_order"),)

    units: Mapped[list[Unit]] = relationship(secondary="campaign_unit", order_by="Unit.code")
    groups: Mapped[list[CampaignGroup]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )
    point_group: Mapped[Group | None] = relationship()

    def channel_list(self) -> list[str]:
        return self.channels.split()

    def opens(self) -> dt.datetime:
        """When it starts taking answers: its opening time, else its period's first day."""
        return self.opens_at or dt.datetime.combine(self.period_start, dt.time())

    def closes(self) -> dt.datetime:
        """When it stops taking answers: its closing time, else the day after its period."""
        if self.closes_at is not None:
            return self.closes_at
        return dt.datetime.combine(self.period_end + dt.timedelta(days=1), dt.time())

    def state(self, now: dt.datetime | None = None) -> CampaignState | None:
        """None while it takes answers; else "draft", "not_open" (not yet) or "closed"."""
        return campaign_state(self, now)

    def is_open(self, now: dt.datetime | None = None) -> bool:
        return campaign_state(self, now) is None

    def group_settings(self, group_id: int) -> CampaignGroup | None:
        return next((g for g in self.groups if g.group_id == group_id), None)


def campaign_state(
    campaign: Campaign, now: dt.datetime | None = None, *, testing: bool = False
) -> CampaignState | None:
    """None when the campaign takes answers at ``now``, else "draft", "not_open" or "closed".

    The one rule every channel, page and count asks: a draft takes none (but
    test answers, when ``testing``: whatever the dates, since a campaign is
    tried before its period begins); an opened campaign takes them from its
    opening time (else the first day of its period) until its closing time
    (else the day after its period ends).
    """
    if campaign.draft:
        return None if testing else "draft"
    now = now or utcnow()
    if now < campaign.opens():
        return "not_open"
    if now >= campaign.closes():
        return "closed"
    return None


campaign_unit = db.Table(
    "campaign_unit",
    db.Column("campaign_id", ForeignKey("campaign.id"), primary_key=True),
    db.Column("unit_id", ForeignKey("unit.id"), primary_key=True),
)


class CampaignGroup(Model):
    """A group's settings in a campaign: instrument, policy weight, population, target."""

    __tablename__ = "campaign_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("respondent_group.id"))
    instrument_id: Mapped[str] = mapped_column(String(80))
    weight: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("campaign_id", "group_id"),
        CheckConstraint("weight IS NULL OR weight >= 0", name="weight_not_negative"),
        CheckConstraint("population IS NULL OR population > 0", name="population_positive"),
        CheckConstraint("target IS NULL OR target > 0", name="target_positive"),
    )

    campaign: Mapped[Campaign] = relationship(back_populates="groups")
    group: Mapped[Group] = relationship()
    by_channel: Mapped[list[ChannelInstrument]] = relationship(
        back_populates="settings",
        cascade="all, delete-orphan",
        order_by="ChannelInstrument.channel",
    )

    def instrument_for(self, channel: str) -> str:
        """The questionnaire this group answers through ``channel``: its own, else the group's.

        A group reached by QR code and by phone needs the card on the screen and
        the phone script on the line (a self-introduction, no promise of
        anonymity the operator cannot keep, no request for the number just dialled).
        """
        return next((c.instrument_id for c in self.by_channel if c.channel == channel), None) or (
            self.instrument_id
        )

    def instrument_ids(self) -> list[str]:
        """Every questionnaire the group answers in the campaign, the group's own first."""
        found = [self.instrument_id]
        found.extend(c.instrument_id for c in self.by_channel if c.instrument_id not in found)
        return found


class ChannelInstrument(Model):
    """A group's questionnaire for one channel of a campaign, in place of the group's own."""

    __tablename__ = "campaign_group_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_group_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_group.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    instrument_id: Mapped[str] = mapped_column(String(80))

    __table_args__ = (UniqueConstraint("campaign_group_id", "channel"),)

    settings: Mapped[CampaignGroup] = relationship(back_populates="by_channel")


def campaigns_newest_first(*, drafts: bool = True) -> list[Campaign]:
    """Every campaign, newest period first (the order of every list and selector).

    ``drafts=False`` leaves out the drafts, for the pages that read results: a
    draft has only test answers, which count in no figure, so there is nothing
    to read or publish from it (as the API's campaign list).
    """
    query = db.select(Campaign).order_by(Campaign.period_start.desc(), Campaign.id.desc())
    if not drafts:
        query = query.where(Campaign.draft.is_(False))
    return list(db.session.execute(query).scalars())


def latest_campaign(*, drafts: bool = True) -> Campaign | None:
    """The campaign with the newest period, if any (``drafts=False``: the newest not a draft)."""
    query = db.select(Campaign).order_by(Campaign.period_start.desc(), Campaign.id.desc())
    if not drafts:
        query = query.where(Campaign.draft.is_(False))
    return db.session.execute(query.limit(1)).scalar_one_or_none()


def campaign_by_code(code: str) -> Campaign | None:
    return db.session.execute(db.select(Campaign).where(Campaign.code == code)).scalar_one_or_none()
