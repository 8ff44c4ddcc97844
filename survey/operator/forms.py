"""The console's own forms: "next call", and a disposition with notes and a call-back time.

The answer forms are the respondent pages' (survey.web.answer_form), so an
answer typed by an operator is checked and scored exactly like one tapped by
a citizen.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.widgets import DateTimeLocalInput

from ..channels.phone import calling_hours
from ..models import Campaign, utcnow
from ..responses.answers import clean_text
from .console import LOCAL_INPUT_FORMAT, from_local

MAX_NOTES = 2000


class ClaimForm(FlaskForm):
    """Only the CSRF token: claiming changes the queue, so it is a POST."""


class DispositionForm(FlaskForm):
    """The outcome of a call: the disposition comes from the button pressed."""

    disposition = StringField()
    notes = TextAreaField(_l("Notes"), render_kw={"maxlength": MAX_NOTES, "rows": 2})
    callback_at = StringField(_l("Call back at"), widget=DateTimeLocalInput())


class DispositionError(ValueError):
    """A disposition form that cannot be recorded; the message tells the operator why."""


def clean_notes(raw: str | None) -> str | None:
    """The notes as stored (None when empty); too long is refused rather than cut."""
    text = clean_text(raw or "")
    if len(text) > MAX_NOTES:
        raise DispositionError(
            gettext(
                "Please shorten the notes to %(limit)s characters (they have %(length)s).",
                limit=MAX_NOTES,
                length=len(text),
            )
        )
    return text or None


def parse_callback(
    raw: str | None, campaign: Campaign, *, required: bool, now: dt.datetime | None = None
) -> dt.datetime | None:
    """The call-back time typed in the campaign's zone, as stored (naive UTC).

    A time in the past is refused: the queue would call at once instead of
    when the person asked, and the operator would not notice the typo.
    """
    text = (raw or "").strip()
    if not text:
        if required:
            raise DispositionError(gettext("A call-back needs the date and time agreed."))
        return None
    try:
        local = dt.datetime.strptime(text[:16], LOCAL_INPUT_FORMAT)
    except ValueError:
        raise DispositionError(
            gettext("The call-back time is not a date and time (for example 2025-03-01T14:30).")
        ) from None
    moment = from_local(local, campaign)
    if moment <= (now or utcnow()):
        raise DispositionError(
            gettext(
                "The call-back time %(time)s is in the past. Please enter a later time.",
                time=text.replace("T", " "),
            )
        )
    if moment >= campaign.closes():
        raise DispositionError(
            gettext(
                "The call-back time %(time)s is after the campaign closes. "
                "Please agree an earlier time.",
                time=text.replace("T", " "),
            )
        )
    if calling_hours(campaign).slot_at(moment) is None:
        raise DispositionError(
            gettext(
                "The call-back time %(time)s is outside the calling times (%(start)s–%(end)s, "
                "not in the lunch break %(lunch_from)s–%(lunch_until)s, not on public "
                "holidays). Please agree another time.",
                time=text.replace("T", " "),
                start=campaign.call_from,
                end=campaign.call_until,
                lunch_from=campaign.lunch_from,
                lunch_until=campaign.lunch_until,
            )
        )
    return moment
