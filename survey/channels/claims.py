"""Claiming one row of a work queue so that two workers never take the same one.

The call queue (operators) and the SMS outbox (send workers) are both work
queues in a table. On PostgreSQL the due row is locked with ``FOR UPDATE SKIP
LOCKED``, so concurrent claimers pass over each other instead of waiting; on
SQLite, which has no row locks, the claim is a conditional UPDATE that only
one writer can win, and the loser tries the next candidate.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Update, select

from ..extensions import db, rows_changed


def claim_one(
    id_column: Any,
    due: ColumnElement[bool],
    order: tuple[Any, ...],
    claim: Update,
    still_free: ColumnElement[bool],
    candidates: int = 20,
) -> int | None:
    """Apply ``claim`` to the first row that is ``due`` in ``order``; its id, or None.

    ``still_free`` is re-checked in the UPDATE on databases without row locks,
    so a row another claimer took in the meantime is not taken twice. Does not
    commit: the caller commits the claim at once, before doing the work.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        row_id = db.session.execute(
            select(id_column).where(due).order_by(*order).limit(1).with_for_update(skip_locked=True)
        ).scalar_one_or_none()
        if row_id is not None:
            db.session.execute(claim.where(id_column == row_id))
        return row_id
    rows = (
        db.session.execute(select(id_column).where(due).order_by(*order).limit(candidates))
        .scalars()
        .all()
    )
    for row_id in rows:
        if rows_changed(claim.where(id_column == row_id, still_free)) == 1:
            return row_id
    return None
