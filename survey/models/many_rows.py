"""A card's few rows of a table in one INSERT of that many rows, not one execution per row.

A card stores a handful of rows in each of three tables (its answers, its
indicator scores, its monthly summary cells). Sent as an executemany, each row
is an execution of its own: PostgreSQL's driver pipelines them, and the server
binds, plans and runs every one. One ``INSERT ... VALUES (...), (...)`` of n
rows is one execution.

The statement is SQL text, made once per table, columns and row count, values
bound as ``:<column>_<row>``: SQLAlchemy does not cache the compiled form of a
multi-row ``insert().values([...])`` ("multivalues are simply not cacheable"),
and compiling it for every card cost more than it saved. The text is the same
on SQLite and PostgreSQL (both take ``ON CONFLICT ... DO UPDATE`` with
``excluded``). Names come from this code's own tables, never from a request.
More than MOST_ROWS rows (a burst held, a campaign rebuilt) go as an
executemany of the one-row statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection

# The most rows sent as one statement (more than a card's answers; 32 x 14 columns of a
# summary row stay far below either database's limit on bound parameters).
MOST_ROWS = 32


@lru_cache(maxsize=256)
def rows_insert(table: str, columns: tuple[str, ...], count: int, tail: str = "") -> TextClause:
    """``INSERT INTO table (columns) VALUES`` ``count`` rows, then ``tail`` (ON CONFLICT ...)."""
    rows = ", ".join(
        "(" + ", ".join(f":{column}_{i}" for column in columns) + ")" for i in range(count)
    )
    return text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {rows}{tail}")


def send_rows(
    connection: Connection,
    one_row: Any,
    rows: Sequence[Mapping[str, Any]],
    tail: str = "",
) -> None:
    """Insert ``rows`` (each with the same keys) into ``one_row``'s table: one statement, when few.

    ``one_row`` is the one-row Core statement (with ``tail``'s clause, if any) that an
    executemany sends when the rows are more than MOST_ROWS.
    """
    if not rows:
        return
    if len(rows) > MOST_ROWS:
        connection.execute(one_row, [dict(row) for row in rows])
        return
    statement = rows_insert(one_row.table.name, tuple(rows[0]), len(rows), tail)
    bound = {f"{key}_{i}": value for i, row in enumerate(rows) for key, value in row.items()}
    connection.execute(statement, bound)
