"""SMS invitations, reminders and requests to rate a fix, through a durable outbox.

Nothing is sent from a web request: queuing writes an ``OutboundMessage`` row
in the same transaction as the invitation, and a worker (``flask survey send``
or the RQ job in survey.worker) sends what is due. The row, not a queue in
memory, is the truth, so a crash loses nothing.

The link problem. An invitation keeps only its token's hash, so its link can
be written only when the token is known: at creation. ``queue_invitation_sms``
is therefore called with the token (``create_sms_invitations``,
``reissue_sms_invitations``), and the outbox row keeps the body and the link;
reminders reuse that link. The outbox is contact-side data (administrators
only) and ``redact_expired`` blanks bodies and links once an invitation has
expired (or a follow-up case is closed) and SURVEY_SMS_RETENTION_DAYS have
passed.

The rating request. When the unit's handler records what was done about a bad
review whose respondent left a call-back number, ``queue_rating_sms`` queues
one message with a one-time link ``/f/<token>`` (the case keeps the token's
hash) asking them to rate the fix. It belongs to the follow-up case, not to an
invitation, and gets no reminders.

Never twice for one invitation or case:

- queuing: ``(invitation_id, kind)`` is unique, so an invitation and each of
  its reminders exist once, whoever queues them; ``followup_case_id`` is
  unique, so a case's rating request exists once;
- claiming: a worker takes one due row at a time and marks it "sending" with a
  lease, in its own committed transaction; on PostgreSQL ``SELECT ... FOR
  UPDATE SKIP LOCKED`` keeps workers off each other's rows, and on every
  database the claim is a conditional ``UPDATE ... WHERE state = 'queued'``
  whose rowcount says who won, so two workers never hold the same row;
- uncertainty: when an attempt ends without knowing whether Twilio accepted
  the message (the worker died between Twilio's answer and our commit, the
  connection dropped, Twilio answered 5xx), the row keeps ``uncertain_since``.
  Before sending it again, a worker asks Twilio for a message to that number
  with that body created since then (``backend.find_sent``); if there is one
  its SID is recorded and nothing is sent. A row left "sending" past its lease
  (SURVEY_SMS_LEASE_SECONDS, well above the HTTP timeout, so the dead worker's
  request has certainly ended) goes back to "queued" as uncertain. When the
  attempts run out while uncertain, the row becomes "unknown" for an
  administrator, never "failed" and resent. The body identifies the message
  because it carries the personal link of the invitation or the case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..claims import claim_one
from ..extensions import db
from ..i18n import normalise
from ..models import (
    CallbackRequest,
    Campaign,
    Contact,
    FollowUpCase,
    Group,
    Invitation,
    OutboundMessage,
    SmsOptOut,
    Unit,
    utcnow,
)
from ..phones import PhoneError, parse_phone
from ..tokens import hash_token, new_token
from .links import base_url, create_invitation, invitation_url, rating_url
from .twilio_backend import SendRefused, SendUncertain, SmsBackend

log = logging.getLogger(__name__)

# Words that stop every message to a number: China's 退订/TD and the English carriers' set.
STOP_WORDS = frozenset(
    {"STOP", "TD", "退订", "UNSUBSCRIBE", "STOPALL", "CANCEL", "END", "QUIT", "T"}
)
# Invitations still waiting for an answer; others get no reminder and no pending message.
OPEN_STATUSES = ("pending", "started")
FINAL_STATES = ("sent", "delivered", "failed", "undelivered", "cancelled", "unknown")
# Delivery states move forward only: a late "sent" never undoes "delivered".
_STATUS_RANK = {"queued": 0, "sending": 0, "sent": 1, "delivered": 2, "undelivered": 2, "failed": 2}
# Allowance for the difference between our clock and Twilio's when looking a message up.
CLOCK_MARGIN = dt.timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


# --- phone numbers and opt-outs ----------------------------------------------------------------


def sms_number(raw: str | None) -> str | None:
    """The E.164 number a text message can go to, or None when there is none.

    Mainland numbers follow survey.phones, the same rules as a contact import
    (``138 0013 8000``, ``0086-138-...``), and must be mobiles: a landline
    takes no SMS. A number already written in another country's international
    form (an inbound reply from abroad) is kept as E.164.
    """
    if not raw:
        return None
    try:
        phone = parse_phone(raw)
    except PhoneError:
        text = re.sub(r"[\s\-().\u3000]", "", raw)
        if text.startswith("00"):
            text = "+" + text[2:]
        international = re.fullmatch(r"\+[1-9]\d{6,14}", text) and not text.startswith("+86")
        return text if international else None
    return phone.e164 if phone.is_mobile else None


def phone_hash(phone: str) -> str:
    """Keyed hash of an E.164 number: the only form in which opted-out numbers are kept.

    HMAC-SHA256 rather than plain SHA-256, because every 11-digit mobile number
    can be hashed in minutes, so a plain hash would not hide the number. The key
    is SURVEY_PHONE_HASH_KEY, falling back to SECRET_KEY; production should set
    its own and never change it, or every opt-out is forgotten.
    """
    key = current_app.config.get("SURVEY_PHONE_HASH_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(str(key).encode(), phone.encode(), hashlib.sha256).hexdigest()


def is_opted_out(phone: str) -> bool:
    found = db.session.execute(
        select(SmsOptOut.id).where(SmsOptOut.phone_hash == phone_hash(phone))
    ).first()
    return found is not None


def _is_mark(char: str) -> bool:
    """Punctuation or a symbol: 【】「」～~.!。, an emoji... (Unicode categories P* and S*)."""
    return unicodedata.category(char)[0] in "PS"


def is_stop_word(body: str | None) -> bool:
    """True for STOP, TD, 退订, UNSUBSCRIBE... however a phone typed it.

    Chinese input methods often send full-width letters and spaces (ＴＤ,
    Ｓｔｏｐ, an ideographic space) and people wrap the word in brackets or
    add a full stop (【退订】, 「TD」, 退订。, ～退订～): missing any of these
    keeps texting someone who asked us to stop. So the text is NFKC-normalised
    (full width to ASCII), every space (any kind) is dropped, and punctuation
    and symbols around the word are stripped, before it is compared in upper
    case. Marks inside the word are kept, so "T.D" or a sentence that merely
    contains 退订 is not an opt-out.
    """
    if not body:
        return False
    text = "".join(unicodedata.normalize("NFKC", body).split())
    start, end = 0, len(text)
    while start < end and _is_mark(text[start]):
        start += 1
    while end > start and _is_mark(text[end - 1]):
        end -= 1
    return text[start:end].upper() in STOP_WORDS


def opt_out(phone: str) -> int:
    """Stop every message to ``phone``, in every campaign; returns how many were cancelled.

    Commits. A second opt-out of the same number is harmless.
    """
    digest = phone_hash(phone)
    if not is_opted_out(phone):
        db.session.add(SmsOptOut(phone_hash=digest))
        try:
            db.session.flush()
        except IntegrityError:  # the same number opting out twice at the same moment
            db.session.rollback()
    cancelled = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.to_phone == phone, OutboundMessage.state == "queued")
        .values(state="cancelled", last_error="opted out", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return int(cancelled or 0)


# --- message bodies ----------------------------------------------------------------------------

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€")


def segments(body: str) -> int:
    """How many SMS segments ``body`` takes: GSM-7 160/153 characters, else UCS-2 70/67."""
    if all(c in _GSM7 or c in _GSM7_EXT for c in body):
        units = sum(2 if c in _GSM7_EXT else 1 for c in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def message_language(invitation: Invitation) -> str:
    """The invitation's language, else its contact's, else the default (Simplified Chinese)."""
    for tag in (invitation.language, invitation.contact.language if invitation.contact else None):
        chosen = normalise(tag)
        if chosen:
            return chosen
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def invitation_body(invitation: Invitation, link: str, language: str) -> str:
    """The invitation text with the personal link, in one segment when it fits.

    The unit's name is included when the message still fits one segment, and
    left out otherwise (a long institution name would double the cost).
    """
    with force_locale(language):
        full = gettext(
            "%(unit)s invites you to a satisfaction survey: %(link)s Reply TD to opt out",
            unit=invitation.unit.name,
            link=link,
        )
        if segments(full) == 1:
            return full
        return gettext(
            "You are invited to a satisfaction survey: %(link)s Reply TD to opt out", link=link
        )


def rating_body(unit_name: str, link: str, language: str) -> str:
    """The request to rate the fix of a bad review, with its one-time link.

    As with the invitation, the unit's name is left out when it would make the
    message longer than one segment.
    """
    with force_locale(language):
        full = gettext(
            "%(unit)s has acted on your review. Please rate what was done: %(link)s "
            "Reply TD to opt out",
            unit=unit_name,
            link=link,
        )
        if segments(full) == 1:
            return full
        return gettext(
            "Your review has been acted on. Please rate what was done: %(link)s "
            "Reply TD to opt out",
            link=link,
        )


def reminder_body(link: str, language: str) -> str:
    with force_locale(language):
        return gettext(
            "Reminder: your satisfaction survey is still open: %(link)s Reply TD to opt out",
            link=link,
        )


def opt_out_reply() -> str:
    """The answer to STOP/TD/退订, in Chinese (the language of the numbers we write to)."""
    with force_locale("zh_Hans"):
        return gettext("You will receive no more survey messages from us.")


# --- queuing -----------------------------------------------------------------------------------


def _message(invitation_id: int, kind: str) -> OutboundMessage | None:
    return db.session.execute(
        select(OutboundMessage).where(
            OutboundMessage.invitation_id == invitation_id, OutboundMessage.kind == kind
        )
    ).scalar_one_or_none()


def _queued(
    kind: str,
    phone: str,
    body: str,
    link: str | None,
    language: str,
    now: dt.datetime,
    **owner: object,
) -> OutboundMessage:
    """A new outbox row, due at ``now``; ``owner`` is its invitation or its follow-up case."""
    message = OutboundMessage(
        kind=kind,
        to_phone=phone,
        body=body,
        link=link,
        language=language,
        state="queued",
        attempts=0,
        next_attempt_at=now,
        **owner,
    )
    db.session.add(message)
    return message


def queue_invitation_sms(
    invitation: Invitation, token: str, *, now: dt.datetime | None = None
) -> OutboundMessage | None:
    """Queue the invitation SMS, with the link only ``token`` can make; does not commit.

    Returns None (and queues nothing) when the contact has no usable mobile
    number or the number opted out; returns the existing row when the
    invitation's message was already queued.
    """
    contact = invitation.contact
    phone = sms_number(contact.phone if contact else None)
    if phone is None or is_opted_out(phone):
        return None
    if invitation.id is not None:
        existing = _message(invitation.id, "invitation")
        if existing is not None:
            return existing
    language = message_language(invitation)
    link = invitation_url(token)
    body = invitation_body(invitation, link, language)
    return _queued(
        "invitation", phone, body, link, language, now or utcnow(), invitation=invitation
    )


def rating_message(case_row: FollowUpCase) -> OutboundMessage | None:
    """The case's request to rate the fix, if one was ever queued."""
    if case_row.id is None:
        return None
    return db.session.execute(
        select(OutboundMessage).where(OutboundMessage.followup_case_id == case_row.id)
    ).scalar_one_or_none()


def queue_rating_sms(
    case_row: FollowUpCase, *, now: dt.datetime | None = None
) -> OutboundMessage | None:
    """Queue the request to rate the fix of a bad review, once per case; does not commit.

    Sent to the number the respondent left for a call-back (CallbackRequest),
    in the language they answered in, with a fresh one-time link whose token
    the case keeps only as a hash. Returns None (and queues nothing, makes no
    token) when there is no usable number or it opted out; returns the
    existing row when the case's message was already queued, whatever became
    of it: a rating request is never queued twice.
    """
    existing = rating_message(case_row)
    if existing is not None:
        return existing
    callback = db.session.execute(
        select(CallbackRequest).where(CallbackRequest.response_id == case_row.response_id)
    ).scalar_one_or_none()
    phone = sms_number(callback.phone if callback else None)
    if phone is None or is_opted_out(phone):
        return None
    response = case_row.response
    language = normalise(response.language) or str(current_app.config["BABEL_DEFAULT_LOCALE"])
    token = new_token()
    case_row.rating_token_hash = hash_token(token)
    link = rating_url(token)
    body = rating_body(case_row.unit.name, link, language)
    return _queued("rating", phone, body, link, language, now or utcnow(), followup_case=case_row)


def create_sms_invitations(
    campaign: Campaign,
    group: Group,
    unit: Unit,
    contacts: Iterable[Contact],
    *,
    now: dt.datetime | None = None,
) -> list[tuple[Invitation, OutboundMessage | None]]:
    """One SMS invitation per contact, each with its message queued; does not commit.

    A contact without a usable number or who opted out still gets the
    invitation (it may be sent another way), but no message.
    """
    created = []
    for contact in contacts:
        invitation, token = create_invitation(
            campaign, group, unit, channel="sms", contact=contact, language=contact.language
        )
        created.append((invitation, queue_invitation_sms(invitation, token, now=now)))
    return created


def reissue_sms_invitations(
    campaign: Campaign, group: Group, *, now: dt.datetime | None = None
) -> list[OutboundMessage]:
    """Queue messages for the campaign's SMS invitations of ``group`` that have none yet.

    Their tokens were never sent anywhere (no message exists) and cannot be
    recovered from the hash, so each gets a fresh token, and its message the
    new link. Only invitations still pending with no response are touched: a
    link someone may already hold is never replaced. Does not commit.
    """
    from ..models import Response

    has_message = select(OutboundMessage.id).where(OutboundMessage.invitation_id == Invitation.id)
    has_response = select(Response.id).where(Response.invitation_id == Invitation.id)
    invitations = (
        db.session.execute(
            select(Invitation)
            .where(
                Invitation.campaign_id == campaign.id,
                Invitation.group_id == group.id,
                Invitation.channel == "sms",
                Invitation.status == "pending",
                Invitation.contact_id.is_not(None),
                ~has_message.exists(),
                ~has_response.exists(),
            )
            .order_by(Invitation.id)
        )
        .scalars()
        .all()
    )
    queued = []
    for invitation in invitations:
        if sms_number(invitation.contact.phone if invitation.contact else None) is None:
            continue
        token = new_token()
        invitation.token_hash = hash_token(token)
        message = queue_invitation_sms(invitation, token, now=now)
        if message is not None:
            queued.append(message)
    return queued


def queue_reminders(campaign: Campaign, now: dt.datetime | None = None) -> list[OutboundMessage]:
    """Queue the next reminder for each unanswered SMS invitation that is due one.

    Due means: the invitation is still open and not expired, it has had fewer
    than SURVEY_REMINDER_MAX reminders, its last message went out (sent or
    delivered: no reminder behind a message still queued or one that failed)
    at least SURVEY_REMINDER_INTERVAL_DAYS ago, and the number has not opted
    out. The reminder carries the link of the invitation message. Each row is
    committed on its own, so a reminder queued meanwhile by another process
    (the unique constraint) costs nothing else.
    """
    now = now or utcnow()
    maximum = int(current_app.config["SURVEY_REMINDER_MAX"])
    interval = dt.timedelta(days=float(current_app.config["SURVEY_REMINDER_INTERVAL_DAYS"]))
    invitations = (
        db.session.execute(
            select(Invitation)
            .where(
                Invitation.campaign_id == campaign.id,
                Invitation.channel == "sms",
                Invitation.status.in_(OPEN_STATUSES),
            )
            .order_by(Invitation.id)
        )
        .scalars()
        .all()
    )
    queued: list[OutboundMessage] = []
    for invitation in invitations:
        if invitation.expires_at is not None and invitation.expires_at <= now:
            continue
        messages = (
            db.session.execute(
                select(OutboundMessage)
                .where(OutboundMessage.invitation_id == invitation.id)
                .order_by(OutboundMessage.created_at, OutboundMessage.id)
            )
            .scalars()
            .all()
        )
        first = next((m for m in messages if m.kind == "invitation"), None)
        if first is None or not first.link:
            continue
        reminders = [m for m in messages if m.kind.startswith("reminder-")]
        if len(reminders) >= maximum:
            continue
        last = messages[-1]
        if last.state not in ("sent", "delivered"):
            continue
        if now - (last.sent_at or last.created_at) < interval:
            continue
        phone = sms_number(invitation.contact.phone if invitation.contact else None)
        phone = phone or first.to_phone
        if is_opted_out(phone):
            continue
        message = _queued(
            f"reminder-{len(reminders) + 1}",
            phone,
            reminder_body(first.link, first.language),
            first.link,
            first.language,
            now,
            invitation_id=invitation.id,
        )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        queued.append(message)
    return queued


# --- sending -----------------------------------------------------------------------------------


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
    count = db.session.execute(
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
    ).rowcount
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
        invitation_status=invitation.status if invitation is not None else None,
        invitation_expires_at=invitation.expires_at if invitation is not None else None,
        case_status=case_row.status if case_row is not None else None,
        case_rated=case_row is not None and case_row.fix_rating is not None,
    )
    db.session.commit()  # end the read transaction before talking to Twilio
    return found


def _finish(claim: _Claim, **values: object) -> bool:
    """Write the outcome of our claim, if it is still ours; commits. False if it was lost."""
    values.setdefault("claimed_until", None)
    values["updated_at"] = utcnow()
    done = db.session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id == claim.id,
            OutboundMessage.state == "sending",
            OutboundMessage.claimed_at == claim.claimed_at,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
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
    late = db.session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id == claim.id,
            OutboundMessage.state == "queued",
            OutboundMessage.twilio_sid.is_(None),
        )
        .values(state="sent", twilio_sid=sid, sent_at=now, uncertain_since=None, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
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


# --- delivery reports, retention ---------------------------------------------------------------


def record_status(sid: str, status: str, error_code: str | None = None) -> bool:
    """Apply a Twilio status callback; True when a message changed. Commits.

    States only move forward (callbacks can arrive out of order). A callback
    for a SID we do not know yet (it can overtake our own commit of the SID)
    is ignored; the final status follows in a later callback.
    """
    rank = _STATUS_RANK.get(status)
    if rank is None or rank == 0:
        return False
    message = db.session.execute(
        select(OutboundMessage).where(OutboundMessage.twilio_sid == sid)
    ).scalar_one_or_none()
    if message is None:
        return False
    if _STATUS_RANK.get(message.state, 3) >= rank:
        return False
    message.state = status
    if error_code:
        message.last_error = f"Twilio error {error_code}"[:2000]
    db.session.commit()
    return True


def redact_expired(now: dt.datetime | None = None) -> int:
    """Blank bodies and links of finished messages whose link is long past its use.

    The link opens someone's questionnaire (or their rating of a fix), so it is
    kept no longer than the invitation can be answered (the follow-up case is
    open to a rating) plus SURVEY_SMS_RETENTION_DAYS. Commits.
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=int(current_app.config["SURVEY_SMS_RETENTION_DAYS"]))
    expired = select(Invitation.id).where(
        Invitation.expires_at.is_not(None), Invitation.expires_at < cutoff
    )
    closed = select(FollowUpCase.id).where(
        FollowUpCase.closed_at.is_not(None), FollowUpCase.closed_at < cutoff
    )
    count = db.session.execute(
        update(OutboundMessage)
        .where(
            or_(
                OutboundMessage.invitation_id.in_(expired),
                OutboundMessage.followup_case_id.in_(closed),
            ),
            OutboundMessage.state.in_(FINAL_STATES),
            OutboundMessage.link.is_not(None),
        )
        .values(body="", link=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return int(count or 0)
