"""Every rule of the campaign form, checked before anything is stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import format_decimal, gettext
from sqlalchemy import select

from ..channels.sms.signature import SignatureError, clean_signature
from ..extensions import db
from ..instruments.store import current_instruments
from ..labels import channel_label, group_label
from ..models import (
    CHANNELS,
    Campaign,
    Group,
    Unit,
)
from .common import HHMM_PATTERN, SetupError, check_code, check_name
from .groups import groups_in_order

MAX_ATTEMPTS_LIMIT = 30


# A group's population N and target sample size: far above any real group, and small
# enough for every database's INTEGER (a bigger number failed as a server error).
MAX_POPULATION = 10**9


# Policy weights are relative (shares of their sum), so this is far beyond any real need.
MAX_WEIGHT = 10**6


MAX_FOLLOWUP_DAYS = 60


@dataclass
class GroupSettingsInput:
    """One group's row of the campaign form, as typed (numbers already parsed)."""

    code: str
    included: bool = False
    instrument_id: str = ""
    # Channel -> another questionnaire for it (the phone script for "phone").
    by_channel: dict[str, str] = field(default_factory=dict)
    weight: float | None = None
    population: int | None = None
    target: int | None = None


@dataclass
class CampaignInput:
    """The campaign form's values; times are wall-clock times in ``timezone``."""

    code: str
    name: str
    period_start: dt.date | None
    period_end: dt.date | None
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    timezone: str = "Asia/Shanghai"
    unit_ids: list[int] = field(default_factory=list)
    point_group: str | None = None
    channels: list[str] = field(default_factory=list)
    cap_at_target: bool = False
    call_from: str = "09:00"
    call_until: str = "20:00"
    max_attempts: int | None = 6
    lunch_from: str = "12:00"
    lunch_until: str = "14:00"
    evening_from: str = "18:00"
    max_messages: int | None = 1
    refusal_conversion: bool = True
    followup_days: int | None = 5
    groups: list[GroupSettingsInput] = field(default_factory=list)
    weighting: str = "policy"
    sms_signature: str = ""


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo((name or "").strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SetupError(
            gettext(
                "Unknown time zone %(zone)s; use a name such as Asia/Shanghai.", zone=repr(name)
            )
        ) from None


def local_to_utc(moment: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    """A wall-clock time in the campaign's zone, as stored (naive UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def utc_to_local(moment: dt.datetime | None, zone_name: str) -> dt.datetime | None:
    """A stored time (naive UTC) as a naive wall-clock time in the zone, for the form."""
    if moment is None:
        return None
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)


def weight_shares(weights: Mapping[str, float | None]) -> dict[str, float]:
    """The policy weights as shares of 1, as the results will use them; raises SetupError.

    All empty means equal weights (as the results read it); otherwise every group
    needs a weight, none negative, and not all zero.
    """
    if not weights:
        return {}
    values = dict(weights)
    if all(value is None for value in values.values()):
        return {code: 1 / len(values) for code in values}
    missing = [code for code, value in values.items() if value is None]
    if missing:
        raise SetupError(
            gettext(
                "Weights: %(groups)s have no weight while other groups have one. Give every "
                "group a weight (0 leaves a group out) or leave them all empty for equal weights.",
                groups=", ".join(group_label(code) for code in missing),
            )
        )
    negative = [code for code, value in values.items() if value is not None and not value >= 0]
    if negative:
        raise SetupError(
            gettext(
                "Weights must be zero or positive; %(groups)s has a negative weight.",
                groups=", ".join(group_label(code) for code in negative),
            )
        )
    huge = [code for code, value in values.items() if value is not None and value > MAX_WEIGHT]
    if huge:
        # Weights are relative; past this their sum can overflow to infinity.
        raise SetupError(
            gettext(
                "Weights must be at most %(max)s; %(groups)s has a larger one.",
                max=format_decimal(MAX_WEIGHT),
                groups=", ".join(group_label(code) for code in huge),
            )
        )
    total = sum(float(value) for value in values.values() if value is not None)
    if not total > 0:
        raise SetupError(gettext("Weights: at least one group needs a weight above zero."))
    return {code: float(value or 0) / total for code, value in values.items()}


def _check_campaign_input(data: CampaignInput, campaign: Campaign | None) -> dict[str, Any]:
    """Every rule of the campaign form; returns the cleaned values or raises SetupError."""
    code, name, zone, opens_at, closes_at = _check_identity_and_period(data, campaign)
    units, channels = _check_fieldwork(data)
    included = [g for g in data.groups if g.included]
    if not included:
        raise SetupError(gettext("Choose at least one respondent group."))
    groups = {g.code: g for g in groups_in_order()}
    instruments = current_instruments()
    for row in included:
        _check_group_row(row, groups, instruments)
    weight_shares({row.code: row.weight for row in included})
    _check_weighting(data.weighting, included)
    point_group = None
    if data.point_group:
        if data.point_group not in {row.code for row in included}:
            raise SetupError(
                gettext(
                    "The group answering at service points (%(group)s) must be one of the "
                    "campaign's groups.",
                    group=group_label(data.point_group),
                )
            )
        point_group = groups[data.point_group]
    return {
        "code": code,
        "name": name,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "timezone": zone.key,
        "units": units,
        "channels": " ".join(channels),
        "point_group": point_group,
        "included": included,
        "groups": groups,
        "sms_signature": _checked_signature(data.sms_signature),
    }


def _checked_signature(raw: str) -> str | None:
    """The campaign's SMS signature as stored, or SetupError saying the carriers' rule."""
    try:
        return clean_signature(raw)
    except SignatureError as error:
        raise SetupError(str(error)) from None


def _check_weighting(weighting: str, included: list[GroupSettingsInput]) -> None:
    """Population weighting needs every surveyed group's population N (its share is N_h/N)."""
    if weighting not in ("policy", "population"):
        raise SetupError(gettext("Choose policy or population weighting."))
    missing = [group_label(row.code) for row in included if row.population is None]
    if weighting == "population" and missing:
        raise SetupError(
            gettext(
                "Population weighting needs the population N of every surveyed group; "
                "%(groups)s has none.",
                groups=", ".join(missing),
            )
        )


def _check_identity_and_period(
    data: CampaignInput, campaign: Campaign | None
) -> tuple[str, str, ZoneInfo, dt.datetime | None, dt.datetime | None]:
    """Code (unused by another campaign), name, period, time zone, opening and closing."""
    code = check_code(data.code, gettext("campaign"))
    other = db.session.execute(select(Campaign).where(Campaign.code == code)).scalar_one_or_none()
    if other is not None and other is not campaign:
        raise SetupError(gettext("The campaign code %(code)s is already used.", code=code))
    name = check_name(data.name)
    if data.period_start is None or data.period_end is None:
        raise SetupError(gettext("The period needs a start and an end date."))
    if data.period_end < data.period_start:
        raise SetupError(gettext("The period ends before it starts."))
    zone = zone_of(data.timezone)
    opens_at = local_to_utc(data.opens_at, zone)
    closes_at = local_to_utc(data.closes_at, zone)
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise SetupError(gettext("The campaign closes before it opens."))
    return code, name, zone, opens_at, closes_at


def _check_fieldwork(data: CampaignInput) -> tuple[list[Unit], list[str]]:
    """Units, channels, calling hours, attempts per phone case, follow-up days."""
    units = [db.session.get(Unit, unit_id) for unit_id in dict.fromkeys(data.unit_ids)]
    if not units or any(unit is None for unit in units):
        raise SetupError(gettext("Choose at least one unit to evaluate."))
    channels = [c for c in CHANNELS if c in set(data.channels)]
    unknown_channels = sorted(set(data.channels) - set(CHANNELS))
    if unknown_channels or not channels:
        raise SetupError(gettext("Choose at least one channel."))
    times = (data.call_from, data.call_until, data.lunch_from, data.lunch_until, data.evening_from)
    for value in times:
        if not HHMM_PATTERN.match((value or "").strip()):
            raise SetupError(
                gettext(
                    "Calling hours are times such as 09:00; %(value)s is not.", value=repr(value)
                )
            )
    if data.max_attempts is None or not 1 <= data.max_attempts <= MAX_ATTEMPTS_LIMIT:
        raise SetupError(
            gettext("Attempts per phone case must be between 1 and %(n)d.", n=MAX_ATTEMPTS_LIMIT)
        )
    if data.max_messages is None or not 0 <= data.max_messages <= data.max_attempts:
        raise SetupError(
            gettext(
                "Voicemail messages per person must be between 0 and the attempts (%(n)d).",
                n=data.max_attempts,
            )
        )
    if data.followup_days is None or not 1 <= data.followup_days <= MAX_FOLLOWUP_DAYS:
        raise SetupError(
            gettext("Follow-up days must be between 1 and %(n)d.", n=MAX_FOLLOWUP_DAYS)
        )

    return [unit for unit in units if unit is not None], channels


def check_questionnaires(
    row: GroupSettingsInput, instruments: Mapping[str, Any] | None = None
) -> None:
    """The group's questionnaire and those of its channels are questionnaires we have."""
    instruments = current_instruments() if instruments is None else instruments
    label = group_label(row.code)
    if row.instrument_id not in instruments:
        raise SetupError(gettext("Choose the questionnaire of %(group)s.", group=label))
    for channel, instrument_id in row.by_channel.items():
        if channel not in CHANNELS or instrument_id not in instruments:
            raise SetupError(
                gettext(
                    "The questionnaire of %(group)s by %(channel)s must be one of the "
                    "questionnaires, not %(value)s.",
                    group=label,
                    channel=channel_label(channel),
                    value=repr(instrument_id),
                )
            )


def _check_group_row(
    row: GroupSettingsInput, groups: Mapping[str, Group], instruments: Mapping[str, Any]
) -> None:
    """One included group's row: a known group, its questionnaire, population and target."""
    label = group_label(row.code)
    if row.code not in groups:
        raise SetupError(gettext("Unknown group %(code)s.", code=repr(row.code)))
    check_questionnaires(row, instruments)
    if row.population is not None and row.population <= 0:
        raise SetupError(
            gettext("The population of %(group)s must be a positive number.", group=label)
        )
    if row.population is not None and row.population > MAX_POPULATION:
        raise SetupError(
            gettext(
                "The population of %(group)s must be at most %(max)d.",
                group=label,
                max=MAX_POPULATION,
            )
        )
    if row.target is not None and row.target <= 0:
        raise SetupError(
            gettext("The target sample size of %(group)s must be positive.", group=label)
        )
    if row.target is not None and row.target > MAX_POPULATION:
        raise SetupError(
            gettext(
                "The target sample size of %(group)s must be at most %(max)d.",
                group=label,
                max=MAX_POPULATION,
            )
        )
    # A sample cannot hold more people than there are: such a target could never be
    # reached, and the fieldwork's progress against it would mislead.
    if row.target is not None and row.population is not None and row.target > row.population:
        raise SetupError(
            gettext(
                "The target sample size of %(group)s (%(target)d) is larger than its "
                "population N (%(population)d).",
                group=label,
                target=row.target,
                population=row.population,
            )
        )
