"""SMS invitations, reminders and requests to rate a fix, through a durable outbox.

Nothing is sent from a web request: queuing writes an ``OutboundMessage`` row
in the same transaction as the invitation, and a worker (``flask survey send``
or the RQ job in survey.channels.sms.rq) sends what is due. The row, not a queue in
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

from .bodies import (
    invitation_body,
    message_language,
    opt_out_reply,
    rating_body,
    reminder_body,
    segments,
)
from .numbers import STOP_WORDS, is_opted_out, is_stop_word, opt_out, phone_hash, sms_number
from .queue import (
    OPEN_STATUSES,
    create_sms_invitations,
    queue_invitation_sms,
    queue_rating_sms,
    queue_reminders,
    rating_message,
    reissue_sms_invitations,
)
from .retention import FINAL_STATES, redact_expired
from .signature import (
    SIGNATURE_MAX,
    SIGNATURE_MIN,
    SignatureError,
    clean_signature,
    last_signature,
    signature_for,
    signed,
)
from .status import record_status
from .worker import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    CLOCK_MARGIN,
    SendReport,
    Throttle,
    backoff,
    recover_stale,
    send_due,
    send_one,
)

__all__ = [
    "SIGNATURE_MAX",
    "SIGNATURE_MIN",
    "SignatureError",
    "clean_signature",
    "last_signature",
    "signature_for",
    "signed",
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_MAX_SECONDS",
    "CLOCK_MARGIN",
    "FINAL_STATES",
    "OPEN_STATUSES",
    "STOP_WORDS",
    "SendReport",
    "Throttle",
    "backoff",
    "create_sms_invitations",
    "invitation_body",
    "is_opted_out",
    "is_stop_word",
    "message_language",
    "opt_out",
    "opt_out_reply",
    "phone_hash",
    "queue_invitation_sms",
    "queue_rating_sms",
    "queue_reminders",
    "rating_body",
    "rating_message",
    "recover_stale",
    "record_status",
    "redact_expired",
    "reissue_sms_invitations",
    "reminder_body",
    "segments",
    "send_due",
    "send_one",
    "sms_number",
]
