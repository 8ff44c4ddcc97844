"""Calling that spreads: slots, lunch, public holidays, call-backs, messages, refusal conversion.

The expected times are worked out by hand from the calendar (survey/data/
workdays_cn.toml: 2026's Mid-Autumn holiday is Friday 25 to Sunday 27
September, the National Day holiday 1 to 7 October) and the campaign's hours
(09:00-20:00, lunch 12:00-14:00, evening from 18:00, Shanghai time).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from factories import gen_campaign, gen_contact, gen_invitation, gen_user
from sqlalchemy import select

from survey.channels.calling import DAYTIME, EVENING, WEEKEND, CallingHours
from survey.channels.phone import (
    PhoneError,
    calling_hours,
    claim_next,
    enqueue_phone_cases,
    record_attempt,
)
from survey.extensions import db
from survey.models import CallCase, Campaign
from survey.workdays import load_calendar

SHANGHAI = dt.timedelta(hours=8)


def _utc(*local: int) -> dt.datetime:
    """A Shanghai wall-clock time as stored (naive UTC)."""
    return dt.datetime(*local) - SHANGHAI  # type: ignore[misc]


@pytest.fixture
def campaign(app) -> Campaign:
    campaign = gen_campaign()
    campaign.opens_at = _utc(2026, 9, 1, 0, 0)
    campaign.closes_at = _utc(2026, 11, 1, 0, 0)
    campaign.max_attempts = 6
    contact = gen_contact("代表", "+8613800138001")
    gen_invitation(campaign, group="deputy", channel="phone", contact=contact)
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()
    return campaign


def test_the_slots_of_a_week_with_a_holiday(app):
    hours = CallingHours.of(gen_campaign(), load_calendar())
    day, evening = [(540, 720, DAYTIME), (840, 1080, DAYTIME)], [(1080, 1200, EVENING)]
    assert hours.windows(dt.date(2026, 9, 24)) == day + evening  # Thursday
    assert hours.windows(dt.date(2026, 9, 25)) == []  # Friday: Mid-Autumn holiday
    assert hours.windows(dt.date(2026, 9, 20)) == day + evening  # a worked Sunday (调休)
    weekend = [(540, 720, WEEKEND), (840, 1200, WEEKEND)]
    assert hours.windows(dt.date(2026, 11, 28)) == weekend  # an ordinary Saturday
    assert hours.slot_at(_utc(2026, 9, 24, 12, 30)) is None  # lunch
    assert hours.slot_at(_utc(2026, 9, 24, 13, 59)) is None
    assert hours.slot_at(_utc(2026, 9, 24, 14, 0)) == DAYTIME
    assert hours.slot_at(_utc(2026, 9, 24, 19, 59)) == EVENING
    assert hours.slot_at(_utc(2026, 9, 24, 20, 0)) is None


def test_six_no_answers_spread_over_a_week_and_skip_the_holiday(campaign):
    """The queue itself, on a pinned clock: each call made when the queue first offers it."""
    operator = gen_user("operator")
    # Each attempt (Shanghai time) and why the next comes when it does.
    expected = [
        dt.datetime(2026, 9, 24, 9, 0),  # Thursday daytime, as calls begin
        dt.datetime(2026, 9, 24, 18, 0),  # the evening, not yet tried (13:00 is lunch anyway)
        # Friday to Sunday are the holiday: no weekend slot this week, so the least tried
        # on a day not yet tried: Monday daytime (daytime and evening tried once each).
        dt.datetime(2026, 9, 28, 9, 0),
        dt.datetime(2026, 9, 28, 18, 0),  # Monday evening (daytime 2, evening 1)
        # 1-7 October is National Day: within the week only Tuesday and Wednesday remain;
        # both slots tried twice, so the earliest window on a day not tried: Tuesday 09:00.
        dt.datetime(2026, 9, 29, 9, 0),
        dt.datetime(2026, 9, 29, 18, 0),  # Tuesday evening (daytime 3, evening 2)
    ]
    for number, local in enumerate(expected, start=1):
        moment = local - SHANGHAI
        with time_machine.travel(moment - dt.timedelta(minutes=1), tick=False):
            assert claim_next(campaign, operator) is None, f"call {number} offered too early"
        with time_machine.travel(moment, tick=False):
            case = claim_next(campaign, operator)
            assert case is not None, f"call {number} not offered at {local}"
            record_attempt(case, operator, "no_answer")
            db.session.commit()
    case = db.session.execute(select(CallCase)).scalar_one()
    assert (case.status, case.attempts) == ("closed", 6)


def test_nobody_is_called_at_lunch_or_on_a_holiday(campaign):
    operator = gen_user("operator")
    for local in (dt.datetime(2026, 9, 24, 12, 30), dt.datetime(2026, 9, 25, 10, 0)):
        with time_machine.travel(local - SHANGHAI, tick=False):
            assert claim_next(campaign, operator) is None
    with time_machine.travel(dt.datetime(2026, 9, 20, 10, 0) - SHANGHAI, tick=False):
        assert claim_next(campaign, operator) is not None  # a worked Sunday is a weekday


def test_two_busy_lines_move_to_another_slot(campaign):
    operator = gen_user("operator")
    now = _utc(2026, 9, 22, 10, 0)  # Tuesday
    case = claim_next(campaign, operator, now=now)
    record_attempt(case, operator, "busy", now=now)
    assert case.next_try_at == now + dt.timedelta(minutes=30)  # someone is there: soon
    db.session.commit()
    now = case.next_try_at
    case = claim_next(campaign, operator, now=now)
    record_attempt(case, operator, "busy", now=now)
    assert case.next_try_at == _utc(2026, 9, 22, 18, 0)  # busy twice: the evening


def test_a_call_back_must_fall_in_calling_time_before_the_close(campaign):
    operator = gen_user("operator")
    now = _utc(2026, 9, 22, 10, 0)
    case = claim_next(campaign, operator, now=now)
    for local in (
        (2026, 9, 22, 12, 30),  # lunch
        (2026, 9, 22, 21, 0),  # after hours
        (2026, 10, 2, 10, 0),  # National Day
        (2026, 11, 2, 10, 0),  # after the campaign closes
    ):
        with pytest.raises(PhoneError, match="outside the campaign's calling times"):
            record_attempt(case, operator, "callback", now=now, callback_at=_utc(*local))
    record_attempt(case, operator, "callback", now=now, callback_at=_utc(2026, 9, 28, 10, 0))
    assert case.next_try_at == _utc(2026, 9, 28, 10, 0) and case.is_callback


def test_voicemail_messages_are_capped_per_person(campaign):
    operator = gen_user("operator")
    assert campaign.max_messages == 1
    now = _utc(2026, 9, 22, 10, 0)
    case = claim_next(campaign, operator, now=now)
    record_attempt(case, operator, "voicemail_message", now=now)
    db.session.commit()
    now = case.next_try_at
    case = claim_next(campaign, operator, now=now)
    db.session.refresh(case)
    with pytest.raises(PhoneError, match="messages"):
        record_attempt(case, operator, "voicemail_message", now=now)
    record_attempt(case, operator, "voicemail_named", now=now)  # the greeting, no message
    assert case.status == "queued"


@pytest.mark.parametrize("conversion", [True, False])
def test_refusal_conversion_is_the_campaigns_choice(campaign, conversion):
    campaign.refusal_conversion = conversion
    db.session.commit()
    operator = gen_user("operator")
    now = _utc(2026, 9, 22, 10, 0)
    case = claim_next(campaign, operator, now=now)
    record_attempt(case, operator, "refusal_soft", now=now)
    if conversion:
        # A week later at the earliest (Tuesday 29th 10:00, daytime, already tried): the
        # evening of that day, the first window of a slot not tried yet.
        assert (case.status, case.next_try_at) == ("queued", _utc(2026, 9, 29, 18, 0))
    else:
        assert (case.status, case.next_try_at) == ("closed", None)


def test_no_retry_after_the_close(campaign):
    campaign.closes_at = _utc(2026, 9, 22, 19, 0)
    db.session.commit()
    operator = gen_user("operator")
    now = _utc(2026, 9, 22, 17, 0)
    case = claim_next(campaign, operator, now=now)
    record_attempt(case, operator, "no_answer", now=now)
    assert (case.status, case.next_try_at) == ("closed", None)
    assert calling_hours(campaign).slot_at(_utc(2026, 9, 22, 18, 30)) == EVENING
