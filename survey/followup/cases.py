"""Bad reviews are followed up, as in the government-service good/bad-review practice.

On a questionnaire by which a service user rates one service (an instrument
with ``follow_up = true``: the post-service card and its phone script), an
answer in the two lowest levels of the overall question (the question that
feeds ``satisfaction.overall``) is a bad review: it opens a case for the
unit with a deadline in working days. The unit's handler records what was
done; the respondent's rating of the fix closes it. When the respondent left a
call-back number, recording what was done also queues one SMS with a
one-time link (``/f/<token>``) on which they rate the fix themselves; the
handler may instead record a rating heard by phone. The share of bad reviews
remedied on time is an indicator of its own. A bad review shown to be
malicious or mistaken is excluded only with a recorded reason, in the audit
trail, and then counts in no result.

The call-back number stays in CallbackRequest (contact side): only the
unit's handler sees it; evaluators and administrators count cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update

from ..access.audit import record_audit, snapshot
from ..channels.sms import queue_rating_sms
from ..extensions import db, rows_changed
from ..instruments import OVERALL_INDICATOR, Instrument
from ..models import (
    FIX_RATINGS,
    RATING_CHANNELS,
    CallbackRequest,
    Campaign,
    FollowUpCase,
    OutboundMessage,
    Response,
    Unit,
    utcnow,
)
from ..tokens import hash_token, looks_like_token
from ..workdays import WorkdayCalendar, load_calendar

# The three answers to "how was the fix?", for the handler's form and the respondent's page.
FIX_RATING_LABELS = {
    "satisfied": _l("Satisfied"),
    "basically_satisfied": _l("Basically satisfied"),
    "dissatisfied": _l("Dissatisfied"),
}


class FollowUpError(ValueError):
    """A follow-up action that cannot be done as asked; the message says why."""


def _zone(campaign: Campaign) -> ZoneInfo:
    return ZoneInfo(campaign.timezone or "Asia/Shanghai")


def workday_calendar() -> WorkdayCalendar:
    """The configured calendar of public holidays and adjusted working days."""
    return load_calendar(current_app.config["SURVEY_WORKDAY_CALENDAR"])


def deadline(opened: dt.datetime, campaign: Campaign) -> dt.datetime:
    """The deadline of a case opened at ``opened`` (UTC), as a UTC instant to store in due_at.

    ``followup_days`` working days, counted as Chinese law counts periods
    (Civil Code arts. 201, 203): the day the case is opened is not counted, and
    the period ends at the end (24:00) of its last working day, so a case opened
    on Monday 08:30 with five working days is due at midnight ending the next
    Monday, not at 08:30 that Monday. Days are those of the campaign's local
    calendar (a case opened at 07:00 Beijing time on a Monday is a Monday case,
    though it is still Sunday in UTC), skipping public holidays and counting
    worked weekends. "Overdue" (now past due_at) and "remedied on time"
    (remedied_at <= due_at) compare with this instant.
    """
    zone = _zone(campaign)
    opened_day = opened.replace(tzinfo=dt.UTC).astimezone(zone).date()
    last_day = workday_calendar().add_working_days(opened_day, campaign.followup_days)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return end.astimezone(dt.UTC).replace(tzinfo=None)


def calendar_gaps(campaign: Campaign, now: dt.datetime | None = None) -> list[int]:
    """Years a deadline opened now could fall in whose holidays the calendar does not know."""
    zone = _zone(campaign)
    today = (now or utcnow()).replace(tzinfo=dt.UTC).astimezone(zone).date()
    # A deadline is at most a few weeks away, even over the Spring Festival.
    horizon = today + dt.timedelta(days=7 * campaign.followup_days // 5 + 21)
    calendar = workday_calendar()
    return [y for y in range(today.year, horizon.year + 1) if not calendar.covers(y)]


def is_bad_review(
    response: Response,
    instrument: Instrument,
    item_scores: Mapping[str, float | None] | None = None,
) -> bool:
    """Whether the answer is a bad review that the unit must follow up.

    Only on an instrument with ``follow_up = true`` (the post-service card and
    its phone script): the good/bad-review practice is about service users
    rating one service, and the handler who sees the case works at the rated
    unit. A staff member's or a stakeholder's low overall answer is a result
    to count, not a complaint to act on; opening a case would show their full
    answers, with the date, to their own unit. There, a bad review is an
    overall answer in one of the two lowest scored levels of its question.

    ``item_scores`` (question id -> the answer's score) are the answers just
    stored, when they were inserted without ORM objects (a card's submission).
    """
    if not instrument.follow_up:
        return False
    question = next((q for q in instrument.questions if q.indicator == OVERALL_INDICATOR), None)
    if question is None:
        return False
    if item_scores is not None:
        score = item_scores.get(question.id)
    else:
        answer = next((a for a in response.answers if a.question_id == question.id), None)
        score = answer.score if answer is not None else None
    if score is None:
        return False
    levels = sorted({o.score for o in question.options if o.score is not None and not o.na})
    return len(levels) >= 2 and score <= levels[1]


def open_case_if_bad(
    response: Response,
    instrument: Instrument,
    item_scores: Mapping[str, float | None] | None = None,
) -> FollowUpCase | None:
    """Open the unit's follow-up case for a bad review (once per response); does not commit.

    Called where a response becomes submitted, in the same transaction
    (``item_scores``: see :func:`is_bad_review`).
    """
    if response.submitted_at is None or not is_bad_review(response, instrument, item_scores):
        return None
    if response.id is not None:
        existing = db.session.execute(
            select(FollowUpCase).where(FollowUpCase.response_id == response.id)
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    # Objects rather than ids: the response may not be flushed yet (ids still None).
    campaign = response.campaign or db.session.get(Campaign, response.campaign_id)
    unit = response.unit or db.session.get(Unit, response.unit_id)
    opened = response.submitted_at
    assert campaign is not None  # a response belongs to a campaign
    found = FollowUpCase(
        response=response,
        campaign=campaign,
        unit=unit,
        opened_at=opened,
        due_at=deadline(opened, campaign),
        # A card held in a burst opens its case held too: out of the handler's queue until
        # an evaluator accepts the burst (survey.responses.review), which opens it then.
        status="held" if response.flagged else "open",
    )
    db.session.add(found)
    return found


def _hold(case_row: FollowUpCase) -> None:
    """Hold the case's row until the caller commits or rolls back, and read it afresh.

    A no-op UPDATE rather than SELECT ... FOR UPDATE, because it locks on
    every database: the row on PostgreSQL, the database's write lock on SQLite
    (which ignores FOR UPDATE). So two people acting on one case at once (a
    double tap on the rating link, the handler saving twice, the handler and
    the respondent rating together) take turns, and the second sees what the
    first did instead of overwriting it.
    """
    if case_row.id is None:
        return
    db.session.execute(
        update(FollowUpCase)
        .where(FollowUpCase.id == case_row.id)
        .values(status=FollowUpCase.status)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(case_row)


def record_remedy(case_row: FollowUpCase, action: str, handler_id: int) -> OutboundMessage | None:
    """What the unit did about the complaint; the caller commits.

    The first time, and on every later edit, the respondent's rating request is
    queued if they left a usable call-back number and it has not been queued
    before (``survey.channels.sms.queue_rating_sms``: never twice per case).
    Returns that message, or None when there is none.

    An edit replaces the text (the handler's form shows the current one to
    change) but keeps remedied_at, the time of the first remedy, which "on time"
    counts. What the text said before is not lost: each change is in the audit
    trail ("followup.remedy_edit", before and after), since the respondent may
    have rated, and the evaluator judged, the earlier account.
    """
    action = (action or "").strip()
    if not action:
        raise FollowUpError(_l("Say what was done."))
    _hold(case_row)
    if case_row.status not in ("open", "remedied"):
        raise FollowUpError(_l("This case is closed."))
    previous = case_row.action_taken
    if previous is not None and previous != action:
        record_audit(
            "followup.remedy_edit",
            "followup_case",
            case_row.id,
            before={"action_taken": previous},
            after={"action_taken": action},
            campaign_id=case_row.campaign_id,
        )
    case_row.action_taken = action
    case_row.handler_id = handler_id
    if case_row.remedied_at is None:
        case_row.remedied_at = utcnow()
    case_row.status = "remedied"
    return queue_rating_sms(case_row)


def record_rating(case_row: FollowUpCase, rating: str, *, channel: str) -> None:
    """The respondent's rating of the fix, which closes the case; the caller commits.

    ``channel`` is "phone" when the handler records what they heard on the
    phone, "link" when the respondent rates on their SMS link. A case is
    rated once: a second rating, by either way, raises FollowUpError.
    """
    if channel not in RATING_CHANNELS:
        raise ValueError(f"channel must be one of {RATING_CHANNELS}, got {channel!r}")
    if rating not in FIX_RATINGS:
        raise FollowUpError(_l("Choose satisfied, basically satisfied or dissatisfied."))
    _hold(case_row)
    if case_row.status != "remedied":
        raise FollowUpError(_l("The fix can be rated once the case is remedied, and only once."))
    now = utcnow()
    case_row.fix_rating = rating
    case_row.rating_channel = channel
    case_row.rated_at = now
    case_row.closed_at = now
    case_row.status = "closed"


def _rating_window() -> dt.timedelta:
    return dt.timedelta(days=int(current_app.config.get("SURVEY_RATING_DAYS", 15)))


def rating_link_open(case_row: FollowUpCase, now: dt.datetime | None = None) -> bool:
    """Whether the respondent's link still takes a rating: SURVEY_RATING_DAYS after the remedy.

    A link in an old text message should not reopen a case months later. The
    handler can record a rating heard by phone until the case is closed
    unrated (``close_unrated_cases``).
    """
    if case_row.remedied_at is None:
        return False
    return (now or utcnow()) <= case_row.remedied_at + _rating_window()


def close_unrated_cases(now: dt.datetime | None = None) -> int:
    """Close the remedied cases nobody rated within SURVEY_RATING_DAYS; commits; how many.

    A case is done when its fix is rated or its rating window is over. Without
    this sweep a case nobody rated stayed "remedied" for ever: never counted as
    closed, and its rating message, with the personal link, never redacted
    (``redact_expired`` blanks only closed cases' messages). It runs before that
    redaction, in ``flask survey sms-redact``. The case keeps no rating;
    remedied_at, and so "remedied on time", is untouched. closed_at is the end
    of the window rather than the time of the sweep, so retention counts from
    the same moment however seldom the sweep runs. Each case is closed by a
    conditional UPDATE, so a rating heard by phone at the same moment wins.
    """
    now = now or utcnow()
    window = _rating_window()
    c = FollowUpCase
    due = db.session.execute(
        select(c.id, c.remedied_at).where(
            c.status == "remedied", c.remedied_at.is_not(None), c.remedied_at < now - window
        )
    ).all()
    closed = 0
    for case_id, remedied_at in due:
        assert remedied_at is not None  # remedied cases only
        closed += rows_changed(
            update(c)
            .where(c.id == case_id, c.status == "remedied")
            .values(status="closed", closed_at=remedied_at + window)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return closed


def rate_by_link(case_row: FollowUpCase, rating: str) -> bool:
    """The respondent's own rating, given on their SMS link; commits.

    False, with nothing changed, when the fix was already rated (on the link
    or by phone) or the case is closed: a link rates once. A rating not among
    FIX_RATINGS raises FollowUpError.
    """
    if rating not in FIX_RATINGS:
        raise FollowUpError(_l("Choose satisfied, basically satisfied or dissatisfied."))
    try:
        record_rating(case_row, rating, channel="link")
    except FollowUpError:
        db.session.rollback()
        return False
    db.session.commit()
    return True


def case_by_rating_token(token: str) -> FollowUpCase | None:
    """The case whose rating link carries ``token``, or None (garbage never reaches SQL)."""
    if not looks_like_token(token):
        return None
    return db.session.execute(
        select(FollowUpCase).where(FollowUpCase.rating_token_hash == hash_token(token))
    ).scalar_one_or_none()


# The shortest exclusion reason: two characters that are not spaces. A reason in
# Chinese is often four (恶意差评, 重复提交), so a limit counted for English
# words refused it; one character says nothing. The form and exclude() share it.
MIN_REASON_CHARS = 2
REASON_TOO_SHORT = _l("Give the reason for the exclusion (a few words at least).")


def reason_is_enough(reason: str | None) -> bool:
    """Whether an exclusion reason has MIN_REASON_CHARS characters besides spaces."""
    return len("".join((reason or "").split())) >= MIN_REASON_CHARS


def exclude(case_row: FollowUpCase, reason: str, user_id: int) -> None:
    """Exclude a bad review shown to be malicious or mistaken; audited; the caller commits."""
    reason = (reason or "").strip()
    if not reason_is_enough(reason):
        raise FollowUpError(REASON_TOO_SHORT)
    if case_row.status == "excluded":
        raise FollowUpError(_l("This bad review is already excluded."))
    before = snapshot(case_row)
    case_row.status = "excluded"
    case_row.excluded_reason = reason
    case_row.excluded_by_id = user_id
    case_row.closed_at = utcnow()
    record_audit(
        "followup.exclude",
        "followup_case",
        case_row.id,
        before=before,
        after=snapshot(case_row),
        reason=reason,
        campaign_id=case_row.campaign_id,
    )


@dataclass(frozen=True, slots=True)
class FollowUpCounts:
    """A unit's bad reviews by state, and the share remedied on time."""

    unit_id: int
    cases: int
    open: int
    overdue: int
    remedied: int
    closed: int
    excluded: int
    on_time: int

    @property
    def counted(self) -> int:
        return self.cases - self.excluded

    @property
    def on_time_share(self) -> float | None:
        """Remedied by the deadline, over all cases not excluded (open ones count as not yet)."""
        return self.on_time / self.counted if self.counted else None


def followup_indicator(
    campaign: Campaign, unit_id: int | None = None, now: dt.datetime | None = None
) -> dict[int, FollowUpCounts]:
    """Per unit (or one unit): cases, open, overdue, remedied, closed, excluded, on time.

    Cases held with a burst count nowhere until the burst is accepted.
    """
    now = now or utcnow()
    c = FollowUpCase
    stmt = (
        select(
            c.unit_id,
            func.count(),
            func.sum(case((c.status == "open", 1), else_=0)),
            func.sum(case(((c.status == "open") & (c.due_at < now), 1), else_=0)),
            func.sum(case((c.status == "remedied", 1), else_=0)),
            func.sum(case((c.status == "closed", 1), else_=0)),
            func.sum(case((c.status == "excluded", 1), else_=0)),
            func.sum(
                case(
                    (
                        (c.status != "excluded")
                        & (c.remedied_at.is_not(None))
                        & (c.remedied_at <= c.due_at),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .where(c.campaign_id == campaign.id, c.status != "held")
        .group_by(c.unit_id)
    )
    if unit_id is not None:
        stmt = stmt.where(c.unit_id == unit_id)
    return {
        row[0]: FollowUpCounts(row[0], *(int(v or 0) for v in row[1:]))
        for row in db.session.execute(stmt)
    }


CASE_STATES = ("open", "remedied", "closed", "excluded")


def case_list(
    campaign: Campaign, *, unit_id: int | None = None, status: str | None = None, limit: int = 200
) -> list[FollowUpCase]:
    """The campaign's cases (of a unit, in a state of CASE_STATES when given), by due date.

    Never the cases held with a burst: nobody acts on them until it is reviewed.
    """
    stmt = select(FollowUpCase).where(
        FollowUpCase.campaign_id == campaign.id, FollowUpCase.status != "held"
    )
    if unit_id is not None:
        stmt = stmt.where(FollowUpCase.unit_id == unit_id)
    if status in CASE_STATES:
        stmt = stmt.where(FollowUpCase.status == status)
    return list(
        db.session.execute(stmt.order_by(FollowUpCase.due_at, FollowUpCase.id).limit(limit))
        .scalars()
        .all()
    )


def callback_of(case_row: FollowUpCase) -> CallbackRequest | None:
    """The call-back number the respondent of a bad review left, if any (contact side)."""
    return db.session.execute(
        select(CallbackRequest).where(CallbackRequest.response_id == case_row.response_id)
    ).scalar_one_or_none()
