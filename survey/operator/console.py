"""What the console shows around the queue: campaign times, calling hours, who holds what.

Times are stored naive in UTC; an operator reads and types them in the
campaign's time zone (the respondents' clock), whatever the server runs in.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime as babel_format_datetime
from flask_babel import get_locale, gettext

from ..access.accounts import user_label
from ..channels.phone import DISPOSITIONS, calling_hours, within_calling_hours
from ..instruments import localized
from ..models import CallCase, Campaign, User, utcnow
from ..responses.script import answer_text, asked
from ..responses.targets import Target

DEFAULT_ZONE = "Asia/Shanghai"
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def campaign_zone(campaign: Campaign) -> ZoneInfo:
    """The campaign's time zone (Asia/Shanghai when it names none or one not known)."""
    try:
        return ZoneInfo(campaign.timezone or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def to_local(moment: dt.datetime, campaign: Campaign) -> dt.datetime:
    """A stored UTC time as an aware time on the campaign's clock."""
    return moment.replace(tzinfo=dt.UTC).astimezone(campaign_zone(campaign))


def from_local(moment: dt.datetime, campaign: Campaign) -> dt.datetime:
    """A wall-clock time typed in the campaign's zone, as stored (naive UTC)."""
    aware = moment.replace(tzinfo=campaign_zone(campaign))
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def format_local(moment: dt.datetime | None, campaign: Campaign) -> str:
    """A stored time for people, on the campaign's clock, in the page's language."""
    if moment is None:
        return ""
    return babel_format_datetime(
        to_local(moment, campaign), "short", locale=str(get_locale() or "zh_Hans")
    )


def zone_label(campaign: Campaign) -> str:
    """The zone's name as the console states it next to times (e.g. Asia/Shanghai)."""
    return str(campaign_zone(campaign).key)


def nothing_due_message(campaign: Campaign, counts: dict[str, int], now: dt.datetime) -> str:
    """Why "Next call" found no case: outside calling hours, or nobody due (yet), or none left."""
    now = now or utcnow()
    if not within_calling_hours(campaign, now):
        upcoming = calling_hours(campaign).next_call(now, spread=False)
        return gettext(
            "Outside calling hours: %(campaign)s calls from %(start)s to %(end)s "
            "(%(zone)s), not in the lunch break %(lunch_from)s–%(lunch_until)s and not on "
            "public holidays. It is %(time)s there now; calls resume %(next)s.",
            campaign=campaign.name,
            start=campaign.call_from,
            end=campaign.call_until,
            lunch_from=campaign.lunch_from,
            lunch_until=campaign.lunch_until,
            zone=zone_label(campaign),
            time=to_local(now, campaign).strftime("%H:%M"),
            next=format_local(upcoming, campaign) if upcoming else gettext("never: it has closed"),
        )
    waiting = counts.get("later", 0)
    if waiting:
        return gettext(
            "No case of %(campaign)s is due now: %(count)s will be due later "
            "(call-backs and retries at their time).",
            campaign=campaign.name,
            count=waiting,
        )
    return gettext(
        "The queue of %(campaign)s is empty: no case is left to call.", campaign=campaign.name
    )








def can_work_on(case: CallCase, user: User) -> bool:
    """Only the operator who claimed the case works on it; an administrator may always look."""
    if user.role == "admin":
        return True
    return user.role == "operator" and case.claimed_by_id == user.id and case.status == "claimed"


# Disposition buttons: (code, accesskey). Keys are letters that no browser menu needs with Alt.
SHORTCUTS: dict[str, str] = {
    "complete": "c",
    "partial": "p",
    "no_answer": "n",
    "busy": "b",
    "answering_machine": "m",
    "callback": "k",
    "callback_respondent": "a",
    "voicemail_named": "v",
    "voicemail_message": "g",
    "refusal_soft": "r",
    "refusal_hard": "h",
    "break_off": "o",
    "wrong_number": "w",
    "not_in_service": "s",
    "ineligible": "i",
    "language_barrier": "l",
}


# Function keys added by the console's script (JavaScript), for the most frequent outcomes.
FUNCTION_KEYS: dict[str, str] = {
    "no_answer": "F2",
    "busy": "F3",
    "answering_machine": "F4",
    "callback": "F6",
    "refusal_soft": "F7",
    "refusal_hard": "F8",
    "partial": "F9",
}


def attempt_history(call: CallCase) -> list[dict[str, str]]:
    """The case's attempts so far, on the campaign's clock."""
    campaign = call.campaign
    return [
        {
            "when": format_local(attempt.started_at, campaign),
            "operator": operator_label(attempt.operator_id),
            "disposition": label(attempt.disposition),
            "aapor": attempt.aapor_code,
            "notes": attempt.notes or "",
            "callback": format_local(attempt.callback_at, campaign),
        }
        for attempt in call.attempt_list
    ]


def script_summary(target: Target, lang: str) -> list[dict[str, str]]:
    """The end screen: every question asked, with the answer given."""
    fallback = target.instrument.default_language
    return [
        {
            "question": localized(q.text, lang, fallback),
            "answer": answer_text(q, target.answers.get(q.id), lang, fallback),
            "id": q.id,
        }
        for q in asked(target.instrument, target.answers)
    ]


def disposition_buttons(*, at_end: bool, message_allowed: bool = True) -> list[dict[str, str]]:
    """The outcome buttons; "complete" only on the end screen, "message left" only while the
    campaign's voicemail messages for this person are not used up."""
    return [
        {
            "code": code,
            "label": label(code),
            "aapor": disposition.aapor,
            "key": SHORTCUTS.get(code, ""),
            "fkey": FUNCTION_KEYS.get(code, ""),
        }
        for code, disposition in DISPOSITIONS.items()
        if (code != "complete" or at_end) and (code != "voicemail_message" or message_allowed)
    ]


def label(code: str) -> str:
    disposition = DISPOSITIONS.get(code)
    return str(disposition.label) if disposition is not None else code


def operator_label(user_id: int | None) -> str:
    """How the case's history names the operator of an attempt."""
    return user_label(user_id)
