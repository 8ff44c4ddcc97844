"""The texts of the messages: invitation, reminder, rating request, opt-out reply.

Each opens with the sender signature (【...】, survey.channels.sms.signature)
and names the unit or units it is about, so the person knows who is asking,
even when that takes a second segment.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from flask_babel import force_locale, gettext

from ...i18n import normalise
from ...models import Campaign, Invitation, Unit
from .signature import signature_for, signed

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


def unit_names(units: Sequence[Unit]) -> str:
    """The units a message is about, as read: 甲、乙、丙, or the first two and how many more.

    Every message says who is asking; a long list is cut after two names so
    that a message to an expert asked about ten units stays a few segments.
    """
    names = [unit.name for unit in units]
    between = gettext("、")  # the list separator of the message's language
    if len(names) > 3:
        return gettext(
            "%(units)s and %(n)s more units", units=between.join(names[:2]), n=len(names) - 2
        )
    return between.join(names)


def invitation_body(invitation: Invitation, link: str, language: str) -> str:
    """The invitation text: the signature, the unit(s) the person is asked about, the link.

    The units are always named (who is asking): for a Chinese text with its
    link that is usually two segments, which the gateway joins into one message.
    """
    units = [i.unit for i in invitation.linked()] or [invitation.unit]
    with force_locale(language):
        body = gettext(
            "You are invited to evaluate %(units)s: %(link)s Reply TD to opt out",
            units=unit_names(units),
            link=link,
        )
    return signed(body, signature_for(invitation.campaign, units))


def rating_body(unit: Unit, campaign: Campaign, link: str, language: str) -> str:
    """The request to rate the fix of a bad review, naming the unit, with its one-time link."""
    with force_locale(language):
        body = gettext(
            "%(unit)s has acted on your review. Please rate what was done: %(link)s "
            "Reply TD to opt out",
            unit=unit.name,
            link=link,
        )
    return signed(body, signature_for(campaign, [unit]))


def reminder_body(invitation: Invitation, link: str, language: str) -> str:
    """A reminder of an invitation, naming the unit(s) still to be evaluated."""
    units = [i.unit for i in invitation.linked() if i.status in ("pending", "started")]
    units = units or [invitation.unit]
    with force_locale(language):
        body = gettext(
            "Reminder: your evaluation of %(units)s is still open: %(link)s Reply TD to opt out",
            units=unit_names(units),
            link=link,
        )
    return signed(body, signature_for(invitation.campaign, [i.unit for i in invitation.linked()]))


def opt_out_reply(signature: str | None = None) -> str:
    """The answer to STOP/TD/退订, in Chinese (the language of the numbers we write to).

    Signed like the message the person answers (survey.channels.sms.signature.last_signature).
    """
    with force_locale("zh_Hans"):
        return signed(gettext("You will receive no more survey messages from us."), signature)
