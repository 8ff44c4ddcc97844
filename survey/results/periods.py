"""Periods: named ones ("2025", "2025-Q2", "2025-06"), and buckets of a timestamp in SQL.

Periods (month, quarter, year) are buckets of ``Response.submitted_at`` in the
campaign's own time zone: a card submitted at 23:30 in Beijing on 30 June
belongs to June, although it is stored as 15:30 UTC. The shift is the zone's
fixed UTC offset, which is exact for zones without daylight saving time, such
as Asia/Shanghai (the offset of 1 January of the campaign's first year is
used otherwise).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..models import Campaign
from .messages import N_, ResultsError

PERIOD_KINDS: tuple[str, ...] = ("year", "quarter", "month")


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open range of local dates [start, end) and how it was asked for."""

    start: dt.date
    end: dt.date
    label: str


class local_period(FunctionElement):  # noqa: N801 - reads like the SQL function it stands for
    """``local_period(column, kind, offset_minutes)``: "2025", "2025-Q2" or "2025-06".

    One construct compiled per dialect (strftime on SQLite, to_char on
    PostgreSQL), so the same statement runs on both. ``kind`` and the offset are
    rendered as literals, not bound parameters: PostgreSQL accepts a GROUP BY
    only when its expression is textually the select list's, and two bound
    parameters are two different expressions to it.
    """

    type = String()
    name = "local_period"
    inherit_cache = True

    def __init__(self, column: Any, kind: str, offset_minutes: int) -> None:
        if kind not in PERIOD_KINDS:
            raise ValueError(f"kind must be one of {PERIOD_KINDS}, got {kind!r}")
        super().__init__(
            column, literal_column(f"'{kind}'"), literal_column(str(int(offset_minutes)))
        )


def _period_parts(element: local_period, compiler: Any, **kw: Any) -> tuple[str, str, int]:
    column, kind, offset = list(element.clauses)
    return compiler.process(column, **kw), kind.name.strip("'"), int(offset.name)


@compiles(local_period)
def _local_period_sqlite(element: local_period, compiler: Any, **kw: Any) -> str:
    column, kind, offset = _period_parts(element, compiler, **kw)
    shift = f"'{offset:+d} minutes'"
    if kind == "year":
        return f"strftime('%Y', {column}, {shift})"
    if kind == "month":
        return f"strftime('%Y-%m', {column}, {shift})"
    return (
        f"(strftime('%Y', {column}, {shift}) || '-Q' || "
        f"((CAST(strftime('%m', {column}, {shift}) AS INTEGER) + 2) / 3))"
    )


@compiles(local_period, "postgresql")
def _local_period_postgresql(element: local_period, compiler: Any, **kw: Any) -> str:
    column, kind, offset = _period_parts(element, compiler, **kw)
    pattern = {"year": "YYYY", "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q'}[kind]
    return f"to_char({column} + interval '{offset} minutes', '{pattern}')"


def utc_offset_minutes(campaign: Campaign) -> int:
    """The campaign time zone's UTC offset in minutes (480 for Asia/Shanghai)."""
    try:
        zone = ZoneInfo(campaign.timezone or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ResultsError(
            N_("The campaign's time zone %(zone)s is not known."), zone=campaign.timezone
        ) from exc
    moment = dt.datetime(campaign.period_start.year, 1, 1, 12, tzinfo=zone)
    offset = moment.utcoffset() or dt.timedelta(0)
    return int(offset.total_seconds() // 60)


_YEAR = re.compile(r"^(\d{4})$")


_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month_start(year: int, month: int) -> dt.date:
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(period: str | tuple[dt.date, dt.date] | Period) -> Period:
    """A named period ("2025", "2025-Q2", "2025-06") or (first day, last day) as a Period."""
    if isinstance(period, Period):
        return period
    if isinstance(period, tuple):
        if len(period) != 2 or not all(isinstance(d, dt.date) for d in period):
            raise ResultsError(
                N_("A period range must be two dates (first day, last day), got %(value)s."),
                value=repr(period),
            )
        first, last = (d.date() if isinstance(d, dt.datetime) else d for d in period)
        if last < first:
            raise ResultsError(
                N_("The period ends (%(last)s) before it starts (%(first)s)."),
                first=first.isoformat(),
                last=last.isoformat(),
            )
        if last == dt.date.max:
            raise ResultsError(
                N_("The period ends (%(last)s) past the end of the calendar."),
                last=last.isoformat(),
            )
        return Period(first, last + dt.timedelta(days=1), f"{first}..{last}")
    raw = str(period).strip()
    try:
        found = _named_period(raw)
    except (ValueError, OverflowError):
        found = None  # a year the calendar has no room for (0000, 9999's successor)
    if found is not None:
        return found
    raise ResultsError(
        N_(
            "%(value)s is not a period: write a year (2025), a quarter (2025-Q2), "
            "a month (2025-06) or give two dates."
        ),
        value=repr(period),
    )


def _named_period(raw: str) -> Period | None:
    """A year, quarter or month by name; None when ``raw`` is none of them."""
    if m := _YEAR.match(raw):
        year = int(m.group(1))
        return Period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), raw)
    if m := _QUARTER.match(raw):
        year, quarter = int(m.group(1)), int(m.group(2))
        start = _month_start(year, 3 * quarter - 2)
        return Period(start, _month_start(year, 3 * quarter + 1), f"{year}-Q{quarter}")
    if m := _MONTH.match(raw):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            return Period(_month_start(year, month), _month_start(year, month + 1), raw)
    return None


def resolve_period(
    campaign: Campaign, period: str | tuple[dt.date, dt.date] | Period | None
) -> Period | None:
    """The period clipped to the campaign's period; an error when they do not overlap.

    A calendar year of a cycle that starts in July covers only half of that
    year's campaign days, so partial overlap is allowed and clipped (the label
    keeps what was asked); a period with no day inside the campaign is an error,
    because it can only be a typing mistake.
    """
    if period is None:
        return None
    wanted = parse_period(period)
    start = max(wanted.start, campaign.period_start)
    end = min(wanted.end, campaign.period_end + dt.timedelta(days=1))
    if start >= end:
        raise ResultsError(
            N_(
                "The period %(period)s lies outside the campaign %(campaign)s, "
                "which runs from %(start)s to %(end)s."
            ),
            period=wanted.label,
            campaign=campaign.code,
            start=campaign.period_start.isoformat(),
            end=campaign.period_end.isoformat(),
        )
    return Period(start, end, wanted.label)
