"""Per-stratum summaries of indicator scores: the one SQL query behind every result.

The statistics need, per cell of the table and per group (stratum), only the
count, the sum and the sum of squares of the respondents' scores and the count
of satisfied respondents. One ``GROUP BY`` over ``response_score`` gives all of
it, so a results page over millions of responses is one query, on SQLite and on
PostgreSQL alike; everything after that works on a few hundred small rows.
Periods are buckets in the campaign's time zone (:mod:`.periods`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, case, func, literal_column, select

from ..extensions import db
from ..models import (
    CHANNELS,
    Campaign,
    CampaignGroup,
    Group,
    Response,
    ResponseScore,
    ServicePoint,
    Unit,
)
from .messages import N_, ResultsError, text
from .month_sums import SumFilters, months_answer, sums_from_months
from .periods import (
    PERIOD_KINDS,
    Period,
    local_period,
    parse_period,
    resolve_period,
    utc_offset_minutes,
)
from .replica import read_sums
from .running import not_excluded, sync_pending
from .table_counts import Fingerprint, TableKey

__all__ = [
    "BY_KEYS",
    "N_",
    "CellKey",
    "Period",
    "ResultsError",
    "StratumSummary",
    "check_by",
    "local_period",
    "not_excluded",
    "parse_period",
    "resolve_period",
    "stratum_summaries",
    "text",
    "utc_offset_minutes",
]


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
    """One group's sums within one cell: all the statistics need (Stratum.from_sums).

    ``withheld`` is set by disclosure control (:mod:`.protection`): "primary"
    (fewer than k) or "secondary" (withheld beside one); such a part carries
    no count or sum.
    """

    cell: CellKey
    group: str
    n: int
    total: float
    sum_of_squares: float
    satisfied: int
    withheld: Literal["", "primary", "secondary"] = ""


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
    return summaries_and_fingerprints(
        campaign,
        indicator=indicator,
        by=by,
        period=period,
        units=units,
        channels=channels,
        include_flagged=include_flagged,
    )[0]


def summaries_and_fingerprints(
    campaign: Campaign,
    *,
    indicator: str | Sequence[str],
    by: Sequence[str] | str = ("unit",),
    period: str | tuple[dt.date, dt.date] | Period | None = None,
    units: Iterable[int] | int | None = None,
    channels: Iterable[str] | str | None = None,
    include_flagged: bool = False,
    with_fingerprints: bool = False,
) -> tuple[list[StratumSummary], dict[TableKey, Fingerprint] | None]:
    """:func:`stratum_summaries`, and with ``with_fingerprints`` the tables' fingerprints.

    Disclosure control looks its tables up by their fingerprints
    (:mod:`.table_counts`). When this read is of counted cards broken down
    by unit, no channel cut out, each row's atoms are a disjoint part of one
    table, and a fingerprint adds up over parts: the same scan gives both,
    instead of a second scan of the same rows. A period of whole months is
    read the same way, its rows outside the period counted in the
    fingerprints only (:mod:`.month_sums`). Otherwise the fingerprints are
    None and the caller reads them.
    """
    keys = check_by(by)
    indicators = _as_tuple(indicator) or ()
    if not indicators or not all(isinstance(i, str) and i for i in indicators):
        raise ResultsError(N_("Name at least one indicator."))
    if len(indicators) > 1 and "indicator" not in keys:
        keys = ("indicator", *keys)
    window = resolve_period(campaign, period)
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
    where = SumFilters(indicators, window, _as_tuple(units), channel_list, include_flagged, offset)
    sync_pending(db.session)  # changes of this transaction not yet in the running sums
    whole = with_fingerprints and months_answer(where) and where.channels is None and (
        "unit" in keys
    )
    if months_answer(where):
        inner = sums_from_months(campaign.id, keys, where, fingerprints=whole).subquery("sums")
    else:
        inner = _sums_by_ids(campaign, keys, where).subquery("sums")
    names, stmt = _with_names(campaign, keys, inner, fingerprints=whole)
    prints: dict[TableKey, Fingerprint] | None = {} if whole else None
    return _summaries(read_sums(stmt), names, indicators, prints), prints


def _sums_by_ids(campaign: Campaign, keys: Sequence[str], where: SumFilters) -> Select[Any]:
    """The inner query: the sums, grouped by ids only.

    Its group count (indicators x units x groups ...) is what the planner can
    estimate from column statistics, so it picks a small in-memory hash
    aggregate; grouping by names and codes too made it expect a group per row
    and sort millions of rows on disk.
    """
    rs, r = ResponseScore, Response
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
            inner_columns.append(local_period(r.submitted_at, key, where.offset).label(key))
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
    if len(where.indicators) == 1:
        inner = inner.where(rs.indicator == where.indicators[0])
    else:
        inner = inner.where(rs.indicator.in_(where.indicators))
    if not where.include_flagged:
        inner = inner.where(r.flagged.is_(False))
    inner = inner.where(not_excluded(r.id))
    if where.units is not None:
        inner = inner.where(r.unit_id.in_([int(u) for u in where.units]))
    if where.channels is not None:
        inner = inner.where(r.channel.in_(where.channels))
    if where.window is not None:
        shift = dt.timedelta(minutes=where.offset)
        start = dt.datetime.combine(where.window.start, dt.time()) - shift
        end = dt.datetime.combine(where.window.end, dt.time()) - shift
        inner = inner.where(r.submitted_at >= start, r.submitted_at < end)
    # A period bucket is grouped by its position in the select list, so the
    # expression is written once (PostgreSQL and SQLite both accept ordinals).
    return inner.group_by(
        *(
            literal_column(str(i + 1)) if getattr(c, "name", None) in PERIOD_KINDS else c.element
            for i, c in enumerate(inner_columns)
        )
    )


def _with_names(
    campaign: Campaign, keys: Sequence[str], inner: Any, *, fingerprints: bool = False
) -> tuple[list[str], Any]:
    """The outer query: names and codes for the few thousand aggregated rows.

    Only groups configured in the campaign count.
    """
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
            *(
                (inner.c.atoms, inner.c.h1, inner.c.h2, inner.c.table_n, inner.c.rows_in)
                if fingerprints
                else ()
            ),
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
    return names, stmt


def _summaries(
    result: Any,
    names: list[str],
    indicators: tuple[str, ...],
    prints: dict[TableKey, Fingerprint] | None = None,
) -> list[StratumSummary]:
    """The rows as StratumSummary, sorted by cell and group.

    Read by position (the select lists ``names`` and then stratum, n, total,
    sum of squares, satisfied): a page of 1,000 units reads tens of thousands
    of rows, and a mapping per row cost more than the query.
    """
    width = len(names)
    ids = [i for i, name in enumerate(names) if name in ("unit_id", "service_point_id")]
    one_indicator = indicators[0] if len(indicators) == 1 and "indicator" not in names else None
    # The groups of a cell share its key: one CellKey (and one sort key) per cell, not per
    # row; the cells are sorted, then each cell's few groups (not every row at once).
    cells: dict[tuple[Any, ...], tuple[CellKey, tuple[str, ...], list[StratumSummary]]] = {}
    for row in result:
        values = row[:width]
        known = cells.get(values)
        if known is None:
            cell_values = dict(zip(names, values, strict=True))
            for i in ids:
                if values[i] is not None:
                    cell_values[names[i]] = int(values[i])
            if one_indicator is not None:
                cell_values["indicator"] = one_indicator
            cell = CellKey(**cell_values)
            known = cells[values] = (cell, cell.sort_key(), [])
        stratum, n, total, squares, satisfied = row[width : width + 5]
        if prints is not None and not _add_print(prints, known[0], stratum, row[width + 5 :]):
            continue  # no summary row inside the period: no part of the answer
        known[2].append(StratumSummary(
            known[0], stratum, int(n), float(total), float(squares), int(satisfied)
        ))
    out: list[StratumSummary] = []
    for _, _, members in sorted(cells.values(), key=lambda entry: entry[1]):
        members.sort(key=lambda summary: summary.group)
        out.extend(members)
    return out


def _add_print(prints: dict[TableKey, Fingerprint], cell: CellKey, group: str,
               part: Sequence[Any]) -> bool:
    """Add a row's part (atoms, h1, h2, n over every month, rows inside the period) to its
    table's fingerprint; whether the row has summary rows inside the period."""
    atoms, first, second, table_n, rows_in = part
    if table_n > 0:  # an empty part is no atom of the table
        table = (int(cell.unit_id or 0), group, cell.indicator or "")
        known = prints.get(table)
        prints[table] = (
            (int(atoms), int(table_n), int(first), int(second)) if known is None
            else (known[0] + int(atoms), known[1] + int(table_n), known[2] + int(first),
                  known[3] + int(second))
        )
    return bool(rows_in)
