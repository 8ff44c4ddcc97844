"""The sender signature (短信签名) that opens every message: 【市评议办】.

Mainland carriers deliver a text from an application only with a signature
registered for the sender, written between 【 and 】 at the start of the body;
the carriers' and gateways' usual rule is 2 to 12 characters inside the
brackets (Chinese, letters or digits; no brackets, no spaces at its ends). A
campaign has one (the organiser's, e.g. 市人大评议办); a unit may have its own,
which messages about that unit alone use instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext
from sqlalchemy import select

from ...extensions import db
from ...models import Campaign, OutboundMessage, Unit

SIGNATURE_MIN = 2
SIGNATURE_MAX = 12
_BRACKETS = "【】[]"


class SignatureError(ValueError):
    """A signature the carriers would refuse; the message says which rule it breaks."""


def clean_signature(raw: str | None) -> str | None:
    """The signature as stored (without 【】), or None for none; raises SignatureError.

    People type it with or without the brackets (【市评议办】 or 市评议办); both
    are the same signature.
    """
    text = (raw or "").strip()
    if text.startswith("【") and text.endswith("】"):
        text = text[1:-1].strip()
    if not text:
        return None
    if any(mark in text for mark in _BRACKETS):
        raise SignatureError(
            gettext(
                "The SMS signature %(signature)s may not contain brackets: write the name "
                "alone, such as 市评议办; it is sent as 【市评议办】.",
                signature=repr(raw),
            )
        )
    if not SIGNATURE_MIN <= len(text) <= SIGNATURE_MAX:
        raise SignatureError(
            gettext(
                "The SMS signature %(signature)s has %(n)d characters; carriers take "
                "%(min)d to %(max)d between 【 and 】.",
                signature=repr(text),
                n=len(text),
                min=SIGNATURE_MIN,
                max=SIGNATURE_MAX,
            )
        )
    return text


def signature_for(campaign: Campaign, units: Sequence[Unit]) -> str | None:
    """The signature of a message about ``units``: theirs when they share one, else the campaign's.

    A message about one unit (or units that all have the same signature of
    their own) is signed with it; a message about units of different
    signatures, or of none, is signed by the campaign.
    """
    own = {unit.sms_signature for unit in units}
    if len(own) == 1 and None not in own:
        return own.pop()
    return campaign.sms_signature


def signed(body: str, signature: str | None) -> str:
    """``body`` opened by 【signature】 (unchanged without one)."""
    return f"【{signature}】{body}" if signature else body


def last_signature(phone: str) -> str | None:
    """The signature of the last message written to ``phone``, to sign our reply to it.

    A reply to STOP or 退订 comes from the same sender as what the person
    received; the number may have had messages of several campaigns, and the
    latest is the one they are answering.
    """
    body = db.session.execute(
        select(OutboundMessage.body)
        .where(OutboundMessage.to_phone == phone, OutboundMessage.body.startswith("【"))
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if not body or "】" not in body:
        return None
    return body[1 : body.index("】")] or None
