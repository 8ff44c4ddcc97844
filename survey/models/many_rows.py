"""A card's few rows of a table in one INSERT of that many rows, not one execution per row.

A card stores a handful of rows in each of three tables (its answers, its
indicator scores, its monthly summary cells). Sent as an executemany, each row
is an execution of its own: PostgreSQL's driver pipelines them, and the server
binds, plans and runs every one. One ``INSERT ... VALUES (...), (...)`` of n
rows is one execution.

The statement is SQL text, made once per table, columns and row count, values
bound by name (``<column>_<row>``): SQLAlchemy does not cache the compiled form
of a multi-row ``insert().values([...])`` ("multivalues are simply not
cacheable"), and compiling it for every card cost more than it saved. The text
is the same on SQLite and PostgreSQL (both take ``ON CONFLICT ... DO UPDATE``
with ``excluded``) but for how a value is named, which is the driver's own
(``:name`` for sqlite3, ``%(name)s`` for psycopg): it goes to the driver as it
is (``exec_driver_sql``, which still fires the engine's events, so the
statement counts see it), not through ``text()``, whose values SQLAlchemy
copied one by one into a new dict on every card (a summary upsert binds over a
hundred) to pass them on unchanged, since a text's values have no type to
process. Names come from this code's own tables, never from a request. More
than MOST_ROWS rows (a burst held, a campaign rebuilt) go as an executemany of
the one-row statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect

# The most rows sent as one statement (more than a card's answers; 32 x 14 columns of a
# summary row stay far below either database's limit on bound parameters).
MOST_ROWS = 32


def value_name(dialect: Dialect) -> str:
    """How the driver names a bound value: a format with ``{}`` for the name.

    psycopg takes ``%(name)s`` (its paramstyle); sqlite3 takes ``:name`` beside
    its declared ``?``. Only these two drivers are run (config.py).
    """
    return "%({})s" if dialect.paramstyle in ("pyformat", "format") else ":{}"


@lru_cache(maxsize=256)
def rows_insert(
    table: str, columns: tuple[str, ...], count: int, tail: str = "", name: str = ":{}"
) -> str:
    """``INSERT INTO table (columns) VALUES`` ``count`` rows, then ``tail`` (ON CONFLICT ...).

    Value ``<column>_<row>`` is written as ``name`` says (:func:`value_name`).
    """
    rows = ", ".join(
        "(" + ", ".join(name.format(f"{column}_{i}") for column in columns) + ")"
        for i in range(count)
    )
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {rows}{tail}"


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
    name = value_name(connection.dialect)
    statement = rows_insert(one_row.table.name, tuple(rows[0]), len(rows), tail, name)
    bound = {f"{key}_{i}": value for i, row in enumerate(rows) for key, value in row.items()}
    connection.exec_driver_sql(statement, bound)


# A child table's part of a family insert: its name, the column naming the parent, the
# columns of its rows, and how many rows.
_ChildShape = tuple[str, str, tuple[str, ...], int]

# Where a session notes that its transaction has written (survey.results.replica reads it).
WROTE = "survey.wrote"


def insert_family(
    session: Any,
    parent: Table,
    values: Mapping[str, Any],
    children: Sequence[tuple[Table, str, Sequence[Mapping[str, Any]]]],
) -> int:
    """PostgreSQL: a row and its children's rows in one statement; the row's ``id``.

    ``children`` are (table, the column naming the parent, rows without it),
    each at most MOST_ROWS rows. One data-modifying ``WITH``: the parent's
    INSERT ... RETURNING id, each child's INSERT taking that id, in one round
    trip where one statement a table took three (a card's row, its answers and
    its scores: on PostgreSQL each execution costs the driver and the server
    more than the rows do). A unique key the parent breaks raises
    IntegrityError as its own INSERT would. Sent on the session's connection,
    the session marked as having written (survey.results.replica).
    """
    kept = [(table, key, rows) for table, key, rows in children if rows]
    shape = tuple((table.name, key, tuple(rows[0]), len(rows)) for table, key, rows in kept)
    connection = session.connection()
    statement = _family_insert(parent.name, tuple(values), shape, value_name(connection.dialect))
    bound = dict(values)
    for n, (_table, _key, rows) in enumerate(kept):
        bound.update(
            {f"c{n}_{name}_{i}": value for i, row in enumerate(rows) for name, value in row.items()}
        )
    session.info[WROTE] = True
    return int(connection.exec_driver_sql(statement, bound).scalar_one())


@lru_cache(maxsize=256)
def _family_insert(
    parent: str, columns: tuple[str, ...], children: tuple[_ChildShape, ...], name: str
) -> str:
    """The statement of :func:`insert_family`, made once per shape (names from our own tables).

    Values are written as ``name`` says (:func:`value_name`).
    """
    parts = [
        f"parent AS (INSERT INTO {parent} ({', '.join(columns)}) "
        f"VALUES ({', '.join(name.format(column) for column in columns)}) RETURNING id)"
    ]
    for n, (table, key, names, count) in enumerate(children):
        rows = ", ".join(
            "((SELECT id FROM parent), "
            + ", ".join(name.format(f"c{n}_{column}_{i}") for column in names)
            + ")"
            for i in range(count)
        )
        parts.append(f"c{n} AS (INSERT INTO {table} ({key}, {', '.join(names)}) VALUES {rows})")
    return "WITH " + ", ".join(parts) + " SELECT id FROM parent"
