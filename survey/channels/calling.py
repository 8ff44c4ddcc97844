"""When the phone queue may call, and when it calls a case again: spread over days and times.

A person who works days is never home at 10:00 on a Tuesday, however often we
try; six tries in one afternoon use up a case without learning anything. So a
case's retries move between three time slots, as CATI systems such as queXS
do: weekday daytime, weekday evening and weekend, each tried before any is
tried again, and not twice on one day while another day will do.

The slots come from the campaign's settings, on its clock:

- calling hours ``call_from``-``call_until`` (they may run across midnight);
- no calls in the lunch break ``lunch_from``-``lunch_until`` (午休), any day;
- from ``evening_from`` a weekday call is in the evening slot;
- a day off that is not a public holiday (Saturday, Sunday) is the weekend slot;
  a worked weekend day (调休) is a weekday; a public holiday is never called
  (survey.workdays, the calendar the follow-up deadlines use);
- nothing after the campaign closes.

No Flask and no queries here: the queue (survey.channels.phone) passes the
campaign, the calendar and the times of earlier attempts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models import Campaign
from ..workdays import WorkdayCalendar

DAYTIME, EVENING, WEEKEND = "weekday_daytime", "weekday_evening", "weekend"
SLOTS = (DAYTIME, EVENING, WEEKEND)
DAY = 24 * 60
# How far ahead a retry is looked for (past it, or past the close, the case is not called again).
HORIZON_DAYS = 21
# A less tried slot is waited for up to a week (a holiday week may have no weekend slot).
SPREAD_DAYS = 7


def minutes(text: str | None) -> int | None:
    """ "HH:MM" as minutes after midnight (24:00 allowed), or None when it is not a time."""
    try:
        hours, mins = (text or "").split(":")
        value = int(hours) * 60 + int(mins)
    except ValueError:
        return None
    return value if 0 <= value <= DAY and 0 <= int(mins) < 60 else None


@dataclass(frozen=True, slots=True)
class CallingHours:
    """A campaign's calling windows: hours, lunch break, evening, public holidays, close."""

    zone: ZoneInfo
    calendar: WorkdayCalendar
    start: int
    end: int
    lunch: tuple[int, int] | None
    evening: int
    closes_at: dt.datetime | None  # UTC, naive

    @classmethod
    def of(cls, campaign: Campaign, calendar: WorkdayCalendar) -> CallingHours:
        """The campaign's windows; unreadable times fall back to the defaults (09:00-20:00)."""
        try:
            zone = ZoneInfo(campaign.timezone or "Asia/Shanghai")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("Asia/Shanghai")
        # A campaign not yet stored has no column defaults: the same defaults here.
        start, end = minutes(campaign.call_from or "09:00"), minutes(campaign.call_until or "20:00")
        lunch_from = minutes(campaign.lunch_from or "12:00")
        lunch_until = minutes(campaign.lunch_until or "14:00")
        evening = minutes(campaign.evening_from or "18:00")
        lunch = None
        if lunch_from is not None and lunch_until is not None and lunch_from < lunch_until:
            lunch = (lunch_from, lunch_until)
        return cls(
            zone=zone,
            calendar=calendar,
            start=9 * 60 if start is None else start,
            end=20 * 60 if end is None else end,
            lunch=lunch,
            evening=18 * 60 if evening is None else evening,
            closes_at=campaign.closes(),
        )

    def windows(self, day: dt.date) -> list[tuple[int, int, str]]:
        """The calling windows of a local day: (from, until, slot), minutes after midnight."""
        if day in self.calendar.holidays:
            return []
        if self.start <= self.end:
            spans = [(self.start, self.end)]
        else:  # hours across midnight: the evening's start and the small hours' end
            spans = [(0, self.end), (self.start, DAY)]
        if self.lunch is not None:
            spans = [piece for span in spans for piece in _minus(span, self.lunch)]
        if not self.calendar.is_working_day(day):
            return [(a, b, WEEKEND) for a, b in spans if a < b]
        found = []
        for a, b in spans:
            found += [(a, min(b, self.evening), DAYTIME), (max(a, self.evening), b, EVENING)]
        return [(a, b, slot) for a, b, slot in found if a < b]

    def local(self, moment: dt.datetime) -> dt.datetime:
        """A stored UTC time (naive) on the campaign's clock (naive)."""
        return moment.replace(tzinfo=dt.UTC).astimezone(self.zone).replace(tzinfo=None)

    def utc(self, local: dt.datetime) -> dt.datetime:
        """A wall-clock time of the campaign's zone as stored (naive UTC)."""
        return local.replace(tzinfo=self.zone).astimezone(dt.UTC).replace(tzinfo=None)

    def slot_at(self, moment: dt.datetime) -> str | None:
        """The slot a UTC moment falls in; None when nobody may be called then."""
        if self.closes_at is not None and moment >= self.closes_at:
            return None
        local = self.local(moment)
        now = local.hour * 60 + local.minute
        for a, b, slot in self.windows(local.date()):
            if a <= now < b:
                return slot
        return None

    def next_call(
        self,
        earliest: dt.datetime,
        earlier_attempts: Iterable[dt.datetime] = (),
        *,
        spread: bool = True,
    ) -> dt.datetime | None:
        """The first moment from ``earliest`` (UTC) to call again; None when none is left.

        With ``spread``, the slot tried least among ``earlier_attempts`` (UTC)
        comes first, then a day on which that slot was not tried yet, then the
        earliest, among the windows of the week from ``earliest`` (the first
        window after it when the week has none, a week of public holidays);
        without it (a line busy a minute ago) simply the earliest moment allowed.
        """
        attempts = list(earlier_attempts)
        counts = Counter(self.slot_at(t) for t in attempts)
        tried = {(self.local(t).date(), self.slot_at(t)) for t in attempts}
        first = self.local(earliest)
        best: tuple[tuple[int, bool, dt.datetime], dt.datetime] | None = None
        for offset in range(HORIZON_DAYS):
            day = first.date() + dt.timedelta(days=offset)
            if offset == SPREAD_DAYS and best is not None:
                break  # a slot is worth waiting for within a week, not beyond
            for a, b, slot in self.windows(day):
                start = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=a)
                stop = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=b)
                begin = max(start, first)
                if begin >= stop:
                    continue
                key = (counts[slot], (day, slot) in tried, begin) if spread else (0, False, begin)
                if best is None or key < best[0]:
                    best = (key, begin)
            if best is not None and not spread:
                break
        if best is None:
            return None
        moment = self.utc(best[1])
        if self.closes_at is not None and moment >= self.closes_at:
            return None
        return moment


def _minus(span: tuple[int, int], cut: tuple[int, int]) -> list[tuple[int, int]]:
    """A span of minutes without the cut (lunch): zero, one or two spans."""
    a, b = span
    c, d = cut
    return [(a, min(b, c)), (max(a, d), b)] if c < b and d > a else [span]
