"""An IVR call's answers, kept as each key is pressed, and the response they make at the end.

A caller may hang up at any moment, and Twilio then asks nothing more of the
call's questions. So every answer is stored the moment it is given, in a draft
Response (``submitted_at`` None) keyed "ivr:" + CallSid, and the call is
closed in one of three ways:

- the last question answered: the response is submitted (complete);
- the call ended early (hang-up reported by Twilio's call-status webhook, our
  own goodbye after unrecognised keys, or :func:`close_abandoned_calls` for a
  call whose end was never reported): the response is submitted as a partial
  interview when the answers meet the instrument's threshold
  (survey.instruments.partial; for the card, the overall rating), else the
  draft stays unsubmitted, a break-off that counts nowhere;
- either way a bad overall rating opens the unit's follow-up case, as it
  would on the card.

Services flush; the webhook or command commits.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..followup.cases import open_case_if_bad
from ..instruments import Instrument, Question
from ..instruments.store import instrument_of
from ..models import Answer, Campaign, InstrumentVersion, Response, ServicePoint, utcnow
from .answers import answer_columns
from .keys import response_by_key
from .scoring import store_scores

KEY_PREFIX = "ivr:"
# A call whose end Twilio never reported is closed after this long (no IVR call lasts an hour).
ABANDONED_AFTER = dt.timedelta(hours=1)
# Drafts older than this are left alone for good: their break-off was settled long ago.
LOOK_BACK = dt.timedelta(days=7)


def ivr_questions(instrument: Instrument) -> list[Question]:
    """The questions a telephone keypad can answer: the five-level ones."""
    return [q for q in instrument.questions if q.type == "likert5" and len(q.options) <= 9]


def call_key(call_sid: str) -> str:
    return KEY_PREFIX + call_sid


def save_ivr_answer(
    call_sid: str,
    *,
    campaign_id: int,
    point_id: int,
    version_id: int,
    started_at: dt.datetime,
    question: Question,
    value: str,
    language: str,
) -> Response | None:
    """Keep one answer of the call in its draft (made on the first answer); flushed.

    None when the campaign or point is gone. A submitted response is left as it
    is: a repeated webhook after the end changes nothing.
    """
    key = call_key(call_sid)
    response = response_by_key(key)
    if response is None:
        campaign = db.session.get(Campaign, campaign_id)
        point = db.session.get(ServicePoint, point_id)
        if campaign is None or point is None or campaign.point_group_id is None:
            return None
        response = Response(
            campaign_id=campaign.id,
            unit_id=point.unit_id,
            service_point_id=point.id,
            group_id=campaign.point_group_id,
            channel="ivr",
            instrument_version_id=version_id,
            submission_key=key,
            language=language,
            started_at=min(started_at, utcnow()),
        )
        db.session.add(response)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # the same key press, twice at once: the other made it
            response = response_by_key(key)
            if response is None:
                return None
    if response.submitted_at is not None:
        return response
    columns = answer_columns(question, value)
    row = next((a for a in response.answers if a.question_id == question.id), None)
    if row is None:
        response.answers.append(Answer(question_id=question.id, **columns))
    else:
        row.value, row.number, row.score = columns["value"], columns["number"], columns["score"]
    db.session.flush()
    return response


def close_ivr_call(call_sid: str, *, complete: bool) -> Response | None:
    """Submit the call's response: always when ``complete``, else only above the partial line.

    Returns the submitted response, or None when there is none (nothing
    answered, or too little: a break-off, whose draft stays unsubmitted).
    Idempotent: a call already closed returns its response unchanged.
    """
    response = response_by_key(call_key(call_sid))
    if response is None:
        return None
    if response.submitted_at is not None:
        return response
    version = db.session.get(InstrumentVersion, response.instrument_version_id)
    if version is None:
        return None
    instrument = instrument_of(version)
    answers = {a.question_id: a.value for a in response.answers}
    if not complete:
        check = instrument.partial.check(ivr_questions(instrument), answers)
        if not check.enough:
            return None
    response.submitted_at = utcnow()
    store_scores(response, instrument)
    open_case_if_bad(response, instrument)
    db.session.flush()
    return response


def close_abandoned_calls(now: dt.datetime | None = None) -> int:
    """Close the IVR calls begun over :data:`ABANDONED_AFTER` ago and still open; how many.

    For calls whose end Twilio never reported (no call-status webhook set on
    the number, or the report lost): each becomes a partial response or
    stays a break-off, as if the caller had just hung up.
    """
    now = now or utcnow()
    cutoff = now - ABANDONED_AFTER
    keys = db.session.execute(
        select(Response.submission_key).where(
            Response.channel == "ivr",
            Response.submitted_at.is_(None),
            Response.started_at < cutoff,
            Response.started_at >= now - LOOK_BACK,
            Response.submission_key.like(KEY_PREFIX + "%"),
        )
    ).scalars()
    closed = 0
    for key in list(keys):
        if key is not None and close_ivr_call(key[len(KEY_PREFIX) :], complete=False) is not None:
            closed += 1
    return closed
