"""The phone survey's call queue: who to call next, and what each attempt's outcome means.

A case is an invitation of channel "phone" (survey.models.CallCase).
Operators claim cases one at a time; the claim is atomic, so two operators
clicking "next call" at the same moment never get the same person
(PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: a conditional UPDATE whose
row count says who won, as the SMS outbox does).

Every attempt gets an AAPOR disposition. Its code and the retry rule (try
again? after how long?) come from :data:`DISPOSITIONS`, which a campaign may
override per disposition (DispositionRule), so the queue schedules itself.

AAPOR codes are the telephone codes of the Standard Definitions (10th
edition, 2023), read for our frame: a list of named people (deputies,
retirees, service users who left a number), not random numbers (RDD). In RDD
a number that does not work (4.31) proves there is no household to survey;
for a named person it only says the number we hold is bad, as a wrong number
does, so both are "unknown eligibility, other" (3.90). Only a person outside
the survey (4.70) is not eligible. An answering machine that does not confirm
the person is 3.14 (unknown eligibility), no answer 3.13, always busy 3.12.
A voicemail greeting that names the person confirms them without reaching
them: non-contact, 2.221 with a message left, 2.222 without (as queXS codes
them). A call-back asked for by someone else (the person is out) is a
non-contact, 2.21 "respondent never available". A call-back the person
booked themselves is contact: if it is never kept, the case is an implicit
refusal (2.112, a known respondent's refusal; queXS counts its "definite
appointment - respondent" as R too), so CON1 counts it as reached and REF1
as refused.

How the attempts of one case make its final category is
survey.stats.aapor.PRECEDENCE (proof of ineligibility wins over every
contact outcome but an interview).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select, update

from ..access.audit import record_audit
from ..extensions import db, rows_changed
from ..models import Attempt, CallCase, Campaign, DispositionRule, Invitation, User, utcnow
from ..workdays import load_calendar
from .calling import CallingHours
from .claims import claim_one

# A claim not renewed for this long is abandoned (browser closed, operator gone) and may be
# taken. The holder renews it with every view of the case and every answer saved
# (:func:`renew_claim`), so a long interview is never handed to someone else mid-call.
STALE_CLAIM = dt.timedelta(minutes=30)


class PhoneError(ValueError):
    """A queue action that cannot be done as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Disposition:
    """One outcome of a call attempt and what the queue does next."""

    code: str
    aapor: str
    # AAPOR rate category: I, P, R, NC, O, UH, UO or NE (survey.stats.aapor).
    category: str
    label: Any
    final: bool
    retry: bool
    delay: dt.timedelta
    interview: bool = False
    # A call-back at an agreed time: the next call is made then, before anything else.
    callback: bool = False


def _d(
    code: str,
    aapor: str,
    category: str,
    label: Any,
    *,
    retry: bool = False,
    hours: float = 0,
    interview: bool = False,
    callback: bool = False,
) -> Disposition:
    return Disposition(
        code=code,
        aapor=aapor,
        category=category,
        label=label,
        final=not retry,
        retry=retry,
        delay=dt.timedelta(hours=hours),
        interview=interview,
        callback=callback,
    )


DISPOSITIONS: dict[str, Disposition] = {
    d.code: d
    for d in (
        _d("complete", "1.1", "I", _l("Complete interview"), interview=True),
        _d("partial", "1.2", "P", _l("Partial interview"), interview=True),
        _d("refusal_soft", "2.11", "R", _l("Refusal (soft: try again)"), retry=True, hours=24 * 7),
        _d("refusal_hard", "2.11", "R", _l("Refusal (hard: never again)")),
        _d("break_off", "2.12", "R", _l("Break-off"), retry=True, hours=24),
        _d("no_answer", "3.13", "UH", _l("No answer"), retry=True, hours=3),
        _d("busy", "3.12", "UH", _l("Busy"), retry=True, hours=0.5),
        _d(
            "answering_machine",
            "3.14",
            "UH",
            _l("Answering machine (the person not named)"),
            retry=True,
            hours=3,
        ),
        _d(
            "callback_respondent",
            "2.112",
            "R",
            _l("Call-back booked by the person"),
            retry=True,
            callback=True,
        ),
        _d(
            "callback",
            "2.21",
            "NC",
            _l("Call-back (the person is not available)"),
            retry=True,
            callback=True,
        ),
        _d(
            "voicemail_message",
            "2.221",
            "NC",
            _l("Voicemail naming the person: message left"),
            retry=True,
            hours=24,
        ),
        _d(
            "voicemail_named",
            "2.222",
            "NC",
            _l("Voicemail naming the person: no message"),
            retry=True,
            hours=3,
        ),
        _d("wrong_number", "3.90", "UO", _l("Wrong number")),
        _d("not_in_service", "3.90", "UO", _l("Number not in service")),
        _d("ineligible", "4.70", "NE", _l("Not eligible")),
        _d("language_barrier", "2.332", "O", _l("Language barrier")),
    )
}


def rules_for(campaign: Campaign) -> dict[str, Disposition]:
    """The dispositions with this campaign's own retry rules applied."""
    rules = dict(DISPOSITIONS)
    for rule in db.session.execute(
        select(DispositionRule).where(DispositionRule.campaign_id == campaign.id)
    ).scalars():
        base = rules.get(rule.disposition)
        if base is None or base.interview or base.callback:
            continue
        rules[rule.disposition] = replace(
            base,
            retry=rule.retry,
            final=not rule.retry,
            delay=dt.timedelta(minutes=rule.delay_minutes),
        )
    if not campaign.refusal_conversion:
        rules["refusal_soft"] = replace(rules["refusal_soft"], retry=False, final=True)
    return rules


def set_rule(campaign: Campaign, disposition: str, *, retry: bool, delay_minutes: int) -> None:
    """Override a disposition's retry rule for one campaign; audited. The caller commits."""
    base = DISPOSITIONS.get(disposition)
    if base is None:
        raise PhoneError(f"unknown disposition {disposition!r}")
    if base.interview or base.callback:
        raise PhoneError(f"the rule of {disposition!r} cannot be changed")
    if delay_minutes < 0 or (retry and delay_minutes == 0 and disposition != "busy"):
        raise PhoneError("a retry needs a delay of at least one minute")
    row = db.session.execute(
        select(DispositionRule).where(
            DispositionRule.campaign_id == campaign.id, DispositionRule.disposition == disposition
        )
    ).scalar_one_or_none()
    current = rules_for(campaign)[disposition]
    before = {"retry": current.retry, "delay_minutes": int(current.delay.total_seconds() // 60)}
    if row is None:
        row = DispositionRule(campaign_id=campaign.id, disposition=disposition)
        db.session.add(row)
    row.retry, row.delay_minutes = retry, delay_minutes
    record_audit(
        "phone.rule",
        "disposition_rule",
        f"{campaign.code}:{disposition}",
        before=before,
        after={"retry": retry, "delay_minutes": delay_minutes},
        campaign_id=campaign.id,
    )


def enqueue_phone_cases(campaign: Campaign) -> int:
    """A case for every phone invitation of the campaign that has none; returns how many."""
    missing = (
        db.session.execute(
            select(Invitation.id)
            .outerjoin(CallCase, CallCase.invitation_id == Invitation.id)
            .where(
                Invitation.campaign_id == campaign.id,
                Invitation.channel == "phone",
                Invitation.status.in_(("pending", "started")),
                CallCase.id.is_(None),
            )
        )
        .scalars()
        .all()
    )
    for invitation_id in missing:
        db.session.add(CallCase(campaign_id=campaign.id, invitation_id=invitation_id))
    return len(missing)


def calling_hours(campaign: Campaign) -> CallingHours:
    """The campaign's calling windows, with the configured calendar of public holidays."""
    return CallingHours.of(campaign, load_calendar(current_app.config["SURVEY_WORKDAY_CALENDAR"]))


def local_now(campaign: Campaign, now: dt.datetime) -> dt.datetime:
    """``now`` (UTC, naive) as wall-clock time in the campaign's time zone."""
    return now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(campaign.timezone))


def within_calling_hours(campaign: Campaign, now: dt.datetime) -> bool:
    """Whether people may be called at ``now``: within the calling hours, not in the lunch
    break, not on a public holiday, before the close (survey.channels.calling)."""
    return calling_hours(campaign).slot_at(now) is not None


def _attempts_left(campaign: Campaign) -> Any:
    """SQL: the case may still be called: attempts remain, or it waits for its call-back."""
    return or_(CallCase.attempts < campaign.max_attempts, CallCase.is_callback.is_(True))


def can_book_callback(case_row: CallCase) -> bool:
    """Whether the call now made may end in a call-back: only within the allowed attempts.

    A call-back booked on the last allowed attempt is still made (the person
    asked for it), one call past the maximum; that call may not book another,
    so no case is called back forever.
    """
    return case_row.attempts < case_row.campaign.max_attempts


def _held_by(campaign: Campaign, operator: User, now: dt.datetime) -> CallCase | None:
    return db.session.execute(
        select(CallCase)
        .where(
            CallCase.campaign_id == campaign.id,
            CallCase.status == "claimed",
            CallCase.claimed_by_id == operator.id,
            CallCase.claimed_at >= now - STALE_CLAIM,
        )
        .limit(1)
    ).scalar_one_or_none()


def claim_next(
    campaign: Campaign, operator: User, now: dt.datetime | None = None
) -> CallCase | None:
    """The next case for this operator, claimed for them; None when nothing may be called now.

    Order: call-backs that are due, then people never called, then due
    retries (oldest first). A call-back is served even when the attempt that
    booked it was the last one allowed: the person asked for that call. It
    is made once; that call cannot book another (:func:`can_book_callback`).
    Commits the claim.
    """
    now = now or utcnow()
    held = _held_by(campaign, operator, now)
    if held is not None:
        return held
    if not campaign.is_open(now) or not within_calling_hours(campaign, now):
        return None
    stale = now - STALE_CLAIM
    free = or_(
        and_(
            CallCase.status == "queued",
            or_(CallCase.next_try_at.is_(None), CallCase.next_try_at <= now),
        ),
        and_(CallCase.status == "claimed", CallCase.claimed_at < stale),
    )
    due = and_(CallCase.campaign_id == campaign.id, _attempts_left(campaign), free)
    order = (
        case((CallCase.is_callback.is_(True), 0), (CallCase.attempts == 0, 1), else_=2),
        func.coalesce(CallCase.next_try_at, CallCase.created_at),
        CallCase.id,
    )
    claim = (
        update(CallCase)
        .values(status="claimed", claimed_by_id=operator.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed_id = claim_one(CallCase.id, due, order, claim, free)
    db.session.commit()
    if claimed_id is None:
        return None
    case_row = db.session.get(CallCase, claimed_id)
    db.session.refresh(case_row)
    return case_row


def renew_claim(case_row: CallCase, operator: User, now: dt.datetime | None = None) -> bool:
    """Keep the operator's claim alive while they work on the case; commits. True if renewed.

    A claim counts as abandoned :data:`STALE_CLAIM` after ``claimed_at``; an
    interview can run longer than that, so every sign that the holder is still
    at it (opening the case, saving an answer) moves ``claimed_at`` to now.
    The UPDATE is conditional: a claim someone else has already taken over
    is left alone (False), and so is a case looked at by an administrator
    who does not hold it.
    """
    now = now or utcnow()
    renewed = rows_changed(
        update(CallCase)
        .where(
            CallCase.id == case_row.id,
            CallCase.status == "claimed",
            CallCase.claimed_by_id == operator.id,
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return renewed == 1


def release_claim(case_row: CallCase, operator: User) -> None:
    """Give a claimed case back to the queue unchanged (the operator did not call); commits."""
    if case_row.status != "claimed" or case_row.claimed_by_id != operator.id:
        raise PhoneError("this case is not claimed by you")
    case_row.status = "queued"
    case_row.claimed_by_id = None
    case_row.claimed_at = None
    db.session.commit()


def record_attempt(
    case_row: CallCase,
    operator: User,
    disposition: str,
    *,
    notes: str | None = None,
    callback_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Attempt:
    """Record one attempt's outcome and schedule the case; the caller commits.

    Not committing here lets a finished interview's Response and its
    "complete" attempt land in one transaction. ``callback_at`` is UTC, naive.
    """
    now = now or utcnow()
    rules = rules_for(case_row.campaign)
    rule = rules.get(disposition)
    if rule is None:
        raise PhoneError(f"unknown disposition {disposition!r}")
    if case_row.status != "claimed" or case_row.claimed_by_id != operator.id:
        raise PhoneError("this case is not claimed by you")
    _check_outcome(case_row, rule, callback_at, now)
    history = list(case_row.attempt_list)  # before this attempt joins it
    notes = (notes or "").strip() or None
    if notes and len(notes) > 2000:
        raise PhoneError("notes are limited to 2000 characters")
    attempt = Attempt(
        case_id=case_row.id,
        operator_id=operator.id,
        started_at=case_row.claimed_at or now,
        ended_at=now,
        disposition=disposition,
        aapor_code=rule.aapor,
        notes=notes,
        callback_at=callback_at,
    )
    db.session.add(attempt)
    case_row.attempts += 1
    case_row.last_disposition = disposition
    case_row.claimed_by_id = None
    case_row.claimed_at = None
    case_row.is_callback = rule.callback
    if rule.callback:
        case_row.status, case_row.next_try_at = "queued", callback_at
    elif rule.retry and case_row.attempts < case_row.campaign.max_attempts:
        retry_at = next_try(case_row, history, disposition, now + rule.delay, now)
        case_row.status, case_row.next_try_at = "queued" if retry_at else "closed", retry_at
    else:
        case_row.status, case_row.next_try_at = "closed", None
    return attempt


def _check_outcome(
    case_row: CallCase, rule: Disposition, callback_at: dt.datetime | None, now: dt.datetime
) -> None:
    """Refuse an outcome the campaign does not allow now (PhoneError says which rule)."""
    if rule.callback:
        if not can_book_callback(case_row):
            raise PhoneError("the last allowed attempt has been made: no further call-back")
        if callback_at is None:
            raise PhoneError("a call-back needs the time to call back")
        if callback_at <= now:
            raise PhoneError("the call-back time must be in the future")
        if calling_hours(case_row.campaign).slot_at(callback_at) is None:
            raise PhoneError("the call-back time is outside the campaign's calling times")
    elif callback_at is not None:
        raise PhoneError("only a call-back has a call-back time")
    if rule.code == "voicemail_message" and not may_leave_message(case_row):
        raise PhoneError("the campaign's messages for this person have all been left")


def may_leave_message(case_row: CallCase) -> bool:
    """Whether a voicemail message may still be left: the campaign caps them per person."""
    left = sum(1 for a in case_row.attempt_list if a.disposition == "voicemail_message")
    return left < case_row.campaign.max_messages


def next_try(
    case_row: CallCase,
    history: list[Attempt],
    disposition: str,
    earliest: dt.datetime,
    now: dt.datetime,
) -> dt.datetime | None:
    """When to call the case again: in the slot its calls tried least (None: no time left).

    A busy line means someone is there: the first busy is tried again soon in
    the same slot; a second busy in a row, like every other outcome, moves on
    to another slot (survey.channels.calling).
    """
    earlier = [a.started_at for a in history if a.started_at is not None]
    spread = not (disposition == "busy" and (not history or history[-1].disposition != "busy"))
    return calling_hours(case_row.campaign).next_call(earliest, [*earlier, now], spread=spread)


def queue_counts(campaign: Campaign, now: dt.datetime | None = None) -> dict[str, int]:
    """How the campaign's queue stands: due now, call-backs due, later, claimed, closed.

    Counted with the rule :func:`claim_next` serves by, so every case is in
    exactly one of due, later, claimed and closed ("callbacks" is part of due).
    """
    now = now or utcnow()
    open_ = and_(CallCase.status == "queued", _attempts_left(campaign))
    is_due = or_(CallCase.next_try_at.is_(None), CallCase.next_try_at <= now)
    row = db.session.execute(
        select(
            func.count().filter(open_, is_due).label("due"),
            func.count().filter(open_, is_due, CallCase.is_callback.is_(True)).label("callbacks"),
            func.count().filter(open_, ~is_due).label("later"),
            func.count().filter(CallCase.status == "claimed").label("claimed"),
            func.count()
            .filter(
                or_(
                    CallCase.status == "closed",
                    and_(CallCase.status == "queued", ~_attempts_left(campaign)),
                )
            )
            .label("closed"),
        ).where(CallCase.campaign_id == campaign.id)
    ).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}


def phone_campaigns() -> list[Campaign]:
    """The campaigns that have phone cases, newest first; not a draft (it calls nobody)."""
    ids = select(CallCase.campaign_id).group_by(CallCase.campaign_id)
    return list(
        db.session.execute(
            select(Campaign)
            .where(Campaign.id.in_(ids), Campaign.draft.is_(False))
            .order_by(Campaign.period_start.desc(), Campaign.id.desc())
        ).scalars()
    )


def held_cases(operator: User) -> list[CallCase]:
    """The cases this operator holds now (claimed and not yet given a disposition)."""
    return list(
        db.session.execute(
            select(CallCase)
            .where(CallCase.claimed_by_id == operator.id, CallCase.status == "claimed")
            .order_by(CallCase.claimed_at)
        ).scalars()
    )
