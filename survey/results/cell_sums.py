"""Increments to the monthly sums: the cells a change touches and one upsert that adds them.

Split from :mod:`survey.results.running` (which decides *which* responses moved in
or out of the figures) because every card's POST ends here, so its cost is a
card's cost: the upsert of a card's few cells is one statement of that many
rows, made once per dialect and row count (survey.models.many_rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..models import MonthlySummary
from ..models.many_rows import send_rows
from .atom_hash import atom_hash_columns

# Per cell: [n, total, sum of squares, satisfied] to add (negative to take away).
Sums = list[float]


@dataclass(frozen=True, slots=True)
class SummaryCell:
    """One row of ``monthly_summary``: a cell of the results and a month."""

    campaign_id: int
    unit_id: int
    service_point_id: int | None
    group_id: int
    channel: str
    indicator: str
    month: str

    @property
    def key(self) -> str:
        """The row's ``cell_key``; the rebuild spells it the same way in SQL."""
        point = "-" if self.service_point_id is None else str(self.service_point_id)
        return ":".join(
            (
                str(self.campaign_id),
                str(self.unit_id),
                point,
                str(self.group_id),
                self.channel,
                self.indicator,
                self.month,
            )
        )


def add_score(
    deltas: dict[SummaryCell, Sums], cell: SummaryCell, score: float, satisfied: bool, sign: int
) -> None:
    """Add (sign 1) or take away (sign -1) one respondent's score in ``cell``."""
    sums = deltas.setdefault(cell, [0, 0.0, 0.0, 0])
    sums[0] += sign
    sums[1] += sign * score
    sums[2] += sign * score * score
    sums[3] += sign * int(bool(satisfied))


def month_of(submitted_at: dt.datetime, offset: dt.timedelta) -> str:
    """The month a submission (naive UTC) falls in, in a campaign's time zone."""
    return (submitted_at + offset).strftime("%Y-%m")


def merge(into: dict[SummaryCell, Sums], more: Mapping[SummaryCell, Sums]) -> None:
    """Add ``more``'s increments to ``into``'s, cell by cell."""
    for cell, sums in more.items():
        have = into.setdefault(cell, [0, 0.0, 0.0, 0])
        for i, value in enumerate(sums):
            have[i] += value


@lru_cache(maxsize=4)
def _upsert(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (cell_key) DO UPDATE SET n = n + excluded.n, ...``, once."""
    table: Table = MonthlySummary.__table__  # type: ignore[assignment]
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return _adding(insert(table), table)


# The same ON CONFLICT clause as _adding's, for the rows of a card sent as one statement.
_ADDING = " ON CONFLICT (cell_key) DO UPDATE SET" + ",".join(
    f" {c} = monthly_summary.{c} + excluded.{c}"
    for c in ("n", "total", "sum_of_squares", "satisfied")
)


def _adding(statement: Any, table: Table) -> Any:
    """``statement`` adding its sums to a cell's row that is there already."""
    return statement.on_conflict_do_update(
        index_elements=["cell_key"],
        set_={
            "n": table.c.n + statement.excluded.n,
            "total": table.c.total + statement.excluded.total,
            "sum_of_squares": table.c.sum_of_squares + statement.excluded.sum_of_squares,
            "satisfied": table.c.satisfied + statement.excluded.satisfied,
        },
    )


def _row(cell: SummaryCell, sums: Sums) -> dict[str, Any]:
    return {
        "cell_key": cell.key,
        "campaign_id": cell.campaign_id,
        "unit_id": cell.unit_id,
        "service_point_id": cell.service_point_id,
        "group_id": cell.group_id,
        "channel": cell.channel,
        "indicator": cell.indicator,
        "month": cell.month,
        "n": int(sums[0]),
        "total": sums[1],
        "sum_of_squares": sums[2],
        "satisfied": int(sums[3]),
        **atom_hash_columns(cell.channel, cell.service_point_id, cell.month),
    }


def apply_deltas(session: Any, deltas: Mapping[SummaryCell, Sums]) -> None:
    """Upsert every cell's increment; drop the cells left with nobody.

    Rows go in ``cell_key`` order, so two transactions lock shared rows in the
    same order and cannot deadlock each other. Cells whose increment is zero
    (a card added and taken away in one transaction) are left alone.
    """
    rows = [
        _row(cell, sums)
        for cell, sums in sorted(deltas.items(), key=lambda item: item[0].key)
        if any(sums)
    ]
    if not rows:
        return
    # On the session's connection: a Core statement needs none of the ORM's execution.
    connection = session.connection()
    dialect = connection.dialect.name
    send_rows(connection, _upsert(dialect), rows, _ADDING)
    emptied = [str(row["cell_key"]) for row in rows if int(row["n"]) < 0]
    if emptied:
        session.execute(
            delete(MonthlySummary).where(
                MonthlySummary.cell_key.in_(emptied), MonthlySummary.n <= 0
            )
        )


def cells_of_card(
    base: SummaryCell, scores: Iterable[tuple[str, float, bool]]
) -> dict[SummaryCell, Sums]:
    """A new card's increments: one per indicator score, in ``base``'s cell and month."""
    deltas: dict[SummaryCell, Sums] = {}
    for indicator, score, satisfied in scores:
        cell = SummaryCell(
            base.campaign_id,
            base.unit_id,
            base.service_point_id,
            base.group_id,
            base.channel,
            indicator,
            base.month,
        )
        add_score(deltas, cell, score, satisfied, 1)
    return deltas
