"""Phone numbers a text can go to, and the opt-out list (STOP, TD, 退订)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ...contacts.phones import PhoneError, parse_phone
from ...extensions import db, rows_changed
from ...models import (
    OutboundMessage,
    SmsOptOut,
    utcnow,
)

# Words that stop every message to a number: China's 退订/TD and the English carriers' set.
STOP_WORDS = frozenset(
    {"STOP", "TD", "退订", "UNSUBSCRIBE", "STOPALL", "CANCEL", "END", "QUIT", "T"}
)


def sms_number(raw: str | None) -> str | None:
    """The E.164 number a text message can go to, or None when there is none.

    Mainland numbers follow survey.contacts.phones, the same rules as a contact import
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
    cancelled = rows_changed(
        update(OutboundMessage)
        .where(OutboundMessage.to_phone == phone, OutboundMessage.state == "queued")
        .values(state="cancelled", last_error="opted out", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(cancelled or 0)
