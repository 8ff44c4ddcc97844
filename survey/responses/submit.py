"""Storing answers: a one-page card, a page of an invitation, a whole invitation, an IVR call.

Each is one transaction of the caller (services flush, the view commits); a
repeated POST lands on the unique constraints and gets the row that won.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db, rows_changed
from ..followup.cases import is_bad_review, open_case_if_bad
from ..instruments import Instrument, Page
from ..models import (
    Answer,
    CallbackRequest,
    Campaign,
    Response,
    ResponseScore,
    Ticket,
    utcnow,
)
from ..models.many_rows import MOST_ROWS, insert_family, send_rows
from ..models.summaries import note_born, note_card_scores
from .answers import AnswerValue, answer_columns, visible_ids
from .bursts import check_card
from .keys import client_hash, response_by_key
from .point_cache import as_if_selected, attached
from .scoring import indicator_scores, store_scores
from .targets import Target, Unavailable, _response_of

# The tables a card's answers and scores go into without ORM objects (_insert_card).
_ANSWER: Table = Answer.__table__  # type: ignore[assignment]
_RESPONSE_SCORE: Table = ResponseScore.__table__  # type: ignore[assignment]
# Made once, sent on the session's connection: Core inserts need none of the ORM's work.
_INSERT_ANSWER = insert(_ANSWER)
_INSERT_SCORE = insert(_RESPONSE_SCORE)
_RESPONSE: Table = Response.__table__  # type: ignore[assignment]
_INSERT_RESPONSE = insert(_RESPONSE).returning(_RESPONSE.c.id)


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
    device_id: int | None = None,
) -> tuple[Response, bool]:
    """Store a one-page card (QR, kiosk, ticket); returns (response, new). The view commits.

    ``device_id`` is the enrolled kiosk device the card came from (channel "kiosk").

    A POST repeated with the same key, or a ticket answered at the same moment
    from two devices, lands on the unique constraints when inserted; the loser's
    transaction is rolled back and it gets the row that won (``new`` False).
    """
    now = utcnow()
    values: dict[str, Any] = {
        "campaign_id": target.campaign.id,
        "unit_id": target.unit.id,
        "service_point_id": target.point.id if target.point is not None else None,
        "group_id": target.group.id,
        "channel": target.channel,
        "instrument_version_id": target.version.id,
        "ticket_id": target.ticket.id if target.ticket is not None else None,
        "device_id": device_id,
        "submission_key": key,
        "language": language,
        "started_at": min(started_at, now),
        "submitted_at": now,
        "test": target.test,  # flagged too: every figure leaves flagged cards out
        "flagged": target.test,
        # Counted from the start, with the scores noted below (survey.results.running):
        # a card flagged later in this transaction is taken away again before the commit.
        "summarised": not target.test,
        "client_hash": (
            client_hash(remote_addr) if target.channel == "qr" and target.point else None
        ),
    }
    try:
        if target.ticket is not None:
            claimed = rows_changed(
                update(Ticket)
                .where(Ticket.id == target.ticket.id, Ticket.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed != 1:
                db.session.rollback()
                return _winner(key=key, ticket_id=target.ticket.id)
        rows = _card_rows(target, answers)
        response = _insert_card(values, rows, target.campaign)
    except IntegrityError:
        db.session.rollback()
        return _winner(key=key, ticket_id=target.ticket.id if target.ticket else None)
    _check_and_follow_up(response, target, now, rows.item_scores)
    db.session.flush()
    return response, True


def _insert_card(values: dict[str, Any], rows: _CardRows, campaign: Campaign) -> Response:
    """Insert a card's row, answers and scores by Core statements; the Response as if loaded.

    Not ``session.add`` and a flush: the ORM's unit of work for one new row cost
    a sixth of a card's POST (sorting its work, the row's events, the bookkeeping
    after), for a row whose every column is known here; nor an ORM object per
    answer or score (on SQLite the ORM also sent one INSERT per answer, to read
    back its id). On PostgreSQL the three go as one statement
    (``insert_family``: a round trip and the driver's work per statement saved);
    elsewhere, or for a card of more answers than one statement takes, the row
    by one INSERT, its answers and its scores by one each. The Response made of
    the same values is put in the session as if selected (``as_if_selected``:
    not by its constructor, whose attribute events cost more), so the burst rule can
    flag it and a bad review's case can refer to it as usual; the running sums
    are told of it (``note_born``), as the flush would have told them, and of its
    scores (``note_card_scores``; ``campaign`` gives their month). The response's
    ``answers`` and ``scores`` are left unloaded: read, they are selected.
    """
    connection = db.session.connection()
    children = [
        (_ANSWER, "response_id", rows.answers),
        (_RESPONSE_SCORE, "response_id", rows.scores),
    ]
    if connection.dialect.name == "postgresql" and all(
        len(child) <= MOST_ROWS for _table, _key, child in children
    ):
        response_id = insert_family(db.session, _RESPONSE, values, children)
    else:
        # Through the session, not its connection: a write is noticed there (results.replica).
        response_id = db.session.execute(_INSERT_RESPONSE, values).scalar_one()
        for table, key, child in children:
            one_row = _INSERT_ANSWER if table is _ANSWER else _INSERT_SCORE
            send_rows(connection, one_row, [{key: response_id, **row} for row in child])
    response = as_if_selected(Response, {**values, "id": response_id})
    if response.summarised:
        note_born(db.session, response)
    for phone in rows.phones:  # never an Answer: the contact side, which evaluators never read
        db.session.add(CallbackRequest(response_id=response.id, phone=phone))
    note_card_scores(db.session, response.id, rows.scored, campaign)
    return response


@dataclass(frozen=True, slots=True)
class _CardRows:
    """A new card's answer and score rows (without the response's id), as they are inserted."""

    answers: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    # (indicator, score, satisfied) of each score row, for the running sums.
    scored: list[tuple[str, float, bool]]
    # Each answered question's item score: what a bad review is judged on.
    item_scores: dict[str, float | None]
    # The phone numbers given for a call back (CallbackRequest, never an Answer).
    phones: list[str]


def _card_rows(target: Target, answers: Mapping[str, AnswerValue]) -> _CardRows:
    """The rows a new card's answers and indicator scores make, in question and indicator order."""
    instrument = target.instrument
    rows: list[dict[str, Any]] = []
    item_scores: dict[str, float | None] = {}
    phones: list[str] = []
    for qid in sorted(_all_ids(instrument)):
        value = answers.get(qid)
        if value is None:
            continue
        question = instrument.question(qid)
        if question.type == "phone":
            if isinstance(value, str):
                phones.append(value)
            continue
        columns = answer_columns(question, value)
        rows.append({"question_id": qid, **columns})
        item_scores[qid] = columns["score"]
    scored = [
        (indicator, score, score >= instrument.satisfied_at)
        for indicator, score in sorted(indicator_scores(instrument, item_scores).items())
    ]
    scores = [{"indicator": i, "score": v, "satisfied": ok} for i, v, ok in scored]
    return _CardRows(rows, scores, scored, item_scores, phones)


def _check_and_follow_up(
    response: Response,
    target: Target,
    now: dt.datetime,
    item_scores: Mapping[str, float | None] | None = None,
) -> None:
    """A card stored and scored: the burst rule, then the follow-up of a bad review.

    The burst rule may flag it (and its source's cards of the last minutes)
    before its bad review, if it is one, opens a case (held, if flagged). A
    test answer is neither: a tester's cards are no burst, their low ratings no case.
    """
    if response.test:
        return
    check_card(response, target.ticket, now)
    if is_bad_review(response, target.instrument, item_scores):
        # A service point's campaign and unit come as kept per worker (detached): the
        # case takes them as if selected, without a query.
        attached(target.campaign)
        attached(target.unit)
        open_case_if_bad(response, target.instrument, item_scores)


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
    Flushed; the view (or the phone console) commits.
    """
    response = _draft(target, language)
    _set_answers(response, target.instrument, page_answers, {q.id for q in page.questions})
    response.current_page = reached
    response.language = language
    if target.invitation is not None and target.invitation.status == "pending":
        target.invitation.status = "started"
    try:
        db.session.flush()
    except IntegrityError:
        # Two tabs saved the first page at once: the other made the draft; save onto it.
        db.session.rollback()
        response = _draft(target, language)
        _set_answers(response, target.instrument, page_answers, {q.id for q in page.questions})
        response.current_page = reached
        db.session.flush()
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
            test=target.test,
            flagged=target.test,
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
) -> tuple[Response, bool]:
    """Submit an invitation's questionnaire: last page, hidden answers dropped, scores, completed.

    Answers to questions that a later change of mind hid are removed, so that
    nothing a respondent was not asked counts in the results. The phone console
    passes ``operator_id`` (kept for audit) and records its call attempt in the
    same transaction before it commits, so both are stored or neither. Flushed;
    the caller commits. ``new`` is False when an earlier submit had stored it.
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
        if not response.test:
            open_case_if_bad(response, target.instrument)
        db.session.flush()
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
