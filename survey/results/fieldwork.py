"""Fieldwork progress: responses against targets, invitation progress, flagged bursts.

The evaluator watches this while a campaign runs, to see which unit or group
lags behind its target and where a reusable code is being abused, so every
figure is a fresh ``GROUP BY`` (no caching: a reload shows the newest count).

Definitions, stated once (the page repeats them):

- A *counted* response is submitted, not flagged and not a bad review excluded
  in the follow-up: exactly the responses the results count; flagged (burst)
  cards are shown apart, excluded ones nowhere.
- ``CampaignGroup.target`` is the target per unit: every unit of the campaign
  should reach it for that group; a group's target over the campaign is the
  target times the number of units.
- An invitation is *sent* once issued and not withdrawn; *started* when the
  respondent opened the questionnaire (status started or completed);
  *completed* when they submitted it. Completion rate = completed / sent.
- Flagged shares are over the cards of the public channels (QR code, kiosk,
  ticket), on which the burst rule flags cards (survey.responses.bursts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Label, case, func, select

from ..extensions import db
from ..models import (
    Campaign,
    CampaignGroup,
    Group,
    Invitation,
    Response,
    ServicePoint,
    Unit,
    campaign_unit,
    campaigns_newest_first,
    utcnow,
)
from .readable import readable_campaigns
from .summaries import not_excluded

__all__ = [
    "REUSABLE_CHANNELS",
    "ChannelCount",
    "FlaggedShare",
    "GroupProgress",
    "InvitationProgress",
    "UnitGroupProgress",
    "campaigns_newest_first",
    "default_campaign",
    "flagged_by_service_point",
    "flagged_by_unit",
    "group_progress",
    "invitation_progress",
    "responses_by_channel",
    "unit_group_progress",
]

# The public channels (a poster, a kiosk, a receipt), where the burst rule flags cards.
REUSABLE_CHANNELS: tuple[str, ...] = ("qr", "kiosk", "ticket")


def _ratio(part: int, whole: int | None) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class UnitGroupProgress:
    """One unit and group: counted and flagged responses against the per-unit target."""

    unit_id: int
    unit_code: str
    unit_name: str
    group: str
    counted: int
    flagged: int
    target: int | None

    @property
    def progress(self) -> float | None:
        return _ratio(self.counted, self.target)


@dataclass(frozen=True, slots=True)
class GroupProgress:
    """A group over all units: counted responses against target x units."""

    group: str
    counted: int
    flagged: int
    target_per_unit: int | None
    units: int

    @property
    def target(self) -> int | None:
        return None if self.target_per_unit is None else self.target_per_unit * self.units

    @property
    def progress(self) -> float | None:
        return _ratio(self.counted, self.target)


@dataclass(frozen=True, slots=True)
class ChannelCount:
    group: str
    channel: str
    counted: int


@dataclass(frozen=True, slots=True)
class InvitationProgress:
    group: str
    channel: str
    sent: int
    started: int
    completed: int

    @property
    def completion_rate(self) -> float | None:
        return _ratio(self.completed, self.sent)


@dataclass(frozen=True, slots=True)
class FlaggedShare:
    """Submissions through reusable codes and how many were flagged, for a unit or a point."""

    unit_code: str
    unit_name: str
    service_point_code: str | None
    service_point_name: str | None
    submitted: int
    flagged: int

    @property
    def share(self) -> float | None:
        return _ratio(self.flagged, self.submitted)


# ---------------------------------------------------------------------------
# Which campaign


def default_campaign(now: dt.datetime | None = None) -> Campaign | None:
    """The newest campaign that takes answers now; else the newest that is not a draft.

    Never a draft: it has no fieldwork, only test answers (survey.results.readable).
    """
    from ..models import campaign_state

    now = now or utcnow()
    campaigns = readable_campaigns()
    for campaign in campaigns:
        if campaign_state(campaign, now) is None:
            return campaign
    return campaigns[0] if campaigns else None


# ---------------------------------------------------------------------------
# Responses


def _submitted(campaign: Campaign) -> tuple[ColumnElement[bool], ...]:
    """The campaign's submitted responses, less bad reviews excluded in the follow-up.

    Never a draft's test answers: they are not fieldwork (nor flagged burst cards).
    """
    return (
        Response.campaign_id == campaign.id,
        Response.submitted_at.is_not(None),
        Response.test.is_(False),
        not_excluded(Response.id),
    )


def _counted_and_flagged() -> tuple[Label[Any], Label[Any]]:
    return (
        func.sum(case((Response.flagged.is_(False), 1), else_=0)).label("counted"),
        func.sum(case((Response.flagged.is_(True), 1), else_=0)).label("flagged"),
    )


def _campaign_groups(campaign: Campaign) -> list[tuple[int, str, int | None]]:
    """(group id, code, target) in display order."""
    return [
        (gid, code, target)
        for gid, code, target in db.session.execute(
            select(Group.id, Group.code, CampaignGroup.target)
            .join(CampaignGroup, CampaignGroup.group_id == Group.id)
            .where(CampaignGroup.campaign_id == campaign.id)
            .order_by(Group.position, Group.code)
        )
    ]


def _campaign_units(campaign: Campaign) -> list[tuple[int, str, str]]:
    return [
        (uid, code, name)
        for uid, code, name in db.session.execute(
            select(Unit.id, Unit.code, Unit.name)
            .join(campaign_unit, campaign_unit.c.unit_id == Unit.id)
            .where(campaign_unit.c.campaign_id == campaign.id)
            .order_by(Unit.code)
        )
    ]


def unit_group_progress(campaign: Campaign) -> list[UnitGroupProgress]:
    """Every unit x group of the campaign (zeros included) with counts and the per-unit target."""
    counts = {
        (unit_id, group_id): (int(counted or 0), int(flagged or 0))
        for unit_id, group_id, counted, flagged in db.session.execute(
            select(Response.unit_id, Response.group_id, *_counted_and_flagged())
            .where(*_submitted(campaign))
            .group_by(Response.unit_id, Response.group_id)
        )
    }
    groups = _campaign_groups(campaign)
    return [
        UnitGroupProgress(uid, ucode, uname, gcode, *counts.get((uid, gid), (0, 0)), target)
        for uid, ucode, uname in _campaign_units(campaign)
        for gid, gcode, target in groups
    ]


def group_progress(
    campaign: Campaign, rows: list[UnitGroupProgress] | None = None
) -> list[GroupProgress]:
    """Per group over all units (summed from :func:`unit_group_progress`'s rows)."""
    rows = unit_group_progress(campaign) if rows is None else rows
    units = len(_campaign_units(campaign))
    out = []
    for _gid, code, target in _campaign_groups(campaign):
        mine = [r for r in rows if r.group == code]
        out.append(
            GroupProgress(
                code, sum(r.counted for r in mine), sum(r.flagged for r in mine), target, units
            )
        )
    return out


def responses_by_channel(campaign: Campaign) -> list[ChannelCount]:
    """Counted responses per group and channel (only the combinations that occur)."""
    rows = db.session.execute(
        select(Group.code, Group.position, Response.channel, func.count())
        .join(Group, Group.id == Response.group_id)
        .where(*_submitted(campaign), Response.flagged.is_(False))
        .group_by(Group.code, Group.position, Response.channel)
        .order_by(Group.position, Group.code, Response.channel)
    ).all()
    return [ChannelCount(code, channel, int(n)) for code, _pos, channel, n in rows]


def invitation_progress(campaign: Campaign) -> list[InvitationProgress]:
    """Invitations sent, started and completed per group and channel."""
    started = Invitation.status.in_(("started", "completed"))
    rows = db.session.execute(
        select(
            Group.code,
            Group.position,
            Invitation.channel,
            func.count(),
            func.sum(case((started, 1), else_=0)),
            func.sum(case((Invitation.status == "completed", 1), else_=0)),
        )
        .join(Group, Group.id == Invitation.group_id)
        .where(Invitation.campaign_id == campaign.id, Invitation.status != "withdrawn")
        .group_by(Group.code, Group.position, Invitation.channel)
        .order_by(Group.position, Group.code, Invitation.channel)
    ).all()
    return [
        InvitationProgress(code, channel, int(sent), int(st or 0), int(done or 0))
        for code, _pos, channel, sent, st, done in rows
    ]


def flagged_by_service_point(campaign: Campaign) -> list[FlaggedShare]:
    """Submissions through reusable codes per service point, and how many were flagged."""
    rows = db.session.execute(
        select(
            Unit.code,
            Unit.name,
            ServicePoint.code,
            ServicePoint.name,
            func.count(),
            func.sum(case((Response.flagged.is_(True), 1), else_=0)),
        )
        .join(Unit, Unit.id == Response.unit_id)
        .join(ServicePoint, ServicePoint.id == Response.service_point_id)
        .where(*_submitted(campaign), Response.channel.in_(REUSABLE_CHANNELS))
        .group_by(Unit.code, Unit.name, ServicePoint.code, ServicePoint.name)
        .order_by(Unit.code, ServicePoint.code)
    ).all()
    return [FlaggedShare(uc, un, pc, pn, int(n), int(f or 0)) for uc, un, pc, pn, n, f in rows]


def flagged_by_unit(campaign: Campaign) -> list[FlaggedShare]:
    """Submissions through reusable codes per unit, and how many were flagged."""
    rows = db.session.execute(
        select(
            Unit.code,
            Unit.name,
            func.count(),
            func.sum(case((Response.flagged.is_(True), 1), else_=0)),
        )
        .join(Unit, Unit.id == Response.unit_id)
        .where(*_submitted(campaign), Response.channel.in_(REUSABLE_CHANNELS))
        .group_by(Unit.code, Unit.name)
        .order_by(Unit.code)
    ).all()
    return [FlaggedShare(uc, un, None, None, int(n), int(f or 0)) for uc, un, n, f in rows]


def submitted_by_campaign() -> dict[int, int]:
    """Campaign id -> its submitted responses (every one, as the campaigns list counts them)."""
    return {
        campaign_id: int(n)
        for campaign_id, n in db.session.execute(
            select(Response.campaign_id, func.count())
            .where(Response.submitted_at.is_not(None))
            .group_by(Response.campaign_id)
        ).all()
    }
