"""The worker that sends what is due, one claimed message at a time.

The worker owns its transactions, as a command does: each claim is committed
before Twilio is called and each outcome right after, so a crash between the
two leaves a row that says "uncertain" rather than a message sent twice (see
survey.channels.sms for the whole argument). ``send_due`` is run by
``flask survey send`` and by the RQ job (survey.channels.sms.rq).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from flask import current_app
from sqlalchemy import and_, func, select, update

from ...extensions import db, rows_changed
from ...models import (
    FollowUpCase,
    Invitation,
    OutboundMessage,
    utcnow,
)
from ..claims import claim_one
from ..links import base_url
from ..twilio_backend import SendRefused, SendUncertain, SmsBackend
from .numbers import is_opted_out
from .queue import OPEN_STATUSES

log = logging.getLogger(__name__)


# Allowance for the difference between our clock and Twilio's when looking a message up.
CLOCK_MARGIN = dt.timedelta(minutes=2)


BACKOFF_BASE_SECONDS = 30


BACKOFF_MAX_SECONDS = 3600


@dataclass
class SendReport:
    """What one ``send_due`` run did, by outcome."""

    sent: int = 0
    found: int = 0  # already accepted by Twilio in an earlier, uncertain attempt
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    unknown: int = 0
    recovered: int = 0  # rows whose worker lost its claim, put back as uncertain
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.found + self.retried + self.failed + self.cancelled + self.unknown


@dataclass(frozen=True)
class _Claim:
    """What a worker needs of a claimed row, copied out so no transaction stays open."""

    id: int
    claimed_at: dt.datetime
    attempts: int
    kind: str
    to_phone: str
    body: str
    uncertain_since: dt.datetime | None
    # Of the invitation the message belongs to, or else of its follow-up case.
    invitation_status: str | None
    invitation_expires_at: dt.datetime | None
    case_status: str | None = None
    case_rated: bool = False


class Throttle:
    """At most ``per_second`` sends from this worker (Twilio queues the excess, then drops it)."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self.last: float | None = None

    def wait(self) -> None:
        if self.last is not None and self.interval:
            delay = self.last + self.interval - self.clock()
            if delay > 0:
                self.sleep(delay)
        self.last = self.clock()


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour: the wait before attempt ``attempts + 1``."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def recover_stale(now: dt.datetime) -> int:
    """Put rows whose worker's lease ran out back in the queue, as uncertain; commits.

    Their worker may have died after Twilio accepted the message, so they are
    never sent blindly: ``uncertain_since`` makes the next attempt look first.
    """
    count = rows_changed(
        update(OutboundMessage)
        .where(OutboundMessage.state == "sending", OutboundMessage.claimed_until < now)
        .values(
            state="queued",
            uncertain_since=func.coalesce(
                OutboundMessage.uncertain_since, OutboundMessage.claimed_at
            ),
            claimed_until=None,
            next_attempt_at=now,
            last_error="the worker sending this message stopped before recording the result",
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(count or 0)


def _claim_next(now: dt.datetime, lease: dt.timedelta) -> _Claim | None:
    """Take one due row for this worker, or None when nothing is due; commits the claim."""
    due = and_(OutboundMessage.state == "queued", OutboundMessage.next_attempt_at <= now)
    order = (OutboundMessage.next_attempt_at, OutboundMessage.id)
    claim = (
        update(OutboundMessage)
        .values(
            state="sending",
            claimed_at=now,
            claimed_until=now + lease,
            attempts=OutboundMessage.attempts + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    claimed_id = claim_one(OutboundMessage.id, due, order, claim, OutboundMessage.state == "queued")
    db.session.commit()
    if claimed_id is None:
        return None
    row = db.session.execute(
        select(OutboundMessage, Invitation, FollowUpCase)
        .outerjoin(Invitation, Invitation.id == OutboundMessage.invitation_id)
        .outerjoin(FollowUpCase, FollowUpCase.id == OutboundMessage.followup_case_id)
        .where(OutboundMessage.id == claimed_id)
    ).one()
    message, invitation, case_row = row
    found = _Claim(
        id=message.id,
        claimed_at=now,
        attempts=message.attempts,
        kind=message.kind,
        to_phone=message.to_phone,
        body=message.body,
        uncertain_since=message.uncertain_since,
        invitation_status=_link_status(invitation) if invitation is not None else None,
        invitation_expires_at=invitation.expires_at if invitation is not None else None,
        case_status=case_row.status if case_row is not None else None,
        case_rated=case_row is not None and case_row.fix_rating is not None,
    )
    db.session.commit()  # end the read transaction before talking to Twilio
    return found


def _link_status(invitation: Invitation) -> str:
    """The status a message of this invitation goes by: open while any unit of its link is.

    A link asking about several units is one message: its reminder still has
    a purpose when the lead's unit is answered and another unit is not.
    """
    open_one = next((i.status for i in invitation.linked() if i.status in OPEN_STATUSES), None)
    return open_one or invitation.status


def _finish(claim: _Claim, **values: object) -> bool:
    """Write the outcome of our claim, if it is still ours; commits. False if it was lost."""
    values.setdefault("claimed_until", None)
    values["updated_at"] = utcnow()
    done = rows_changed(
        update(OutboundMessage)
        .where(
            OutboundMessage.id == claim.id,
            OutboundMessage.state == "sending",
            OutboundMessage.claimed_at == claim.claimed_at,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return done == 1


def _record_sent(claim: _Claim, sid: str, now: dt.datetime) -> None:
    """Store Twilio's SID; if our lease was lost meanwhile, still store it where possible."""
    if _finish(
        claim, state="sent", twilio_sid=sid, sent_at=now, uncertain_since=None, last_error=None
    ):
        return
    # Another worker put the row back in the queue (our lease ran out). Record the SID
    # unless that worker holds it now; then its look-up on Twilio will find our message.
    late = rows_changed(
        update(OutboundMessage)
        .where(
            OutboundMessage.id == claim.id,
            OutboundMessage.state == "queued",
            OutboundMessage.twilio_sid.is_(None),
        )
        .values(state="sent", twilio_sid=sid, sent_at=now, uncertain_since=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if late != 1:
        log.error("message %s sent as %s after its lease ran out", claim.id, sid)


def _cancel_reason(claim: _Claim, now: dt.datetime) -> str | None:
    if is_opted_out(claim.to_phone):
        return "opted out"
    if claim.case_status is not None:
        # A rating request: pointless once the fix is rated (by phone) or the case closed.
        if claim.case_rated:
            return "fix already rated"
        if claim.case_status != "remedied":
            return f"follow-up case {claim.case_status}"
        return None
    if claim.invitation_status not in OPEN_STATUSES:
        return f"invitation {claim.invitation_status}"
    if claim.invitation_expires_at is not None and claim.invitation_expires_at <= now:
        return "invitation expired"
    return None


def _retry_or_give_up(
    backend: SmsBackend,
    claim: _Claim,
    error: SendRefused | SendUncertain,
    now: dt.datetime,
    max_attempts: int,
    report: SendReport,
    *,
    sent_now: bool,
) -> None:
    """After a failed attempt: queue again with a back-off, or give up.

    Giving up while Twilio may hold the message, one last look-up decides: found
    is "sent", not found is "failed", unless this very attempt's request went
    unanswered (``sent_now`` and a dropped connection): Twilio may still be
    creating it, so the row is "unknown", for an administrator, and nobody
    resends it blindly. Earlier attempts ended at least one back-off ago.
    """
    uncertain_since = claim.uncertain_since
    if isinstance(error, SendUncertain) and uncertain_since is None:
        uncertain_since = claim.claimed_at
    permanent = isinstance(error, SendRefused) and error.permanent
    report.errors.append(f"message {claim.id}: {error}")
    last_error = str(error)[:2000]
    if not permanent and claim.attempts < max_attempts:
        _finish(
            claim,
            state="queued",
            next_attempt_at=now + backoff(claim.attempts),
            last_error=last_error,
            uncertain_since=uncertain_since,
        )
        report.retried += 1
        return
    state = "failed"
    if uncertain_since is not None:
        try:
            sid = backend.find_sent(
                to=claim.to_phone, body=claim.body, since=uncertain_since - CLOCK_MARGIN
            )
        except SendUncertain:
            sid, state = None, "unknown"
        if sid is not None:
            _record_sent(claim, sid, now)
            report.found += 1
            return
        if sent_now and isinstance(error, SendUncertain) and not error.answered:
            state = "unknown"
    _finish(claim, state=state, last_error=last_error, uncertain_since=uncertain_since)
    if state == "unknown":
        report.unknown += 1
    else:
        report.failed += 1


def send_one(
    backend: SmsBackend,
    claim: _Claim,
    now: dt.datetime,
    *,
    throttle: Throttle,
    max_attempts: int,
    report: SendReport,
) -> None:
    """Look up (if uncertain), check, send and record one claimed message."""
    if claim.uncertain_since is not None:
        try:
            sid = backend.find_sent(
                to=claim.to_phone, body=claim.body, since=claim.uncertain_since - CLOCK_MARGIN
            )
        except SendUncertain as error:
            _retry_or_give_up(backend, claim, error, now, max_attempts, report, sent_now=False)
            return
        if sid is not None:
            _record_sent(claim, sid, now)
            report.found += 1
            return
        # Not on Twilio: the earlier attempt never arrived, so sending now is the first time.
        claim = replace(claim, uncertain_since=None)
    reason = _cancel_reason(claim, now)
    if reason is not None:
        _finish(claim, state="cancelled", last_error=reason, uncertain_since=None)
        report.cancelled += 1
        return
    throttle.wait()
    status_callback = base_url() + "/twilio/status"
    try:
        sid = backend.send(to=claim.to_phone, body=claim.body, status_callback=status_callback)
    except (SendRefused, SendUncertain) as error:
        _retry_or_give_up(backend, claim, error, now, max_attempts, report, sent_now=True)
        return
    _record_sent(claim, sid, now)
    report.sent += 1


def send_due(
    backend: SmsBackend,
    *,
    limit: int = 100,
    now: dt.datetime | None = None,
    throttle: Throttle | None = None,
) -> SendReport:
    """Send up to ``limit`` due messages, one claim at a time; safe to run in many workers.

    The rate limit (SURVEY_SMS_PER_SECOND) is per worker: with n workers the
    account sends at most n times that.
    """
    now = now or utcnow()
    config = current_app.config
    lease = dt.timedelta(seconds=int(config["SURVEY_SMS_LEASE_SECONDS"]))
    max_attempts = int(config["SURVEY_SMS_MAX_ATTEMPTS"])
    throttle = throttle or Throttle(float(config["SURVEY_SMS_PER_SECOND"]))
    report = SendReport(recovered=recover_stale(now))
    for _ in range(limit):
        claim = _claim_next(now, lease)
        if claim is None:
            break
        send_one(backend, claim, now, throttle=throttle, max_attempts=max_attempts, report=report)
    return report
