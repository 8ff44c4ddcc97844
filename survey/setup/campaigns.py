"""Campaigns: create and edit one with its groups' settings, audited with its campaign_id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from ..access.audit import record_audit, record_change, snapshot
from ..channels.sms.signature import SignatureError, clean_signature
from ..extensions import db
from ..labels import group_label
from ..models import (
    Campaign,
    CampaignGroup,
    ChannelInstrument,
    Invitation,
    Response,
    utcnow,
)
from .campaign_rules import (
    CampaignInput,
    GroupSettingsInput,
    _check_campaign_input,
    check_questionnaires,
)
from .common import SetupError, _flush, _refuse


@dataclass(frozen=True)
class CampaignSaved:
    campaign: Campaign
    # True when weights or populations changed after fieldwork had started.
    weights_changed_after_start: bool


def fieldwork_started(campaign: Campaign, now: dt.datetime | None = None) -> bool:
    """The campaign has opened or has an answer: settings changes now alter live results.

    Never for a draft: it has only test answers, which no result counts.
    """
    now = now or utcnow()
    if campaign.id is None or campaign.draft:
        return False
    if campaign.opens() <= now:
        return True
    return (
        db.session.execute(
            select(Response.id).where(Response.campaign_id == campaign.id).limit(1)
        ).first()
        is not None
    )


def campaign_settings(campaign: Campaign) -> dict[str, Any]:
    """Every setting of a campaign as plain data (the audit's before and after)."""
    data = snapshot(
        campaign,
        (
            "code",
            "name",
            "period_start",
            "period_end",
            "opens_at",
            "closes_at",
            "timezone",
            "channels",
            "cap_at_target",
            "call_from",
            "call_until",
            "max_attempts",
            "lunch_from",
            "lunch_until",
            "evening_from",
            "max_messages",
            "refusal_conversion",
            "followup_days",
            "weighting",
            "sms_signature",
        ),
    )
    data["point_group"] = campaign.point_group.code if campaign.point_group else None
    data["units"] = sorted(unit.code for unit in campaign.units)
    data["groups"] = {
        settings.group.code: {
            "instrument_id": settings.instrument_id,
            "by_channel": {c.channel: c.instrument_id for c in settings.by_channel},
            "weight": settings.weight,
            "population": settings.population,
            "target": settings.target,
        }
        for settings in sorted(campaign.groups, key=lambda s: s.group.code)
    }
    return data


def _weights_and_populations(settings: Mapping[str, Any]) -> dict[str, Any]:
    """What the published figures' weights rest on: the weighting and every group's W and N."""
    groups: dict[str, Any] = {
        code: {"weight": values["weight"], "population": values["population"]}
        for code, values in settings.get("groups", {}).items()
    }
    return {"weighting": settings.get("weighting", "policy"), **groups}


def _removal_problems(campaign: Campaign, clean: dict[str, Any]) -> str | None:
    """Units or groups with answers or invitations cannot leave the campaign.

    Test answers and test calls do not count: they are deleted when the draft
    opens, and a draft is tried in order to be changed.
    """
    keep_groups = {row.code for row in clean["included"]}
    keep_units = {unit.id for unit in clean["units"]}
    for settings in campaign.groups:
        if settings.group.code in keep_groups:
            continue
        for model in (Response, Invitation):
            if db.session.execute(
                select(model.id)
                .where(
                    model.campaign_id == campaign.id,
                    model.group_id == settings.group_id,
                    model.test.is_(False),
                )
                .limit(1)
            ).first():
                return gettext(
                    "%(group)s cannot leave the campaign: it has invitations or answers.",
                    group=group_label(settings.group.code),
                )
    for unit in campaign.units:
        if unit.id in keep_units:
            continue
        for model in (Response, Invitation):
            if db.session.execute(
                select(model.id)
                .where(
                    model.campaign_id == campaign.id,
                    model.unit_id == unit.id,
                    model.test.is_(False),
                )
                .limit(1)
            ).first():
                return gettext(
                    "%(unit)s cannot leave the campaign: it has invitations or answers.",
                    unit=unit.name,
                )
    return None


def save_campaign(campaign: Campaign | None, data: CampaignInput) -> CampaignSaved:
    """Create or edit a campaign with its groups' settings, audited with its campaign_id.

    A change of weights or populations once fieldwork has started gets an event
    of its own (``campaign.weights_after_start``) with every group's before and
    after, so the results can say which settings they rest on.
    """
    try:
        clean = _check_campaign_input(data, campaign)
        if campaign is not None:
            problem = _removal_problems(campaign, clean)
            if problem:
                raise SetupError(problem)
    except SetupError as error:
        raise _refuse(str(error)) from None

    creating = campaign is None
    started = False if campaign is None else fieldwork_started(campaign)
    before = None if campaign is None else campaign_settings(campaign)
    if campaign is None:
        # A new campaign is a draft: tried in test mode, opened explicitly (setup.opening).
        campaign = Campaign(draft=True)
        db.session.add(campaign)
    _apply(campaign, data, clean)
    _flush()
    after = campaign_settings(campaign)
    weights_after_start = False
    if creating:
        record_audit(
            "campaign.create", "campaign", campaign.id, after=after, campaign_id=campaign.id
        )
    elif before is not None and record_change(
        "campaign.update", "campaign", campaign.id, before, after, campaign_id=campaign.id
    ):
        old, new = _weights_and_populations(before), _weights_and_populations(after)
        if started and old != new:
            weights_after_start = True
            record_audit(
                "campaign.weights_after_start",
                "campaign",
                campaign.id,
                before=old,
                after=new,
                reason=gettext("Weights or populations changed after fieldwork had started."),
                campaign_id=campaign.id,
            )
    _flush()
    return CampaignSaved(campaign, weights_after_start)


def set_channel_instruments(settings: CampaignGroup, by_channel: Mapping[str, str]) -> None:
    """Make the group's questionnaires per channel these (one equal to its own is dropped)."""
    wanted = {c: i for c, i in by_channel.items() if i and i != settings.instrument_id}
    for row in list(settings.by_channel):
        if row.channel not in wanted:
            settings.by_channel.remove(row)
        else:
            row.instrument_id = wanted.pop(row.channel)
    for channel, instrument_id in sorted(wanted.items()):
        settings.by_channel.append(ChannelInstrument(channel=channel, instrument_id=instrument_id))


def _apply(campaign: Campaign, data: CampaignInput, clean: dict[str, Any]) -> None:
    """Put the checked values of the form on the campaign and its groups' settings."""
    campaign.code, campaign.name = clean["code"], clean["name"]
    assert data.period_start is not None and data.period_end is not None  # checked
    campaign.period_start, campaign.period_end = data.period_start, data.period_end
    campaign.opens_at, campaign.closes_at = clean["opens_at"], clean["closes_at"]
    campaign.timezone = clean["timezone"]
    campaign.units = clean["units"]
    campaign.channels = clean["channels"]
    campaign.cap_at_target = bool(data.cap_at_target)
    campaign.point_group = clean["point_group"]
    campaign.call_from, campaign.call_until = data.call_from.strip(), data.call_until.strip()
    assert data.max_attempts is not None and data.followup_days is not None  # checked
    campaign.max_attempts, campaign.followup_days = data.max_attempts, data.followup_days
    campaign.lunch_from, campaign.lunch_until = data.lunch_from.strip(), data.lunch_until.strip()
    campaign.evening_from = data.evening_from.strip()
    assert data.max_messages is not None  # checked
    campaign.max_messages = data.max_messages
    campaign.refusal_conversion = bool(data.refusal_conversion)
    campaign.weighting = data.weighting
    campaign.sms_signature = clean["sms_signature"]
    existing = {settings.group.code: settings for settings in campaign.groups}
    wanted = {row.code: row for row in clean["included"]}
    for code, settings in existing.items():
        if code not in wanted:
            campaign.groups.remove(settings)
    for code, row in wanted.items():
        kept = existing.get(code)
        if kept is None:
            kept = CampaignGroup(group=clean["groups"][code])
            campaign.groups.append(kept)
        kept.instrument_id = row.instrument_id
        set_channel_instruments(kept, row.by_channel)
        kept.weight, kept.population, kept.target = (
            row.weight,
            row.population,
            row.target,
        )


def set_questionnaire(
    campaign: Campaign, group_code: str, instrument_id: str | None, *, channel: str | None = None
) -> None:
    """Set a group's questionnaire, or (``channel``) the one it answers through that channel.

    ``instrument_id`` None with a channel puts the group's own back for it.
    The command line's way to what the campaign form does; audited the same.
    """
    settings = next((s for s in campaign.groups if s.group.code == group_code), None)
    if settings is None:
        raise _refuse(
            gettext(
                "group %(group)s is not surveyed in campaign %(campaign)s; its groups are "
                "%(known)s",
                group=group_code,
                campaign=campaign.code,
                known=", ".join(sorted(s.group.code for s in campaign.groups)) or "-",
            )
        )
    row = GroupSettingsInput(code=group_code, instrument_id=settings.instrument_id)
    row.by_channel = {c.channel: c.instrument_id for c in settings.by_channel}
    if channel is None:
        row.instrument_id = instrument_id or ""
    elif instrument_id is None:
        row.by_channel.pop(channel, None)
    else:
        row.by_channel[channel] = instrument_id
    try:
        check_questionnaires(row)
    except SetupError as error:
        raise _refuse(str(error)) from None
    before = campaign_settings(campaign)
    settings.instrument_id = row.instrument_id
    set_channel_instruments(settings, row.by_channel)
    _record_update(campaign, before)


def set_sms_signature(campaign: Campaign, raw: str | None) -> str | None:
    """Set (or, with nothing, remove) a campaign's SMS signature, as the campaign form does.

    For `flask survey sms-signature`; the carriers' rule is checked
    (survey.channels.sms.signature) and the change is audited. Returns what is stored.
    """
    try:
        signature = clean_signature(raw)
    except SignatureError as error:
        raise _refuse(str(error)) from None
    before = campaign_settings(campaign)
    campaign.sms_signature = signature
    _record_update(campaign, before)
    return signature


def _record_update(campaign: Campaign, before: dict[str, Any]) -> None:
    """Audit a change of one setting made outside the campaign form (flushed)."""
    _flush()
    record_change(
        "campaign.update",
        "campaign",
        campaign.id,
        before,
        campaign_settings(campaign),
        campaign_id=campaign.id,
    )
    _flush()
