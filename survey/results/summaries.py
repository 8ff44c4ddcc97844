"""Per-stratum summaries of indicator scores: the one SQL query behind every result.

The statistics need, per cell of the table and per group (stratum), only the
count, the sum and the sum of squares of the respondents' scores and the count
of satisfied respondents. One ``GROUP BY`` over ``response_score`` gives all of
it, so a results page over millions of responses is one query, on SQLite and on
PostgreSQL alike; everything after that works on a few hundred small rows.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import String, case, func, literal_column, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..models import (
    CHANNELS,
    Campaign,
    CampaignGroup,
    FollowUpCase,
    Group,
    Response,
    ResponseScore,
    ServicePoint,
    Unit,
)

__all__ = [
    "BY_KEYS",
    "CellKey",
    "Period",
    "ResultsError",
    "StratumSummary",
    "local_period",
    "parse_period",
    "resolve_period",
    "stratum_summaries",
    "utc_offset_minutes",
]


def N_(msgid: str) -> str:
    """Mark a message for extraction (pybabel's default N_ keyword); translated later."""
    return msgid


def text(msgid: str, **params: Any) -> str:
    """The message in the reader's language inside a request, in English elsewhere.

    The results service also runs from the CLI, exports and benchmarks, where no
    request (and so no reader's language) exists; there the English msgid is used.
    """
    if has_request_context():
        return gettext(msgid, **params)
    return msgid % params if params else msgid


class ResultsError(ValueError):
    """A results request that cannot be answered as asked, with a message saying why.

    ``str(error)`` is English (logs, CLI); :meth:`message` is in the reader's
    language when called inside a request.
    """

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % params if params else msgid)

    def message(self) -> str:
        return text(self.msgid, **self.params)


# What a results table may be broken down by.
BY_KEYS: tuple[str, ...] = (
    "unit",
    "service_point",
    "group",
    "channel",
    "indicator",
    "year",
    "quarter",
    "month",
)
PERIOD_KINDS: tuple[str, ...] = ("year", "quarter", "month")


@dataclass(frozen=True, slots=True)
class CellKey:
    """Which cell of a results table a row belongs to; keys not broken down by are None.

    Periods are strings in the campaign's time zone: year "2025", quarter
    "2025-Q2", month "2025-06" (the same spelling a named period filter takes).
    """

    indicator: str | None = None
    unit_id: int | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    service_point_id: int | None = None
    service_point_code: str | None = None
    service_point_name: str | None = None
    group: str | None = None
    channel: str | None = None
    year: str | None = None
    quarter: str | None = None
    month: str | None = None

    def sort_key(self) -> tuple[str, ...]:
        """Order rows by indicator, unit code, point code, group, channel, period; None first."""
        values = (
            self.indicator,
            self.unit_code,
            self.service_point_code,
            self.group,
            self.channel,
            self.year,
            self.quarter,
            self.month,
        )
        return tuple("" if v is None else str(v) for v in values)


@dataclass(frozen=True, slots=True)
class StratumSummary:
    """One group's sums within one cell: all the statistics need (Stratum.from_sums)."""

    cell: CellKey
    group: str
    n: int
    total: float
    sum_of_squares: float
    satisfied: int


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open range of local dates [start, end) and how it was asked for."""

    start: dt.date
    end: dt.date
    label: str


# ---------------------------------------------------------------------------
# Period buckets, compiled per dialect


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


# ---------------------------------------------------------------------------
# Named periods

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
        return Period(first, last + dt.timedelta(days=1), f"{first}..{last}")
    raw = str(period).strip()
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
    raise ResultsError(
        N_(
            "%(value)s is not a period: write a year (2025), a quarter (2025-Q2), "
            "a month (2025-06) or give two dates."
        ),
        value=repr(period),
    )


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


def check_by(by: Sequence[str] | str) -> tuple[str, ...]:
    """Validate the break-down keys (a single string is one key, not letters)."""
    keys = (by,) if isinstance(by, str) else tuple(by)
    unknown = [key for key in keys if key not in BY_KEYS]
    if unknown:
        raise ResultsError(
            N_("Results cannot be broken down by %(keys)s; choose from %(choices)s."),
            keys=", ".join(map(repr, unknown)),
            choices=", ".join(BY_KEYS),
        )
    if len(set(keys)) != len(keys):
        raise ResultsError(N_("A break-down key is repeated in %(keys)s."), keys=", ".join(keys))
    return keys


def _as_tuple(value: Iterable[Any] | Any | None) -> tuple[Any, ...] | None:
    if value is None:
        return None
    if isinstance(value, str | int):
        return (value,)
    return tuple(value)


# ---------------------------------------------------------------------------
# The query


def not_excluded(response_id: Any = Response.id) -> Any:
    """The condition that a response's bad review was not excluded as malicious or mistaken.

    Excluded with a recorded reason in the follow-up, such a response no
    longer counts anywhere: figures, fieldwork counts, comments and the
    small-cell counts that decide what is shown. (NOT IN over the few
    excluded ids: one hashed lookup per row, where a correlated NOT EXISTS
    was planned as a loop over the follow-up table for every response.)
    """
    return response_id.not_in(
        select(FollowUpCase.response_id).where(FollowUpCase.status == "excluded")
    )


def stratum_summaries(
    campaign: Campaign,
    *,
    indicator: str | Sequence[str],
    by: Sequence[str] | str = ("unit",),
    period: str | tuple[dt.date, dt.date] | Period | None = None,
    units: Iterable[int] | int | None = None,
    channels: Iterable[str] | str | None = None,
    include_flagged: bool = False,
) -> list[StratumSummary]:
    """n, sum, sum of squares and satisfied count per cell of ``by`` and per group.

    Exactly one SQL statement. Counted are the campaign's own submitted
    responses of groups configured in the campaign. Responses flagged as a burst
    of submissions from one client on a reusable code are left out unless
    ``include_flagged``: they are kept for review, but until someone has looked
    at them they should not move a unit's figures.

    ``indicator`` may be several indicators at once (then "indicator" is part
    of every cell's key): one scan of the scores for a whole dashboard.
    """
    keys = check_by(by)
    indicators = _as_tuple(indicator) or ()
    if not indicators or not all(isinstance(i, str) and i for i in indicators):
        raise ResultsError(N_("Name at least one indicator."))
    if len(indicators) > 1 and "indicator" not in keys:
        keys = ("indicator", *keys)
    window = resolve_period(campaign, period)
    unit_ids = _as_tuple(units)
    channel_list = _as_tuple(channels)
    if channel_list is not None:
        bad = [c for c in channel_list if c not in CHANNELS]
        if bad:
            raise ResultsError(
                N_("Unknown channel %(channels)s; channels are %(choices)s."),
                channels=", ".join(map(repr, bad)),
                choices=", ".join(CHANNELS),
            )
    offset = utc_offset_minutes(campaign) if window or set(keys) & set(PERIOD_KINDS) else 0

    rs, r = ResponseScore, Response
    # Inner query: aggregate by ids only. Its group count (indicators x units x
    # groups ...) is what the planner can estimate from column statistics, so it
    # picks a small in-memory hash aggregate; grouping by names and codes too
    # made it expect a group per row and sort millions of rows on disk.
    inner_columns: list[Any] = [r.group_id.label("group_id")]
    for key in keys:
        if key == "indicator":
            inner_columns.append(rs.indicator.label("indicator"))
        elif key == "unit":
            inner_columns.append(r.unit_id.label("unit_id"))
        elif key == "service_point":
            inner_columns.append(r.service_point_id.label("service_point_id"))
        elif key == "channel":
            inner_columns.append(r.channel.label("channel"))
        elif key in PERIOD_KINDS:
            inner_columns.append(local_period(r.submitted_at, key, offset).label(key))
    inner = (
        select(
            *inner_columns,
            func.count().label("n"),
            func.sum(rs.score).label("total"),
            func.sum(rs.score * rs.score).label("sum_of_squares"),
            func.sum(case((rs.satisfied, 1), else_=0)).label("satisfied"),
        )
        .select_from(rs)
        .join(r, r.id == rs.response_id)
        .where(r.campaign_id == campaign.id, r.submitted_at.is_not(None))
    )
    if len(indicators) == 1:
        inner = inner.where(rs.indicator == indicators[0])
    else:
        inner = inner.where(rs.indicator.in_(indicators))
    if not include_flagged:
        inner = inner.where(r.flagged.is_(False))
    inner = inner.where(not_excluded(r.id))
    if unit_ids is not None:
        inner = inner.where(r.unit_id.in_([int(u) for u in unit_ids]))
    if channel_list is not None:
        inner = inner.where(r.channel.in_(channel_list))
    if window is not None:
        shift = dt.timedelta(minutes=offset)
        start = dt.datetime.combine(window.start, dt.time()) - shift
        end = dt.datetime.combine(window.end, dt.time()) - shift
        inner = inner.where(r.submitted_at >= start, r.submitted_at < end)
    # A period bucket is grouped by its position in the select list, so the
    # expression is written once (PostgreSQL and SQLite both accept ordinals).
    inner = inner.group_by(
        *(
            literal_column(str(i + 1)) if getattr(c, "name", None) in PERIOD_KINDS else c.element
            for i, c in enumerate(inner_columns)
        )
    ).subquery("sums")

    # Outer query: names and codes for the few thousand aggregated rows; only
    # groups configured in the campaign count.
    names: list[str] = []
    columns: list[Any] = []
    for key in keys:
        if key == "unit":
            names += ["unit_id", "unit_code", "unit_name"]
            columns += [inner.c.unit_id, Unit.code.label("unit_code"), Unit.name.label("unit_name")]
        elif key == "service_point":
            names += ["service_point_id", "service_point_code", "service_point_name"]
            columns += [
                inner.c.service_point_id,
                ServicePoint.code.label("service_point_code"),
                ServicePoint.name.label("service_point_name"),
            ]
        elif key == "group":
            names.append("group")
            columns.append(Group.code.label("group"))
        else:
            names.append(key)
            columns.append(inner.c[key])
    stmt = (
        select(
            *columns,
            Group.code.label("stratum"),
            inner.c.n,
            inner.c.total,
            inner.c.sum_of_squares,
            inner.c.satisfied,
        )
        .select_from(inner)
        .join(Group, Group.id == inner.c.group_id)
        .join(
            CampaignGroup,
            (CampaignGroup.campaign_id == campaign.id)
            & (CampaignGroup.group_id == inner.c.group_id),
        )
    )
    if "unit" in keys:
        stmt = stmt.join(Unit, Unit.id == inner.c.unit_id)
    if "service_point" in keys:
        stmt = stmt.outerjoin(ServicePoint, ServicePoint.id == inner.c.service_point_id)

    out: list[StratumSummary] = []
    for row in db.session.execute(stmt):
        mapping = row._mapping
        cell_values = {name: mapping[name] for name in names}
        if len(indicators) == 1:
            cell_values.setdefault("indicator", indicators[0])
        for name in ("unit_id", "service_point_id"):
            if cell_values.get(name) is not None:
                cell_values[name] = int(cell_values[name])
        out.append(
            StratumSummary(
                cell=CellKey(**cell_values),
                group=mapping["stratum"],
                n=int(mapping["n"]),
                total=float(mapping["total"]),
                sum_of_squares=float(mapping["sum_of_squares"]),
                satisfied=int(mapping["satisfied"]),
            )
        )
    out.sort(key=lambda s: (s.cell.sort_key(), s.group))
    return out
