"""Free-text comments of a unit, without any respondent identity.

What an evaluator may read of a comment: its text, the question it answers,
the respondent's group and the month. Never the contact, the phone number,
the operator, the exact time or the response's id, so a comment cannot be
tied back to a person through the workspace.

The small-cell rule reaches comments too: where fewer than k people of a
group answered at the unit, "a deputy wrote this" nearly names the deputy.
Showing such comments without their group does not help: when one group is
small, every unlabelled comment is that group's, and the question's wording
or the indicator filter tells the instrument, hence the group. So the
comments of a group below k at the unit are not shown at all, like its
figures; counted are the responses the results count.

An evaluator selects comments for the unit's report; the report shows the
selected ones that still qualify, in the same form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, delete, func, select

from ..access.audit import record_audit
from ..extensions import db
from ..instruments.store import current_instruments
from ..models import (
    Answer,
    Campaign,
    Group,
    InstrumentVersion,
    ReportComment,
    Response,
    ResponseScore,
)
from .summaries import not_excluded

PAGE_SIZE = 50
# How a respondent rated the indicator a comment list is filtered by.
VERDICTS = ("satisfied", "dissatisfied")


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as an evaluator may see it."""

    answer_id: int
    text: str
    question_id: str
    instrument_id: str
    group: str
    month: str
    selected: bool = False


def small_groups(campaign: Campaign, unit_id: int) -> set[str]:
    """Groups with fewer than k counted respondents at the unit, whose comments are not shown.

    Counted as the results count (submitted, not flagged as a burst, not an
    excluded bad review), so a burst of cards cannot lift a group over k
    here while its figures stay suppressed.
    """
    k = int(current_app.config.get("SURVEY_SMALL_CELL_K", 5))
    rows = db.session.execute(
        select(Group.code, func.count(Response.id))
        .join(Response, Response.group_id == Group.id)
        .where(*_counted(campaign, unit_id))
        .group_by(Group.code)
    ).all()
    return {code for code, n in rows if n < k}


def _counted(campaign: Campaign, unit_id: int) -> list[ColumnElement[bool]]:
    """The unit's responses the results count: submitted, not a burst, not an excluded review."""
    return [
        Response.campaign_id == campaign.id,
        Response.unit_id == unit_id,
        Response.submitted_at.is_not(None),
        Response.flagged.is_(False),
        not_excluded(Response.id),
    ]


def text_questions(campaign: Campaign) -> dict[str, str]:
    """Question id -> instrument id of every text question the campaign's instruments ask."""
    from .settings import campaign_groups

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


def _qualifying(
    campaign: Campaign, unit_id: int, questions: list[str]
) -> list[ColumnElement[bool]]:
    """Conditions of a comment an evaluator may read.

    Of a response the results count (a burst of cards adds no comments
    either), answered, and not of a group with fewer than k such responses
    at the unit.
    """
    where = [
        *_counted(campaign, unit_id),
        Answer.question_id.in_(questions),
        Answer.value.is_not(None),
        func.length(func.trim(Answer.value)) > 0,
    ]
    hidden = small_groups(campaign, unit_id)
    if hidden:
        where.append(Group.code.not_in(sorted(hidden)))
    return where


def _comments_query(where: list[ColumnElement[bool]]) -> Any:
    return (
        select(
            Answer.id,
            Answer.value,
            Answer.question_id,
            InstrumentVersion.instrument_id,
            Group.code,
            Response.submitted_at,
            ReportComment.id.is_not(None),
        )
        .join(Response, Response.id == Answer.response_id)
        .join(Group, Group.id == Response.group_id)
        .join(InstrumentVersion, InstrumentVersion.id == Response.instrument_version_id)
        .outerjoin(ReportComment, ReportComment.answer_id == Answer.id)
        .where(*where)
    )


def _as_comments(campaign: Campaign, rows: Iterable[Any]) -> list[Comment]:
    zone = ZoneInfo(campaign.timezone)
    return [
        Comment(
            answer_id=answer_id,
            text=value,
            question_id=qid,
            instrument_id=instrument,
            group=code,
            month=submitted.replace(tzinfo=dt.UTC).astimezone(zone).strftime("%Y-%m"),
            selected=bool(selected),
        )
        for answer_id, value, qid, instrument, code, submitted, selected in rows
    ]


def unit_comments(
    campaign: Campaign,
    unit_id: int,
    *,
    question: str | None = None,
    group: str | None = None,
    indicator: str | None = None,
    verdict: str | None = None,
    page: int = 1,
) -> tuple[list[Comment], int]:
    """One page of the unit's comments, newest month first, and how many there are in all.

    ``indicator`` keeps the comments of respondents who rated that indicator,
    and ``verdict`` ("satisfied" or "dissatisfied") those who were or were not
    satisfied with it: what the people unhappy with waiting times wrote.
    A group with fewer than k respondents at the unit has no comments here.
    """
    questions = text_questions(campaign)
    wanted = [question] if question else list(questions)
    if not wanted:
        return [], 0
    where = _qualifying(campaign, unit_id, wanted)
    if group:
        where.append(Group.code == group)
    if indicator:
        rated = select(ResponseScore.response_id).where(
            ResponseScore.response_id == Response.id, ResponseScore.indicator == indicator
        )
        if verdict in VERDICTS:
            rated = rated.where(ResponseScore.satisfied.is_(verdict == "satisfied"))
        where.append(rated.exists())
    base = _comments_query(where)
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = db.session.execute(
        base.order_by(Response.submitted_at.desc(), Answer.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return _as_comments(campaign, rows), int(total)


def selected_comments(campaign: Campaign, unit_id: int) -> list[Comment]:
    """The comments selected for the unit's report that still qualify, oldest first."""
    questions = list(text_questions(campaign))
    if not questions:
        return []
    where = [*_qualifying(campaign, unit_id, questions), ReportComment.id.is_not(None)]
    rows = db.session.execute(
        _comments_query(where).order_by(Response.submitted_at, Answer.id)
    ).all()
    return _as_comments(campaign, rows)


class CommentError(ValueError):
    """The answer is not a comment of this unit an evaluator may select."""


def select_for_report(
    campaign: Campaign, unit_id: int, answer_id: int, selected: bool, *, user_id: int
) -> None:
    """Put a comment in the unit's report or take it out; audited; the caller commits."""
    questions = list(text_questions(campaign))
    found = db.session.execute(
        select(Answer.id)
        .join(Response, Response.id == Answer.response_id)
        .join(Group, Group.id == Response.group_id)
        .where(Answer.id == answer_id, *_qualifying(campaign, unit_id, questions))
    ).scalar_one_or_none()
    if found is None:
        raise CommentError(answer_id)
    current = db.session.execute(
        select(ReportComment).where(ReportComment.answer_id == answer_id)
    ).scalar_one_or_none()
    if selected == (current is not None):
        return
    if selected:
        db.session.add(ReportComment(answer_id=answer_id, selected_by_id=user_id))
    else:
        db.session.execute(delete(ReportComment).where(ReportComment.answer_id == answer_id))
    record_audit(
        "report.comment_select" if selected else "report.comment_unselect",
        "answer",
        answer_id,
        after={"unit_id": unit_id, "selected": selected},
        campaign_id=campaign.id,
    )
