"""Set-up changes as plain functions: validate, record the audit event, commit, all at once.

The views only turn a form into arguments and a ``SetupError`` into a message.
Each function either commits the change together with its audit event, or
raises ``SetupError`` having changed nothing (the session is rolled back), so
a refused form never leaves half a change behind and every change has its
before and after in the trail.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import format_decimal, gettext
from sqlalchemy import func, select

from ..access import AccountError, create_user, issue_api_token, set_password
from ..audit import record_audit, record_change, snapshot
from ..channels.links import issue_tickets, ticket_url
from ..channels.print_sheets import SheetTicket
from ..extensions import db
from ..groups import group_label
from ..instruments.store import current_instruments
from ..invitations import ImportRejected, ImportResult, import_invitations
from ..models import (
    CHANNELS,
    GROUP_CODES,
    ROLES,
    ApiToken,
    AuditEvent,
    Campaign,
    CampaignGroup,
    Group,
    Invitation,
    Response,
    ServicePoint,
    Ticket,
    Unit,
    User,
    utcnow,
)

# Codes appear in addresses (/p/<point code>) and in CSV files: letters, digits, - _ .
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
HHMM_PATTERN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_NAME = 200
# A printed sheet is 12 tickets a page; more than this is a job for `flask survey tickets`.
MAX_SHEET_TICKETS = 600
MAX_ATTEMPTS_LIMIT = 30
# A group's population N and target sample size: far above any real group, and small
# enough for every database's INTEGER (a bigger number failed as a server error).
MAX_POPULATION = 10**9
# Policy weights are relative (shares of their sum), so this is far beyond any real need.
MAX_WEIGHT = 10**6
MAX_FOLLOWUP_DAYS = 60
# What the audit trail keeps of an API token (never its hash).
TOKEN_FIELDS = ("id", "name", "created_by_id", "created_at", "revoked_at")
USER_FIELDS = ("id", "username", "display_name", "role", "unit_id", "active")


class SetupError(ValueError):
    """A set-up change that was refused; the message (translated) says why. Nothing changed."""


def _refuse(message: str) -> SetupError:
    db.session.rollback()
    return SetupError(message)


def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _flush() -> None:
    """Flush before the audit event; a failure leaves the session clean, like ``_commit``."""
    try:
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise


def check_code(code: str, what: str) -> str:
    """A code as stored: trimmed, 1 to 40 letters, digits, '-', '_' or '.'."""
    code = (code or "").strip()
    if not CODE_PATTERN.match(code):
        raise SetupError(
            gettext(
                "The %(what)s code %(code)s is not valid: use 1 to 40 letters, digits, "
                "'-', '_' or '.', starting with a letter or digit.",
                what=what,
                code=repr(code),
            )
        )
    return code


def check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SetupError(gettext("The name is empty."))
    if len(name) > MAX_NAME:
        raise SetupError(gettext("The name is longer than %(n)d characters.", n=MAX_NAME))
    return name


# --- units and service points ------------------------------------------------------------------


def _unit_snapshot(unit: Unit) -> dict[str, Any]:
    return snapshot(unit, ("id", "code", "name", "kind"))


def save_unit(unit: Unit | None, *, code: str, name: str, kind: str | None = None) -> Unit:
    """Create (``unit`` None) or edit a unit; the code must be unused by another unit."""
    try:
        code = check_code(code, gettext("unit"))
        name = check_name(name)
    except SetupError as error:
        raise _refuse(str(error)) from None
    kind = " ".join((kind or "").split())[:80] or None
    other = db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if other is not None and other is not unit:
        raise _refuse(
            gettext(
                "The unit code %(code)s is already used by %(name)s.", code=code, name=other.name
            )
        )
    if unit is None:
        unit = Unit(code=code, name=name, kind=kind)
        db.session.add(unit)
        db.session.flush()
        record_audit("unit.create", "unit", unit.id, after=_unit_snapshot(unit))
    else:
        before = _unit_snapshot(unit)
        unit.code, unit.name, unit.kind = code, name, kind
        record_change("unit.update", "unit", unit.id, before, _unit_snapshot(unit))
    _commit()
    return unit


def _point_snapshot(point: ServicePoint) -> dict[str, Any]:
    return snapshot(point, ("id", "unit_id", "code", "name"))


def _point_in_use(point: ServicePoint) -> bool:
    """Answers or tickets already point at this code's address."""
    for model in (Response, Ticket):
        found = db.session.execute(
            select(model.id).where(model.service_point_id == point.id).limit(1)
        ).first()
        if found is not None:
            return True
    return False


def save_service_point(
    point: ServicePoint | None, *, unit: Unit | None, code: str, name: str
) -> ServicePoint:
    """Create or edit a service point; its code is its public address (/p/<code>).

    Once tickets were issued or answers came in through a point, its code is
    printed on posters and receipts: changing it would break them, so it is refused.
    Moving such a point to another unit is refused too: its printed codes would
    then collect answers for a unit the citizen was not served by, and its earlier
    answers would sit beside the new ones under one point of two units.
    """
    if unit is None:
        raise _refuse(gettext("Choose the unit the service point belongs to."))
    try:
        code = check_code(code, gettext("service point"))
        name = check_name(name)
    except SetupError as error:
        raise _refuse(str(error)) from None
    other = db.session.execute(
        select(ServicePoint).where(ServicePoint.code == code)
    ).scalar_one_or_none()
    if other is not None and other is not point:
        raise _refuse(
            gettext(
                "The service point code %(code)s is already used by %(name)s (%(unit)s).",
                code=code,
                name=other.name,
                unit=other.unit.name,
            )
        )
    if point is None:
        point = ServicePoint(unit=unit, code=code, name=name)
        db.session.add(point)
        db.session.flush()
        record_audit(
            "service_point.create", "service_point", point.id, after=_point_snapshot(point)
        )
    else:
        if code != point.code and _point_in_use(point):
            raise _refuse(
                gettext(
                    "The code of %(name)s cannot change: its QR codes are printed and in use. "
                    "Add a new service point instead.",
                    name=point.name,
                )
            )
        if unit.id != point.unit_id and _point_in_use(point):
            raise _refuse(
                gettext(
                    "%(name)s cannot move to another unit: its QR codes are printed and in use "
                    "for %(unit)s. Add a new service point instead.",
                    name=point.name,
                    unit=point.unit.name,
                )
            )
        before = _point_snapshot(point)
        point.unit, point.code, point.name = unit, code, name
        db.session.flush()
        record_change(
            "service_point.update", "service_point", point.id, before, _point_snapshot(point)
        )
    _commit()
    return point


def issue_ticket_sheet(
    campaign: Campaign | None, point: ServicePoint, count: int | None
) -> list[SheetTicket]:
    """Issue ``count`` receipt tickets for a point and return them for the printable sheet.

    The plain tokens exist only in the returned sheet: the page must be printed
    (or saved) now. The issue is audited with the campaign.
    """
    if campaign is None:
        raise _refuse(gettext("Choose the campaign the tickets are for."))
    if count is None or not 1 <= count <= MAX_SHEET_TICKETS:
        raise _refuse(
            gettext(
                "The number of tickets must be between 1 and %(max)d (more with the command "
                "flask survey tickets).",
                max=MAX_SHEET_TICKETS,
            )
        )
    if point.unit not in campaign.units:
        raise _refuse(
            gettext(
                "%(unit)s is not evaluated in campaign %(campaign)s.",
                unit=point.unit.name,
                campaign=campaign.code,
            )
        )
    if "ticket" not in campaign.channel_list():
        raise _refuse(
            gettext("Campaign %(campaign)s does not use receipt tickets.", campaign=campaign.code)
        )
    if campaign.closes() <= utcnow():
        raise _refuse(gettext("Campaign %(campaign)s is closed.", campaign=campaign.code))
    issued = issue_tickets(campaign, point, count)
    record_ticket_issue(campaign, point, [ticket for ticket, _token in issued])
    _commit()
    return [SheetTicket(number, ticket_url(token)) for number, (_t, token) in enumerate(issued, 1)]


def record_ticket_issue(campaign: Campaign, point: ServicePoint, tickets: Sequence[Ticket]) -> None:
    """The audit event of tickets issued, from the web or `flask survey tickets`; not committed.

    One place for its fields, so the trail reads the same whichever way tickets were made.
    """
    db.session.flush()
    record_audit(
        "tickets.issue",
        "service_point",
        point.id,
        after={
            "point": point.code,
            "count": len(tickets),
            "first_ticket_id": min(ticket.id for ticket in tickets),
        },
        campaign_id=campaign.id,
    )


def campaigns_newest_first() -> list[Campaign]:
    return list(
        db.session.execute(
            select(Campaign).order_by(Campaign.period_start.desc(), Campaign.id.desc())
        ).scalars()
    )


# --- groups ------------------------------------------------------------------------------------


def groups_in_order() -> list[Group]:
    return list(db.session.execute(select(Group).order_by(Group.position, Group.code)).scalars())


def missing_group_codes() -> list[str]:
    present = set(db.session.execute(select(Group.code)).scalars())
    return [code for code in GROUP_CODES if code not in present]


def add_group(code: str) -> Group:
    """Add one of the respondent groups of GROUP_CODES, at the end of the order."""
    if code not in GROUP_CODES:
        raise _refuse(gettext("Unknown group %(code)s.", code=repr(code)))
    if code not in missing_group_codes():
        raise _refuse(gettext("The group %(group)s exists already.", group=group_label(code)))
    last = db.session.execute(select(func.max(Group.position))).scalar()
    group = Group(code=code, position=(last + 1) if last is not None else 0)
    db.session.add(group)
    db.session.flush()
    record_audit("group.create", "group", group.id, after=snapshot(group))
    _commit()
    return group


def move_group(group: Group, direction: str) -> None:
    """Move a group one place up or down; positions are renumbered 0, 1, 2 ... ."""
    if direction not in ("up", "down"):
        raise _refuse(gettext("Move a group up or down."))
    order = groups_in_order()
    before = [g.code for g in order]
    index = order.index(group)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        raise _refuse(gettext("The group is already at that end of the list."))
    order[index], order[other] = order[other], order[index]
    for position, item in enumerate(order):
        item.position = position
    record_audit(
        "group.reorder",
        "group",
        group.id,
        before={"order": before},
        after={"order": [g.code for g in order]},
    )
    _commit()


# --- campaigns ---------------------------------------------------------------------------------


@dataclass
class GroupSettingsInput:
    """One group's row of the campaign form, as typed (numbers already parsed)."""

    code: str
    included: bool = False
    instrument_id: str = ""
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
    followup_days: int | None = 5
    groups: list[GroupSettingsInput] = field(default_factory=list)


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


def fieldwork_started(campaign: Campaign, now: dt.datetime | None = None) -> bool:
    """The campaign has opened or has an answer: settings changes now alter live results."""
    now = now or utcnow()
    if campaign.id is None:
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
            "followup_days",
        ),
    )
    data["point_group"] = campaign.point_group.code if campaign.point_group else None
    data["units"] = sorted(unit.code for unit in campaign.units)
    data["groups"] = {
        settings.group.code: {
            "instrument_id": settings.instrument_id,
            "weight": settings.weight,
            "population": settings.population,
            "target": settings.target,
        }
        for settings in sorted(campaign.groups, key=lambda s: s.group.code)
    }
    return data


def _weights_and_populations(settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        code: {"weight": values["weight"], "population": values["population"]}
        for code, values in settings.get("groups", {}).items()
    }


def _check_campaign_input(data: CampaignInput, campaign: Campaign | None) -> dict[str, Any]:
    """Every rule of the campaign form; returns the cleaned values or raises SetupError."""
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
    units = [db.session.get(Unit, unit_id) for unit_id in dict.fromkeys(data.unit_ids)]
    if not units or any(unit is None for unit in units):
        raise SetupError(gettext("Choose at least one unit to evaluate."))
    channels = [c for c in CHANNELS if c in set(data.channels)]
    unknown_channels = sorted(set(data.channels) - set(CHANNELS))
    if unknown_channels or not channels:
        raise SetupError(gettext("Choose at least one channel."))
    for value in (data.call_from, data.call_until):
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
    if data.followup_days is None or not 1 <= data.followup_days <= MAX_FOLLOWUP_DAYS:
        raise SetupError(
            gettext("Follow-up days must be between 1 and %(n)d.", n=MAX_FOLLOWUP_DAYS)
        )

    included = [g for g in data.groups if g.included]
    if not included:
        raise SetupError(gettext("Choose at least one respondent group."))
    groups = {g.code: g for g in groups_in_order()}
    instruments = current_instruments()
    for row in included:
        label = group_label(row.code)
        if row.code not in groups:
            raise SetupError(gettext("Unknown group %(code)s.", code=repr(row.code)))
        if row.instrument_id not in instruments:
            raise SetupError(gettext("Choose the questionnaire of %(group)s.", group=label))
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
    weight_shares({row.code: row.weight for row in included})
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
    }


def _removal_problems(campaign: Campaign, clean: dict[str, Any]) -> str | None:
    """Units or groups with answers or invitations cannot leave the campaign."""
    keep_groups = {row.code for row in clean["included"]}
    keep_units = {unit.id for unit in clean["units"]}
    for settings in campaign.groups:
        if settings.group.code in keep_groups:
            continue
        for model in (Response, Invitation):
            if db.session.execute(
                select(model.id)
                .where(model.campaign_id == campaign.id, model.group_id == settings.group_id)
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
                .where(model.campaign_id == campaign.id, model.unit_id == unit.id)
                .limit(1)
            ).first():
                return gettext(
                    "%(unit)s cannot leave the campaign: it has invitations or answers.",
                    unit=unit.name,
                )
    return None


@dataclass(frozen=True)
class CampaignSaved:
    campaign: Campaign
    # True when weights or populations changed after fieldwork had started.
    weights_changed_after_start: bool


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
        campaign = Campaign()
        db.session.add(campaign)
    campaign.code, campaign.name = clean["code"], clean["name"]
    campaign.period_start, campaign.period_end = data.period_start, data.period_end
    campaign.opens_at, campaign.closes_at = clean["opens_at"], clean["closes_at"]
    campaign.timezone = clean["timezone"]
    campaign.units = clean["units"]
    campaign.channels = clean["channels"]
    campaign.cap_at_target = bool(data.cap_at_target)
    campaign.point_group = clean["point_group"]
    campaign.call_from, campaign.call_until = data.call_from.strip(), data.call_until.strip()
    campaign.max_attempts, campaign.followup_days = data.max_attempts, data.followup_days  # type: ignore[assignment]
    existing = {settings.group.code: settings for settings in campaign.groups}
    wanted = {row.code: row for row in clean["included"]}
    for code, settings in existing.items():
        if code not in wanted:
            campaign.groups.remove(settings)
    for code, row in wanted.items():
        settings = existing.get(code)
        if settings is None:
            settings = CampaignGroup(group=clean["groups"][code])
            campaign.groups.append(settings)
        settings.instrument_id = row.instrument_id
        settings.weight, settings.population, settings.target = (
            row.weight,
            row.population,
            row.target,
        )
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
    _commit()
    return CampaignSaved(campaign, weights_after_start)


# --- contacts ----------------------------------------------------------------------------------


def import_contacts(
    data: bytes,
    *,
    campaign: Campaign | None,
    group: Group | None,
    unit: Unit | None = None,
    channel: str = "link",
) -> ImportResult:
    """The CLI's `flask survey invite`, from an upload: all rows or none, then one audit event.

    Raises ImportRejected (nothing stored) with every problem and its line.
    """
    try:
        result = import_invitations(
            data,
            campaign_code=campaign.code if campaign else "",
            group_code=group.code if group else "",
            unit_code=unit.code if unit else None,
            channel=channel,
        )
    except ImportRejected:
        db.session.rollback()
        raise
    record_contact_import(result, unit_code=unit.code if unit else None, channel=channel)
    _commit()
    return result


def record_contact_import(result: ImportResult, *, unit_code: str | None, channel: str) -> None:
    """The audit event of a contact import, from the web or `flask survey invite`; not committed.

    One place for its fields, so the trail reads the same whichever way contacts came in.
    """
    record_audit(
        "contacts.import",
        "campaign",
        result.campaign.id,
        after={
            "group": result.group.code,
            "unit": unit_code,
            "channel": channel,
            "invitations": len(result.links),
            "encoding": result.encoding,
        },
        campaign_id=result.campaign.id,
    )


# --- users and API tokens ----------------------------------------------------------------------


def _user_snapshot(user: User) -> dict[str, Any]:
    return snapshot(user, USER_FIELDS)


def add_user(
    *, username: str, password: str, role: str, display_name: str = "", unit: Unit | None = None
) -> User:
    """A new staff account (AccountError's message on a refusal); a handler needs a unit."""
    if role not in ROLES:
        raise _refuse(gettext("Unknown role %(role)s.", role=repr(role)))
    try:
        user = create_user(
            username,
            password,
            role,
            display_name=" ".join((display_name or "").split())[:200],
            unit_id=unit.id if unit is not None and role == "handler" else None,
        )
    except AccountError as error:
        raise _refuse(str(error)) from None
    record_audit("user.create", "user", user.id, after=_user_snapshot(user))
    _commit()
    return user


def _active_admins() -> int:
    return int(
        db.session.execute(
            select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
        ).scalar_one()
    )


def set_user_active(user: User, active: bool, *, by: User) -> None:
    """Deactivate or reactivate an account; nobody locks out themselves or the last admin."""
    if user.active == active:
        return
    if not active and user.id == by.id:
        raise _refuse(gettext("You cannot deactivate your own account."))
    if not active and user.role == "admin" and _active_admins() <= 1:
        raise _refuse(gettext("The last active administrator cannot be deactivated."))
    before = _user_snapshot(user)
    user.active = active
    record_audit(
        "user.reactivate" if active else "user.deactivate",
        "user",
        user.id,
        before={"active": before["active"]},
        after={"active": active},
    )
    _commit()


def update_user(user: User, *, display_name: str, role: str, unit: Unit | None, by: User) -> bool:
    """Change an account's name, role or unit, audited; False when nothing changed.

    A role change ends the account's sessions: whoever is signed in with it
    signs in again under the new role (pages opened before, and forms on them,
    belonged to the old one). Nobody takes the administrator role from
    themselves or from the last active administrator, so the workspace always
    keeps someone who can manage it.
    """
    if role not in ROLES:
        raise _refuse(gettext("Unknown role %(role)s.", role=repr(role)))
    if role == "handler" and unit is None:
        raise _refuse(gettext("A handler needs the unit whose bad reviews they follow up."))
    if user.role == "admin" and role != "admin":
        if user.id == by.id:
            raise _refuse(gettext("You cannot take the administrator role from your own account."))
        if user.active and _active_admins() <= 1:
            raise _refuse(gettext("The last active administrator must stay an administrator."))
    before = _user_snapshot(user)
    if role != user.role:
        user.end_sessions()
    user.display_name = " ".join((display_name or "").split())[:200]
    user.role = role
    user.unit_id = unit.id if unit is not None and role == "handler" else None
    after = _user_snapshot(user)
    if after == before:
        return False
    record_audit("user.update", "user", user.id, before=before, after=after)
    _commit()
    return True


def reset_password(user: User, password: str) -> None:
    """A new password for an account; the trail says it changed, never what it is.

    The account's sessions end (set_password), so whoever knew the old password
    is signed out everywhere.
    """
    try:
        set_password(user, password)
    except AccountError as error:
        raise _refuse(str(error)) from None
    record_audit("user.password_reset", "user", user.id, after={"password": "changed"})
    _commit()


def create_api_token(name: str, *, by: User | None) -> tuple[ApiToken, str]:
    """A token for the indicator API; the plain token is returned once, never stored.

    ``by`` is None from the command line, where the audit trail names the shell user.
    """
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise _refuse(gettext("The token's name must have 1 to 200 characters."))
    row, token = issue_api_token(name, created_by=by)
    record_audit("api_token.create", "api_token", row.id, after=snapshot(row, TOKEN_FIELDS))
    _commit()
    return row, token


def revoke_api_token(row: ApiToken) -> None:
    if row.revoked_at is not None:
        raise _refuse(gettext("This token was already revoked."))
    before = snapshot(row, TOKEN_FIELDS)
    row.revoked_at = utcnow()
    record_audit(
        "api_token.revoke", "api_token", row.id, before=before, after=snapshot(row, TOKEN_FIELDS)
    )
    _commit()


# --- audit trail -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    key: str
    before: str
    after: str
    changed: bool


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix or "value": data}


def _show(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value) or "–"
    return str(value)


def audit_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[DiffLine]:
    """Before and after side by side, nested settings flattened to dotted keys."""
    old, new = _flatten(before or {}), _flatten(after or {})
    keys: Iterable[str] = sorted(set(old) | set(new))
    return [
        DiffLine(
            key,
            _show(old.get(key)) if key in old else "",
            _show(new.get(key)) if key in new else "",
            old.get(key) != new.get(key),
        )
        for key in keys
    ]


def audit_actions() -> Sequence[str]:
    return list(
        db.session.execute(
            select(AuditEvent.action).distinct().order_by(AuditEvent.action)
        ).scalars()
    )
