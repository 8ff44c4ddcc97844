"""Free-text comments of a unit, without any respondent identity.

What an evaluator may read of a comment: its text, the question it answers,
the respondent's group and the month. Never the contact, the phone number,
the operator, the exact time or the response's id, so a comment cannot be
tied back to a person through the workspace.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..extensions import db
from ..followup_models import FollowUpCase
from ..instrument_store import current_instruments
from ..models import Answer, Campaign, Group, InstrumentVersion, Response

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Comment:
    text: str
    question_id: str
    instrument_id: str
    group: str
    month: str


def text_questions(campaign: Campaign) -> dict[str, str]:
    """Question id -> instrument id of every text question the campaign's instruments ask."""
    from .service import campaign_groups

    instruments = current_instruments()
    found: dict[str, str] = {}
    for setting in campaign_groups(campaign).values():
        instrument = instruments.get(setting.instrument_id)
        if instrument is None:
            continue
        for question in instrument.questions:
            if question.type == "text":
                found.setdefault(question.id, instrument.id)
    return found


def unit_comments(
    campaign: Campaign,
    unit_id: int,
    *,
    question: str | None = None,
    group: str | None = None,
    page: int = 1,
) -> tuple[list[Comment], int]:
    """One page of the unit's comments, newest month first, and how many there are in all."""
    questions = text_questions(campaign)
    wanted = [question] if question else list(questions)
    if not wanted:
        return [], 0
    where = [
        Response.campaign_id == campaign.id,
        Response.unit_id == unit_id,
        Response.submitted_at.is_not(None),
        Answer.question_id.in_(wanted),
        Answer.value.is_not(None),
        func.length(func.trim(Answer.value)) > 0,
        # A bad review excluded as malicious or mistaken is left out here too.
        Response.id.not_in(
            select(FollowUpCase.response_id).where(FollowUpCase.status == "excluded")
        ),
    ]
    if group:
        where.append(Group.code == group)
    base = (
        select(
            Answer.value,
            Answer.question_id,
            InstrumentVersion.instrument_id,
            Group.code,
            Response.submitted_at,
        )
        .join(Response, Response.id == Answer.response_id)
        .join(Group, Group.id == Response.group_id)
        .join(InstrumentVersion, InstrumentVersion.id == Response.instrument_version_id)
        .where(*where)
    )
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = db.session.execute(
        base.order_by(Response.submitted_at.desc(), Answer.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    zone = ZoneInfo(campaign.timezone)
    comments = [
        Comment(
            text=value,
            question_id=qid,
            instrument_id=instrument,
            group=code,
            month=submitted.replace(tzinfo=dt.UTC).astimezone(zone).strftime("%Y-%m"),
        )
        for value, qid, instrument, code, submitted in rows
    ]
    return comments, int(total)
