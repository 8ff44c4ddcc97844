"""The texts of the messages: invitation, reminder, rating request, opt-out reply.

Each fits one SMS segment where it can: the unit's name is left out when it
would make the message longer than one segment.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext

from ...i18n import normalise
from ...models import (
    Invitation,
)

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
