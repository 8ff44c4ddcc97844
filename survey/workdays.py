"""Working days of the Chinese calendar: weekends, public holidays and adjusted working days.

A follow-up deadline of "five working days" must skip the Spring Festival and
National Day holidays and count the weekend days that are worked instead
(调休上班), as the State Council announces them each year. The calendar is a
TOML file (survey/data/workdays_cn.toml ships with the known years); a year
the file does not cover counts Monday to Friday, and ``covers`` lets the
screens say so rather than pretend. No Flask here: the app passes the file.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .config import DEFAULT_CALENDAR


class CalendarError(ValueError):
    """The calendar file cannot be read as a calendar; the message names the entry."""


@dataclass(frozen=True, slots=True)
class WorkdayCalendar:
    """Days off and worked weekend days, and the years the calendar knows."""

    holidays: frozenset[dt.date] = frozenset()
    working_days: frozenset[dt.date] = frozenset()
    years: frozenset[int] = frozenset()

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def covers(self, year: int) -> bool:
        """Whether the holidays of ``year`` are known (else Monday to Friday is assumed)."""
        return year in self.years

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start``: the last day of a period of working days.

        As periods are counted in Chinese law (Civil Code arts. 201 and 203),
        the starting day is not counted, whatever the hour: a case opened on a
        Friday with one working day has all of Monday, and one opened on a
        Saturday counts from Monday too. The period ends at the end (24:00) of
        the day returned; ``survey.followup.cases.deadline`` turns that into an instant.
        """
        current = start
        added = 0
        while added < days:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                added += 1
        return current


def _dates(year: str, key: str, values: object, path: Path) -> frozenset[dt.date]:
    if not isinstance(values, list):
        raise CalendarError(f"{path}: [{year}] {key} must be a list of dates")
    found = set()
    for value in values:
        try:
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            raise CalendarError(f"{path}: [{year}] {key}: {value!r} is not a date") from None
        if str(day.year) != year:
            raise CalendarError(f"{path}: [{year}] {key}: {day} is not in {year}")
        found.add(day)
    return frozenset(found)


@functools.lru_cache(maxsize=8)
def load_calendar(path: str | Path = DEFAULT_CALENDAR) -> WorkdayCalendar:
    """Read a calendar file: one table per year with ``holidays`` and ``working_days``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CalendarError(f"{path}: {error}") from None
    holidays: set[dt.date] = set()
    working: set[dt.date] = set()
    years: set[int] = set()
    for year, table in data.items():
        if not (year.isdigit() and len(year) == 4 and isinstance(table, dict)):
            raise CalendarError(f"{path}: [{year}] is not a year's table")
        unknown = set(table) - {"holidays", "working_days"}
        if unknown:
            raise CalendarError(f"{path}: [{year}] unknown keys {sorted(unknown)}")
        off = _dates(year, "holidays", table.get("holidays", []), path)
        on = _dates(year, "working_days", table.get("working_days", []), path)
        if off & on:
            raise CalendarError(f"{path}: [{year}] {min(off & on)} is both off and worked")
        holidays |= off
        working |= on
        years.add(int(year))
    return WorkdayCalendar(frozenset(holidays), frozenset(working), frozenset(years))
