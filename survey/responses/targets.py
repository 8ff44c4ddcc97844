"""The respondent's path: from a code or token to a stored, scored response.

Views stay thin; everything that decides something lives here as plain
functions, so that the rules (which campaign a code opens, when a card is
refused, how a retry is recognised) can be read and tested in one place.

Status codes of the pages that are not a questionnaire:

- 404 unknown code or token (and a malformed token, without a database query);
- 410 expired token, withdrawn invitation, campaign not open (yet or any more; a draft
  campaign outside test mode is "not open yet" to the respondent);
- 409 ticket or invitation already answered ("thank you, already answered");
- 200 group full (the cap at target: the respondent is thanked, not refused);
- 400 a form that was tampered with (unknown fields, a form of another card).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import exists, func, inspect, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..instruments import Instrument, Page
from ..instruments.store import StoredVersion, instrument_of, serving_version
from ..models import (
    CallbackRequest,
    Campaign,
    CampaignGroup,
    Group,
    InstrumentVersion,
    Invitation,
    Response,
    ServicePoint,
    Ticket,
    Unit,
    campaign_state,
    campaign_unit,
    utcnow,
)
from ..tokens import hash_token, looks_like_token
from .answers import AnswerValue, value_of_answer, visible_ids
from .point_cache import kept_point, load_point

# Why a questionnaire cannot be shown, and the HTTP status that says so.
STATUS = {
    "unknown": 404,
    "expired": 410,
    "withdrawn": 410,
    "not_open": 410,
    "closed": 410,
    "answered": 409,
    "full": 200,
    "unavailable": 503,
}


class Unavailable(Exception):
    """No questionnaire here: ``kind`` is a key of STATUS, ``campaign`` when one is known."""

    def __init__(self, kind: str, campaign: Campaign | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = STATUS[kind]
        self.campaign = campaign


class Tampered(Exception):
    """A POST no page of ours could have sent; refused whole, nothing stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Target:
    """Everything one card needs: who answers what, for whom, through which channel."""

    campaign: Campaign
    unit: Unit
    group: Group
    settings: CampaignGroup
    channel: str
    instrument: Instrument
    version: InstrumentVersion | StoredVersion
    point: ServicePoint | None = None
    ticket: Ticket | None = None
    invitation: Invitation | None = None
    draft: Response | None = None
    answers: dict[str, AnswerValue] = field(default_factory=dict)
    # The instrument version was stored by this request: the face commits it at once.
    new_version: bool = False

    @property
    def test(self) -> bool:
        """A test answer: its campaign is a draft, reached in test mode (nothing else opens one)."""
        return self.campaign.draft

    @property
    def scope(self) -> str:
        """What a submission key is bound to: a form of one card never counts for another."""
        if self.invitation is not None:
            return f"i:{self.campaign.id}:{self.invitation.id}"
        if self.ticket is not None:
            return f"t:{self.campaign.id}:{self.ticket.id}"
        point_id = self.point.id if self.point is not None else 0
        return f"{self.channel}:{self.campaign.id}:{point_id}"

    def pages(self) -> list[Page]:
        """The pages with at least one question shown, given the answers so far."""
        shown = visible_ids(self.instrument, self.answers)
        return [p for p in self.instrument.pages if any(q.id in shown for q in p.questions)]


def refuse_unless_open(campaign: Campaign, testing: Collection[int]) -> None:
    """Raise why the campaign takes no answers now; a draft is "not open yet" to respondents."""
    state = campaign_state(campaign, testing=campaign.id in testing)
    if state is not None:
        raise Unavailable("not_open" if state == "draft" else state, campaign)


def serving_order(campaigns: Collection[Campaign]) -> list[Campaign]:
    """Campaigns in the order a service point's code prefers them: the one that wins first.

    The rule: the campaign whose answering began last (its opening time, else
    the first day of its period) wins; of two that began together, the one
    made last. A point serving two open campaigns serves only the winner, and
    the set-up pages warn of it (survey.setup.opening.point_overlaps).
    """
    return sorted(campaigns, key=lambda c: (c.opens(), c.id), reverse=True)


def _instrument_for(
    campaign: Campaign, settings: CampaignGroup, channel: str
) -> tuple[Instrument, StoredVersion, bool]:
    """The group's instrument for this channel on disk now, its version row, whether stored now.

    serving_version() stores (flushes) a version seen for the first time; the
    face then commits right after resolving the target, so a page view never
    holds a write transaction open (SQLite allows one writer) nor loses the row.
    Otherwise it does not commit: a commit would expire every row just loaded,
    and rendering the card would select them all again.
    """
    instrument_id = settings.instrument_for(channel)
    try:
        return serving_version(instrument_id)
    except LookupError:
        current_app.logger.error(
            "campaign %s group %s channel %s: instrument %r not found",
            campaign.code,
            settings.group_id,
            channel,
            instrument_id,
        )
        raise Unavailable("unavailable", campaign) from None


def _with_settings(*path: Any) -> tuple[Any, ...]:
    """Load a campaign's groups, each group and its questionnaires per channel in one query.

    ``path`` leads from the queried entity to its campaign (none: Campaign is queried).
    """
    start = joinedload(*path) if path else None
    groups = start.joinedload(Campaign.groups) if start is not None else joinedload(Campaign.groups)
    return (groups.joinedload(CampaignGroup.group), groups.joinedload(CampaignGroup.by_channel))


def _surveys_unit(campaign: Campaign, unit_id: int) -> bool:
    """Whether the campaign still surveys the unit, without loading all its units (1,000 at a
    province's scale) when they are not loaded already."""
    if "units" not in inspect(campaign).unloaded:
        return any(unit.id == unit_id for unit in campaign.units)
    return db.session.execute(
        select(
            exists().where(
                campaign_unit.c.campaign_id == campaign.id, campaign_unit.c.unit_id == unit_id
            )
        )
    ).scalar_one()


def _settings(campaign: Campaign, group_id: int | None) -> CampaignGroup:
    settings = campaign.group_settings(group_id) if group_id is not None else None
    if settings is None:
        # A campaign that does not survey this group: nothing to answer here.
        raise Unavailable("unknown", campaign)
    return settings


def resolve_point(code: str, channel: str, *, testing: Collection[int] = ()) -> Target:
    """The card a service point's reusable code opens now (channel "qr" or "kiosk").

    Of the campaigns that include the point's unit, survey a point group and use
    this channel, the open one that began last wins (``serving_order``); a
    draft campaign the browser tests (``testing``: campaign ids, see
    survey.channels.test_mode) comes before them all. When none is open, the
    page says whether the survey is over or not begun (a draft: not begun).
    """
    if len(code) > 40:
        raise Unavailable("unknown")
    # Kept per worker (survey.responses.point_cache): no statement unless an administrator
    # changed the settings since this worker last read them.
    kept = kept_point(code, load_point(code))
    if kept is None:
        raise Unavailable("unknown")
    campaigns = list(kept.campaigns)
    campaigns = serving_order([c for c in campaigns if channel in c.channel_list()])
    if not campaigns:
        raise Unavailable("closed")
    now = utcnow()
    tested = [c for c in campaigns if c.draft and c.id in testing]
    open_ones = tested or [c for c in campaigns if campaign_state(c, now) is None]
    if not open_ones:
        states = {campaign_state(c, now) for c in campaigns}
        raise Unavailable("closed" if "closed" in states else "not_open", campaigns[0])
    # The kept rows are read as they are (detached, loaded): a card's page and a stored
    # card need no more; only a bad review's case puts them in the session (submit_card).
    campaign = open_ones[0]
    settings = _settings(campaign, campaign.point_group_id)
    instrument, version, new_version = _instrument_for(campaign, settings, channel)
    return Target(
        campaign=campaign,
        unit=kept.point.unit,
        group=settings.group,
        settings=settings,
        channel=channel,
        instrument=instrument,
        version=version,
        point=kept.point,
        new_version=new_version,
    )


def resolve_ticket(token: str, *, testing: Collection[int] = ()) -> Target:
    """The card behind a receipt's one-time token; refused once it has been answered."""
    if not looks_like_token(token):
        raise Unavailable("unknown")
    # One statement: the ticket, its campaign with its settings, its point and unit, and
    # whether it was answered and its unit is still surveyed.
    answered = select(Response.id).where(Response.ticket_id == Ticket.id).exists()
    point_unit = (
        select(ServicePoint.unit_id)
        .where(ServicePoint.id == Ticket.service_point_id)
        .correlate(Ticket)
        .scalar_subquery()
    )
    surveyed = exists().where(
        campaign_unit.c.campaign_id == Ticket.campaign_id, campaign_unit.c.unit_id == point_unit
    )
    row = db.session.execute(
        select(Ticket, answered, surveyed)
        .options(
            *_with_settings(Ticket.campaign),
            joinedload(Ticket.service_point).joinedload(ServicePoint.unit),
        )
        .where(Ticket.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise Unavailable("unknown")
    ticket, has_response, in_campaign = row
    campaign = ticket.campaign
    if ticket.used_at is not None or has_response:
        raise Unavailable("answered", campaign)
    if ticket.expires_at is not None and utcnow() >= ticket.expires_at:
        raise Unavailable("expired", campaign)
    refuse_unless_open(campaign, testing)
    point = ticket.service_point
    if not in_campaign:
        raise Unavailable("unknown", campaign)
    settings = _settings(campaign, campaign.point_group_id)
    instrument, version, new_version = _instrument_for(campaign, settings, "ticket")
    return Target(
        campaign=campaign,
        unit=point.unit,
        group=settings.group,
        settings=settings,
        channel="ticket",
        instrument=instrument,
        version=version,
        point=point,
        ticket=ticket,
        new_version=new_version,
    )


def invitation_by_token(token: str) -> Invitation:
    """The invitation a personal link's token belongs to; Unavailable("unknown") if none."""
    if not looks_like_token(token):
        raise Unavailable("unknown")
    # With what its questionnaire needs (campaign settings, unit, group, the link's other
    # units), so that resolving it costs this statement and the draft's.
    invitation = (
        db.session.execute(
            select(Invitation)
            .options(
                *_with_settings(Invitation.campaign),
                joinedload(Invitation.unit),
                joinedload(Invitation.group),
                joinedload(Invitation.others),
            )
            .where(Invitation.token_hash == hash_token(token))
        )
        .unique()
        .scalar_one_or_none()
    )
    if invitation is None:
        raise Unavailable("unknown")
    return invitation


def resolve_invitation(token: str, *, testing: Collection[int] = ()) -> Target:
    """One person's questionnaire, with the answers saved so far when they come back."""
    return target_of_invitation(invitation_by_token(token), testing=testing)


def target_of_invitation(invitation: Invitation, *, testing: Collection[int] = ()) -> Target:
    """The questionnaire of an invitation already found (by its token, or by the phone console).

    The same checks as for a personal link: answered, withdrawn, expired,
    campaign not open (a draft only in test mode), unit or group no longer surveyed.
    """
    campaign = invitation.campaign
    draft = _response_of(invitation_id=invitation.id)
    if invitation.status == "completed" or (draft is not None and draft.submitted_at is not None):
        raise Unavailable("answered", campaign)
    if invitation.status == "withdrawn":
        raise Unavailable("withdrawn", campaign)
    if invitation.status == "expired" or (
        invitation.expires_at is not None and utcnow() >= invitation.expires_at
    ):
        raise Unavailable("expired", campaign)
    refuse_unless_open(campaign, testing)
    if not _surveys_unit(campaign, invitation.unit_id):
        raise Unavailable("unknown", campaign)
    settings = _settings(campaign, invitation.group_id)
    version: InstrumentVersion | StoredVersion
    new_version = False
    if draft is not None:
        # Someone who began keeps the questionnaire they began, even if the file changed since.
        stored = draft.instrument_version
        version, instrument = stored, instrument_of(stored)
    else:
        instrument, version, new_version = _instrument_for(campaign, settings, invitation.channel)
    target = Target(
        campaign=campaign,
        unit=invitation.unit,
        group=invitation.group,
        settings=settings,
        channel=invitation.channel,
        instrument=instrument,
        version=version,
        invitation=invitation,
        draft=draft,
        new_version=new_version,
    )
    if draft is not None:
        target.answers = stored_answers(draft, instrument)
    return target


def _response_of(
    *, ticket_id: int | None = None, invitation_id: int | None = None, lock: bool = False
) -> Response | None:
    query = select(Response)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    if ticket_id is not None:
        query = query.where(Response.ticket_id == ticket_id)
    else:
        query = query.where(Response.invitation_id == invitation_id)
    return db.session.execute(query).scalar_one_or_none()


def stored_answers(response: Response, instrument: Instrument) -> dict[str, AnswerValue]:
    """A response's answers as parsed values (plus a call-back number left on a page)."""
    answers: dict[str, AnswerValue] = {}
    for answer in response.answers:
        try:
            question = instrument.question(answer.question_id)
        except (KeyError, LookupError):
            continue
        answers[answer.question_id] = value_of_answer(question, answer.value, answer.number)
    phone_question = next((q for q in instrument.questions if q.type == "phone"), None)
    if phone_question is not None and response.id is not None:
        callback = db.session.execute(
            select(CallbackRequest).where(CallbackRequest.response_id == response.id)
        ).scalar_one_or_none()
        if callback is not None:
            answers[phone_question.id] = callback.phone
    return answers


def is_full(target: Target) -> bool:
    """The campaign caps at target and this group already has that many submitted responses."""
    if not target.campaign.cap_at_target or not target.settings.target:
        return False
    count = db.session.execute(
        select(func.count(Response.id)).where(
            Response.campaign_id == target.campaign.id,
            Response.group_id == target.settings.group_id,
            Response.submitted_at.is_not(None),
            Response.test.is_(False),
        )
    ).scalar_one()
    return count >= target.settings.target
