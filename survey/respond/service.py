"""The respondent's path: from a code or token to a stored, scored response.

Views stay thin; everything that decides something lives here as plain
functions, so that the rules (which campaign a code opens, when a card is
refused, how a retry is recognised) can be read and tested in one place.

Status codes of the pages that are not a questionnaire:

- 404 unknown code or token (and a malformed token, without a database query);
- 410 expired token, withdrawn invitation, campaign not open (yet or any more);
- 409 ticket or invitation already answered ("thank you, already answered");
- 200 group full (the cap at target: the respondent is thanked, not refused);
- 400 a form that was tampered with (unknown fields, a form of another card).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..followup import open_case_if_bad
from ..instrument_store import current_version, instrument_of
from ..instruments import Instrument, Page
from ..models import (
    Answer,
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
from ..scoring import store_scores
from ..tokens import hash_token, looks_like_token
from .forms import AnswerValue, answer_columns, value_of_answer, visible_ids

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
    version: InstrumentVersion
    point: ServicePoint | None = None
    ticket: Ticket | None = None
    invitation: Invitation | None = None
    draft: Response | None = None
    answers: dict[str, AnswerValue] = field(default_factory=dict)

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


# --- time and campaigns ------------------------------------------------------------------------


def _instrument_for(
    campaign: Campaign, settings: CampaignGroup
) -> tuple[Instrument, InstrumentVersion]:
    """The instrument on disk now, with its version row stored for good.

    current_version() stores a version seen for the first time; that is
    committed at once, so a page view never holds a write transaction open
    (SQLite allows one writer) nor loses the row when the view ends.
    """
    try:
        found = current_version(settings.instrument_id)
        db.session.commit()
        return found
    except LookupError:
        current_app.logger.error(
            "campaign %s group %s: instrument %r not found",
            campaign.code,
            settings.group_id,
            settings.instrument_id,
        )
        raise Unavailable("unavailable", campaign) from None


def _settings(campaign: Campaign, group_id: int | None) -> CampaignGroup:
    settings = campaign.group_settings(group_id) if group_id is not None else None
    if settings is None:
        # A campaign that does not survey this group: nothing to answer here.
        raise Unavailable("unknown", campaign)
    return settings


# --- resolving a code or token -----------------------------------------------------------------


def resolve_point(code: str, channel: str) -> Target:
    """The card a service point's reusable code opens now (channel "qr" or "kiosk").

    Of the campaigns that include the point's unit, survey a point group and use
    this channel, the open one that opened last wins; when none is open, the
    page says whether the survey is over or not begun.
    """
    if len(code) > 40:
        raise Unavailable("unknown")
    point = db.session.execute(
        select(ServicePoint).where(ServicePoint.code == code)
    ).scalar_one_or_none()
    if point is None:
        raise Unavailable("unknown")
    campaigns = (
        db.session.execute(
            select(Campaign)
            .join(campaign_unit, campaign_unit.c.campaign_id == Campaign.id)
            .where(campaign_unit.c.unit_id == point.unit_id, Campaign.point_group_id.is_not(None))
            .order_by(Campaign.opens_at.desc(), Campaign.period_start.desc(), Campaign.id.desc())
        )
        .scalars()
        .all()
    )
    campaigns = [c for c in campaigns if channel in c.channel_list()]
    if not campaigns:
        raise Unavailable("closed")
    now = utcnow()
    open_ones = [c for c in campaigns if campaign_state(c, now) is None]
    if not open_ones:
        states = {campaign_state(c, now) for c in campaigns}
        raise Unavailable("not_open" if states == {"not_open"} else "closed", campaigns[0])
    campaign = open_ones[0]
    settings = _settings(campaign, campaign.point_group_id)
    instrument, version = _instrument_for(campaign, settings)
    return Target(
        campaign=campaign,
        unit=point.unit,
        group=settings.group,
        settings=settings,
        channel=channel,
        instrument=instrument,
        version=version,
        point=point,
    )


def resolve_ticket(token: str) -> Target:
    """The card behind a receipt's one-time token; refused once it has been answered."""
    if not looks_like_token(token):
        raise Unavailable("unknown")
    ticket = db.session.execute(
        select(Ticket).where(Ticket.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if ticket is None:
        raise Unavailable("unknown")
    campaign = ticket.campaign
    if ticket.used_at is not None or _response_of(ticket_id=ticket.id) is not None:
        raise Unavailable("answered", campaign)
    if ticket.expires_at is not None and utcnow() >= ticket.expires_at:
        raise Unavailable("expired", campaign)
    state = campaign_state(campaign)
    if state is not None:
        raise Unavailable(state, campaign)
    point = ticket.service_point
    if point.unit not in campaign.units:
        raise Unavailable("unknown", campaign)
    settings = _settings(campaign, campaign.point_group_id)
    instrument, version = _instrument_for(campaign, settings)
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
    )


def resolve_invitation(token: str) -> Target:
    """One person's questionnaire, with the answers saved so far when they come back."""
    if not looks_like_token(token):
        raise Unavailable("unknown")
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if invitation is None:
        raise Unavailable("unknown")
    return target_of_invitation(invitation)


def target_of_invitation(invitation: Invitation) -> Target:
    """The questionnaire of an invitation already found (by its token, or by the phone console).

    The same checks as for a personal link: answered, withdrawn, expired,
    campaign not open, unit or group no longer surveyed.
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
    state = campaign_state(campaign)
    if state is not None:
        raise Unavailable(state, campaign)
    if invitation.unit not in campaign.units:
        raise Unavailable("unknown", campaign)
    settings = _settings(campaign, invitation.group_id)
    if draft is not None:
        # Someone who began keeps the questionnaire they began, even if the file changed since.
        version = draft.instrument_version
        instrument = instrument_of(version)
    else:
        instrument, version = _instrument_for(campaign, settings)
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


# --- caps, keys, bursts ------------------------------------------------------------------------


def is_full(target: Target) -> bool:
    """The campaign caps at target and this group already has that many submitted responses."""
    if not target.campaign.cap_at_target or not target.settings.target:
        return False
    count = db.session.execute(
        select(func.count(Response.id)).where(
            Response.campaign_id == target.campaign.id,
            Response.group_id == target.settings.group_id,
            Response.submitted_at.is_not(None),
        )
    ).scalar_one()
    return count >= target.settings.target


def _signer(target: Target) -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="submission-key:" + target.scope)


def new_submission_key(target: Target) -> str:
    """A random key for a card being shown, signed with the time and the card it belongs to.

    Response.submission_key is unique, so a retried POST finds the row the
    first one stored; the signature lets the server trust the start time and
    recognise a form posted to another card's address.
    """
    return _signer(target).sign(secrets.token_urlsafe(16)).decode("ascii")


def check_submission_key(target: Target, key: str) -> dt.datetime:
    """When the card was shown (UTC, naive); raises Tampered for a key not made for this card."""
    if not key or len(key) > 64:
        raise Tampered("key")
    try:
        _value, signed_at = _signer(target).unsign(key, return_timestamp=True)
    except BadSignature:
        raise Tampered("key") from None
    started = signed_at.astimezone(dt.UTC).replace(tzinfo=None)
    return min(started, utcnow())


def response_by_key(key: str) -> Response | None:
    return db.session.execute(
        select(Response).where(Response.submission_key == key)
    ).scalar_one_or_none()


def client_hash(remote_addr: str | None) -> str:
    """A keyed hash of the client address: enough to see a burst, useless to find the person."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, (remote_addr or "").encode("utf-8"), hashlib.sha256).hexdigest()


def is_burst(point: ServicePoint, chash: str, now: dt.datetime) -> bool:
    """This client already sent SURVEY_BURST_COUNT cards for this point within the window."""
    window = dt.timedelta(seconds=int(current_app.config["SURVEY_BURST_WINDOW_SECONDS"]))
    count = db.session.execute(
        select(func.count(Response.id)).where(
            Response.service_point_id == point.id,
            Response.client_hash == chash,
            Response.submitted_at >= now - window,
        )
    ).scalar_one()
    return count >= int(current_app.config["SURVEY_BURST_COUNT"])


# --- storing -----------------------------------------------------------------------------------


def _set_answers(
    response: Response,
    instrument: Instrument,
    answers: Mapping[str, AnswerValue],
    question_ids: set[str],
) -> None:
    """Upsert the answers of ``question_ids``; those left empty or hidden are removed.

    A phone number never becomes an Answer: it goes to CallbackRequest, the
    contact side that evaluators never read.
    """
    existing = {answer.question_id: answer for answer in response.answers}
    for qid in sorted(question_ids):
        question = instrument.question(qid)
        value = answers.get(qid)
        if question.type == "phone":
            _set_callback(response, value if isinstance(value, str) else None)
            continue
        row = existing.get(qid)
        if value is None:
            if row is not None:
                response.answers.remove(row)
            continue
        columns = answer_columns(question, value)
        if row is None:
            response.answers.append(Answer(question_id=qid, **columns))
        else:
            row.value, row.number, row.score = columns["value"], columns["number"], columns["score"]


def _set_callback(response: Response, phone: str | None) -> None:
    callback = None
    if response.id is not None:
        callback = db.session.execute(
            select(CallbackRequest).where(CallbackRequest.response_id == response.id)
        ).scalar_one_or_none()
    if phone is None:
        if callback is not None:
            db.session.delete(callback)
        return
    if callback is None:
        if response.id is None:
            db.session.flush()
        db.session.add(CallbackRequest(response_id=response.id, phone=phone))
    else:
        callback.phone = phone


def submit_card(
    target: Target,
    answers: Mapping[str, AnswerValue],
    *,
    key: str,
    started_at: dt.datetime,
    language: str,
    remote_addr: str | None = None,
) -> tuple[Response, bool]:
    """Store a one-page card (QR, kiosk, ticket) in one transaction; returns (response, new).

    A POST repeated with the same key, or a ticket answered at the same moment
    from two devices, lands on the unique constraints; the loser's transaction
    is rolled back and it gets the row that won (``new`` False).
    """
    now = utcnow()
    response = Response(
        campaign_id=target.campaign.id,
        unit_id=target.unit.id,
        service_point_id=target.point.id if target.point is not None else None,
        group_id=target.group.id,
        channel=target.channel,
        instrument_version_id=target.version.id,
        ticket_id=target.ticket.id if target.ticket is not None else None,
        submission_key=key,
        language=language,
        started_at=min(started_at, now),
        submitted_at=now,
    )
    if target.channel == "qr" and target.point is not None:
        chash = client_hash(remote_addr)
        response.client_hash = chash
        response.flagged = is_burst(target.point, chash, now)
    try:
        if target.ticket is not None:
            claimed = db.session.execute(
                update(Ticket)
                .where(Ticket.id == target.ticket.id, Ticket.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                db.session.rollback()
                return _winner(key=key, ticket_id=target.ticket.id)
        db.session.add(response)
        _set_answers(response, target.instrument, answers, _all_ids(target.instrument))
        store_scores(response, target.instrument)
        open_case_if_bad(response, target.instrument)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _winner(key=key, ticket_id=target.ticket.id if target.ticket else None)
    return response, True


def _winner(
    *, key: str, ticket_id: int | None = None, invitation_id: int | None = None
) -> tuple[Response, bool]:
    """The response that beat ours to a unique constraint.

    Raises Unavailable("answered") when that response is someone else's (another key).
    """
    row = response_by_key(key)
    if row is None and ticket_id is not None:
        row = _response_of(ticket_id=ticket_id)
        if row is not None and row.submission_key != key:
            raise Unavailable("answered", row.campaign)
    if row is None and invitation_id is not None:
        row = _response_of(invitation_id=invitation_id)
        if row is not None and row.submission_key != key:
            raise Unavailable("answered", row.campaign)
    if row is None:
        raise Unavailable("answered")
    return row, False


def _all_ids(instrument: Instrument) -> set[str]:
    return {question.id for question in instrument.questions}


def save_page(
    target: Target,
    page: Page,
    page_answers: Mapping[str, AnswerValue],
    *,
    language: str,
    reached: str,
) -> Response:
    """Keep one page of an invitation's questionnaire, so the person can leave and resume.

    The draft Response (submitted_at None) is made on the first page saved; the
    invitation becomes "started". ``reached`` is the furthest page got to.
    """
    response = _draft(target, language)
    _set_answers(response, target.instrument, page_answers, {q.id for q in page.questions})
    response.current_page = reached
    response.language = language
    if target.invitation is not None and target.invitation.status == "pending":
        target.invitation.status = "started"
    try:
        db.session.commit()
    except IntegrityError:
        # Two tabs saved the first page at once: the other made the draft; save onto it.
        db.session.rollback()
        response = _draft(target, language)
        _set_answers(response, target.instrument, page_answers, {q.id for q in page.questions})
        response.current_page = reached
        db.session.commit()
    target.draft = response
    return response


def _draft(target: Target, language: str, *, lock: bool = False) -> Response:
    """The invitation's response, made on first use; ``lock`` holds it (PostgreSQL) to submit."""
    assert target.invitation is not None
    response = _response_of(invitation_id=target.invitation.id, lock=lock)
    if response is None:
        response = Response(
            campaign_id=target.campaign.id,
            unit_id=target.unit.id,
            group_id=target.group.id,
            channel=target.channel,
            instrument_version_id=target.version.id,
            invitation_id=target.invitation.id,
            language=language,
            started_at=utcnow(),
        )
        db.session.add(response)
    return response


def submit_invitation(
    target: Target,
    page: Page,
    page_answers: Mapping[str, AnswerValue],
    *,
    key: str,
    started_at: dt.datetime,
    language: str,
    operator_id: int | None = None,
    also: Callable[[Response], object] | None = None,
) -> tuple[Response, bool]:
    """Submit an invitation's questionnaire: last page, hidden answers dropped, scores, completed.

    Answers to questions that a later change of mind hid are removed, so that
    nothing a respondent was not asked counts in the results. The phone console
    passes ``operator_id`` (kept for audit) and ``also``: its own work (the call
    attempt) done inside the same transaction, so both are stored or neither.
    """
    assert target.invitation is not None
    try:
        response = _draft(target, language, lock=True)
        if response.submitted_at is not None:
            db.session.rollback()
            return _winner(key=key, invitation_id=target.invitation.id)
        if response.id is None:
            response.started_at = min(started_at, utcnow())
        _set_answers(response, target.instrument, page_answers, {q.id for q in page.questions})
        answers = {qid: value for qid, value in target.answers.items()}
        page_ids = {q.id for q in page.questions}
        answers = {qid: v for qid, v in answers.items() if qid not in page_ids}
        answers.update(page_answers)
        shown = visible_ids(target.instrument, answers)
        hidden = _all_ids(target.instrument) - shown
        _set_answers(response, target.instrument, {}, hidden)
        response.submitted_at = utcnow()
        response.submission_key = key
        response.current_page = page.id
        response.language = language
        target.invitation.status = "completed"
        if operator_id is not None:
            response.operator_id = operator_id
        store_scores(response, target.instrument)
        open_case_if_bad(response, target.instrument)
        if also is not None:
            also(response)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _winner(key=key, invitation_id=target.invitation.id)
    return response, True


def missing_required(target: Target, answers: Mapping[str, AnswerValue]) -> Page | None:
    """The first page with a required, shown question left unanswered.

    It happens when someone goes Back and changes an answer that a later
    question's condition rests on.
    """
    shown = visible_ids(target.instrument, answers)
    for page in target.instrument.pages:
        for question in page.questions:
            if question.id in shown and question.required and question.id not in answers:
                return page
    return None
