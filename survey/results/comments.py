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

The group and the month beside a comment are a cell too. Where fewer than k
of the group answered at the unit that month, "the deputy of May" is one
person, and the indicator and verdict filters tell how that person rated
each indicator (issue 10: one deputy shown satisfied on four indicators). So
a comment is labelled with the finest period in which its group had at least
k respondents at the unit, chosen so that the labels cannot be told apart by
elimination: the months of a quarter are named only if every month of it
reaches k (else the quarter), the quarters of a year only if every quarter
of it does (else the year), the years only if every year does (else the
whole campaign). Comments are listed by their label, never by their exact
time, which would place a quarter's comment between two months'.

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
from sqlalchemy import ColumnElement, delete, func, literal_column, select

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
from .periods import local_period, utc_offset_minutes
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
    month: str  # the period it is labelled with: "2025-05", "2025-Q2", "2025" or the campaign's
    selected: bool = False


def small_groups(campaign: Campaign, unit_id: int) -> set[str]:
    """Groups with fewer than k counted respondents at the unit, whose comments are not shown.

    Counted as the results count (submitted, not flagged as a burst, not an
    excluded bad review), so a burst of cards cannot lift a group over k
    here while its figures stay suppressed.
    """
    k = _k()
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
        for instrument_id in setting.instrument_ids:
            instrument = instruments.get(instrument_id)
            for question in instrument.questions if instrument is not None else ():
                if question.type == "text":
                    found.setdefault(question.id, instrument_id)
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


def _k() -> int:
    return int(current_app.config.get("SURVEY_SMALL_CELL_K", 5))


def comment_periods(campaign: Campaign, unit_id: int) -> dict[tuple[str, str], tuple[str, int]]:
    """(group, month) -> the label of its comments and the label's level (0 month .. 3 all).

    Counted as the results count; a group below k at the unit has no label
    (its comments are not shown at all).
    """
    k = _k()
    month = local_period(Response.submitted_at, "month", utc_offset_minutes(campaign))
    rows = db.session.execute(
        select(Group.code, month.label("month"), func.count(Response.id))
        .join(Response, Response.group_id == Group.id)
        .where(*_counted(campaign, unit_id))
        .group_by(Group.code, literal_column("2"))
    ).all()
    per_group: dict[str, dict[str, int]] = {}
    for code, m, n in rows:
        per_group.setdefault(code, {})[m] = int(n)
    whole = f"{campaign.period_start:%Y-%m}–{campaign.period_end:%Y-%m}"
    labels: dict[tuple[str, str], tuple[str, int]] = {}
    for code, counts in per_group.items():
        if sum(counts.values()) < k:
            continue
        for m, label in _labels(counts, k, whole).items():
            labels[(code, m)] = label
    return labels


def _labels(counts: dict[str, int], k: int, whole: str) -> dict[str, tuple[str, int]]:
    """Each month's label: the month, its quarter, its year or the whole campaign.

    A level is used for all of its parent at once, so that no label is
    left to a single small part by elimination.
    """
    def total(prefix: str, of: dict[str, int]) -> int:
        return sum(n for m, n in of.items() if _quarter(m).startswith(prefix))

    years = {m[:4] for m in counts}
    if any(total(y, counts) < k for y in years):
        return {m: (whole, 3) for m in counts}
    labels: dict[str, tuple[str, int]] = {}
    for year in years:
        months = {m: n for m, n in counts.items() if m.startswith(year)}
        quarters = {_quarter(m) for m in months}
        if any(total(q, months) < k for q in quarters):
            labels.update({m: (year, 2) for m in months})
            continue
        for quarter in quarters:
            inside = {m: n for m, n in months.items() if _quarter(m) == quarter}
            small = any(n < k for n in inside.values())
            labels.update({m: (quarter, 1) if small else (m, 0) for m in inside})
    return labels


def _quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) + 2) // 3}"


def _last_month(label: str, level: int, campaign: Campaign) -> str:
    """The last month a label covers, so that labels are listed in time order."""
    if level == 0:
        return label
    if level == 1:
        return f"{label[:4]}-{3 * int(label[-1]):02d}"
    if level == 2:
        return f"{label}-12"
    return f"{campaign.period_end:%Y-%m}"


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


def _as_comments(campaign: Campaign, unit_id: int, rows: Iterable[Any]) -> list[Comment]:
    """The comments with their labels, oldest label first.

    Within one label (the same period, of one or several groups) in time
    order: that tells nothing the label does not.
    """
    zone = ZoneInfo(campaign.timezone)
    labels = comment_periods(campaign, unit_id)
    found: list[tuple[tuple[str, int, dt.datetime, int], Comment]] = []
    for answer_id, value, qid, instrument, code, submitted, selected in rows:
        month = submitted.replace(tzinfo=dt.UTC).astimezone(zone).strftime("%Y-%m")
        label = labels.get((code, month))
        if label is None:  # a group below k: filtered out in SQL already; never shown
            continue
        comment = Comment(
            answer_id=answer_id,
            text=value,
            question_id=qid,
            instrument_id=instrument,
            group=code,
            month=label[0],
            selected=bool(selected),
        )
        found.append(((_last_month(*label, campaign), -label[1], submitted, answer_id), comment))
    found.sort(key=lambda pair: pair[0])
    return [comment for _, comment in found]


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
    found = _as_comments(campaign, unit_id, db.session.execute(_comments_query(where)).all())
    found.reverse()  # newest label first
    start = (max(page, 1) - 1) * PAGE_SIZE
    return found[start : start + PAGE_SIZE], len(found)


def selected_comments(campaign: Campaign, unit_id: int) -> list[Comment]:
    """The comments selected for the unit's report that still qualify, oldest first."""
    questions = list(text_questions(campaign))
    if not questions:
        return []
    where = [*_qualifying(campaign, unit_id, questions), ReportComment.id.is_not(None)]
    return _as_comments(campaign, unit_id, db.session.execute(_comments_query(where)).all())


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
