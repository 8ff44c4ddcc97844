"""What the unit's handler reads of a bad review: where, how and when it came, and what it said.

A handler cannot act on "a bad review" alone: the counter (service point),
the channel (a QR card at the counter, a receipt, a phone interview) and the
time of the review are what lets them find the transaction and the staff on
duty. The answers are read in the order the questionnaire asked them, not the
order they were stored (a phone interview or a resumed page stores them out of
order). A card that came in a burst (survey.responses.bursts) says so, with the
burst's review, because many cards at once from one source are read differently
from one customer's complaint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from ..extensions import db
from ..instruments import OVERALL_INDICATOR, Instrument, localized
from ..instruments.store import instrument_of
from ..models import Answer, Burst, FollowUpCase, ServicePoint

# How much of a comment the case list shows before cutting it.
PREVIEW_CHARS = 40


@dataclass(frozen=True, slots=True)
class CaseOrigin:
    """Where, through which channel and when the bad review came, and its burst if any."""

    point: ServicePoint | None
    channel: str
    submitted_at: dt.datetime | None  # on the campaign's clock (aware)
    zone: str
    burst: Burst | None


@dataclass(frozen=True, slots=True)
class CasePreview:
    """A line of the case list: the overall answer and the comment's first words."""

    overall: str
    comment: str
    cut: bool  # the comment goes on beyond what is shown
    burst: Burst | None


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def case_origin(case_row: FollowUpCase) -> CaseOrigin:
    """The service point, channel and time (campaign's clock) of the case's review."""
    response = case_row.response
    zone = _zone(case_row.campaign.timezone)
    submitted = response.submitted_at
    point = (
        db.session.get(ServicePoint, response.service_point_id)
        if response.service_point_id is not None
        else None
    )
    burst = db.session.get(Burst, response.burst_id) if response.burst_id is not None else None
    return CaseOrigin(
        point=point,
        channel=response.channel,
        submitted_at=submitted.replace(tzinfo=dt.UTC).astimezone(zone) if submitted else None,
        zone=zone.key,
        burst=burst,
    )


def _shown(instrument: Instrument, answers: Sequence[Answer], lang: str) -> list[tuple[str, str]]:
    """(question, answer) in the questionnaire's order; never the call-back number."""
    by_question = {a.question_id: a for a in answers}
    shown = []
    for question in instrument.questions:
        answer = by_question.get(question.id)
        if answer is None or question.type == "phone":
            continue  # the number is contact data, shown apart and only to the handler
        value = answer.value or ""
        option = next((o for o in question.options if o.value == value), None)
        shown.append(
            (localized(question.text, lang), localized(option.text, lang) if option else value)
        )
    return shown


def case_answers(case_row: FollowUpCase, lang: str) -> list[tuple[str, str]]:
    """The bad review's answers as (question, answer), in the order they were asked."""
    response = case_row.response
    return _shown(instrument_of(response.instrument_version), response.answers, lang)


def _preview(instrument: Instrument, answers: Sequence[Answer], lang: str) -> tuple[str, str]:
    by_question = {a.question_id: a for a in answers}
    overall = ""
    comment = ""
    for question in instrument.questions:
        answer = by_question.get(question.id)
        if answer is None or not answer.value:
            continue
        if question.indicator == OVERALL_INDICATOR and not overall:
            option = next((o for o in question.options if o.value == answer.value), None)
            overall = localized(option.text, lang) if option else answer.value
        elif question.type == "text" and not comment:
            comment = " ".join(answer.value.split())
    return overall, comment


def case_previews(cases: Sequence[FollowUpCase], lang: str) -> dict[int, CasePreview]:
    """Per case id, its line in the list; the answers of all cases read in one query."""
    response_ids = [c.response_id for c in cases]
    answers: dict[int, list[Answer]] = {}
    if response_ids:
        for answer in db.session.execute(
            select(Answer).where(Answer.response_id.in_(response_ids))
        ).scalars():
            answers.setdefault(answer.response_id, []).append(answer)
    previews = {}
    for case_row in cases:
        response = case_row.response
        instrument = instrument_of(response.instrument_version)
        overall, comment = _preview(instrument, answers.get(response.id, []), lang)
        burst = db.session.get(Burst, response.burst_id) if response.burst_id is not None else None
        previews[case_row.id] = CasePreview(
            overall=overall,
            comment=comment[:PREVIEW_CHARS],
            cut=len(comment) > PREVIEW_CHARS,
            burst=burst,
        )
    return previews
