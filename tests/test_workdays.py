"""The working-day calendar against the State Council's holiday notices.

Expected values are read off the notices themselves (国务院办公厅关于2025年/
2026年部分节假日安排的通知), not from the code: e.g. in 2025 National Day
and Mid-Autumn ran 1-8 October with Sunday 28 September and Saturday
11 October worked; in 2026 the Spring Festival ran 15-23 February with
Saturdays 14 and 28 February worked.
"""

from __future__ import annotations

import datetime as dt

import pytest
from factories import gen_campaign, gen_user, login

from survey.extensions import db
from survey.followup.cases import calendar_gaps
from survey.workdays import DEFAULT_CALENDAR, CalendarError, WorkdayCalendar, load_calendar

D = dt.date


@pytest.fixture
def shipped() -> WorkdayCalendar:
    return load_calendar(DEFAULT_CALENDAR)


def test_the_shipped_calendar_knows_2025_and_2026(shipped):
    assert shipped.covers(2025) and shipped.covers(2026) and not shipped.covers(2024)
    # Holidays on weekdays are days off; worked weekends are working days.
    assert not shipped.is_working_day(D(2025, 1, 28))  # Spring Festival's eve, a Tuesday
    assert shipped.is_working_day(D(2025, 1, 26))  # Sunday, worked
    assert not shipped.is_working_day(D(2025, 10, 8))  # Wednesday, National Day holiday
    assert shipped.is_working_day(D(2025, 10, 11))  # Saturday, worked
    assert not shipped.is_working_day(D(2026, 1, 2))  # Friday after New Year
    assert shipped.is_working_day(D(2026, 1, 4))  # Sunday, worked
    assert shipped.is_working_day(D(2026, 5, 9))  # Saturday, worked
    assert not shipped.is_working_day(D(2026, 6, 19))  # Dragon Boat, a Friday
    # An ordinary week is untouched.
    assert shipped.is_working_day(D(2026, 11, 25))
    assert not shipped.is_working_day(D(2026, 11, 28))


def test_days_off_per_year_match_the_notices(shipped):
    # 2025: 1 + 8 + 3 + 5 + 3 + 8 = 28 days; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 = 33.
    assert sum(1 for d in shipped.holidays if d.year == 2025) == 28
    assert sum(1 for d in shipped.holidays if d.year == 2026) == 33
    # Every adjusted working day is a weekend day (else the notice would not list it).
    assert all(d.weekday() >= 5 for d in shipped.working_days)


@pytest.mark.parametrize(
    "start, days, due",
    [
        # Tuesday before National Day 2025: the next working day is Thursday 9 October.
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        # Friday before a worked Sunday: that Sunday counts.
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        # Friday 13 February 2026: Saturday 14 worked, then 15-23 off, Tuesday 24.
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        # Five working days across the 2026 Spring Festival.
        (D(2026, 2, 12), 5, D(2026, 2, 26)),
        # A year the calendar does not know counts Monday to Friday.
        (D(2027, 1, 1), 5, D(2027, 1, 8)),
    ],
)
def test_deadlines_skip_holidays_and_count_worked_weekends(shipped, start, days, due):
    assert shipped.add_working_days(start, days) == due


@pytest.mark.parametrize(
    "text, message",
    [
        ('[2027]\nholidays = ["2027-13-01"]\n', "is not a date"),
        ('[2027]\nholidays = ["2026-10-01"]\n', "is not in 2027"),
        (
            '[2027]\nholidays = ["2027-01-01"]\nworking_days = ["2027-01-01"]\n',
            "both off and worked",
        ),
        ('[2027]\nholiday = ["2027-01-01"]\n', "unknown keys"),
        ("[next]\nholidays = []\n", "is not a year's table"),
        ('[2027]\nholidays = "2027-01-01"\n', "must be a list"),
        ("[2027\n", "line 1"),
    ],
)
def test_a_broken_calendar_file_names_its_problem(tmp_path, text, message):
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        load_calendar(path)


def test_a_year_the_calendar_lacks_is_said_on_the_follow_up_page(app, client, tmp_path):
    path = tmp_path / "only-2025.toml"
    path.write_text('[2025]\nholidays = ["2025-01-01"]\n', encoding="utf-8")
    app.config["SURVEY_WORKDAY_CALENDAR"] = str(path)
    campaign = gen_campaign()
    evaluator = gen_user("evaluator")
    db.session.commit()
    now = dt.datetime(2025, 12, 20, 4, 0)
    assert calendar_gaps(campaign, now) == [2026]
    assert calendar_gaps(campaign, dt.datetime(2025, 6, 1)) == []
    login(client, evaluator)
    page = client.get(f"/evaluate/follow-up?campaign={campaign.id}&lang=en").text
    year = dt.date.today().year
    assert ("does not know the public holidays of" in page) == (year != 2025)
    app.config["SURVEY_WORKDAY_CALENDAR"] = str(DEFAULT_CALENDAR)
