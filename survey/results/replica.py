"""Where the results read their sums: the primary database, or a read replica.

Every results page, export, report and API call reads the running monthly
sums (:mod:`.summaries`, :mod:`.table_counts`). Where the evaluators' reads
weigh on the primary, ``SURVEY_REPLICA_DATABASE_URL`` names a streaming
replica and those reads go there; everything else (settings, comments, the
respondents' cards, every write) stays on the primary. A replica's figures
lag the primary by the replica's delay.

A transaction that has written is read on the primary: a change it made (a
card entered, a burst accepted) is not on the replica yet, and its own
figures must show it. Writes are noticed as they flush and as DML statements
run through the session, or marked by the code that writes on the session's
connection (survey.models.many_rows.insert_family); the mark goes when the
transaction ends.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..models.many_rows import WROTE as _WROTE

__all__ = ["read_sums"]

_ENGINE = "survey.replica_engine"


def read_sums(statement: Any) -> Any:
    """The rows of a read of the sums: on the replica when one is set and nothing was written."""
    url = current_app.config.get("SURVEY_REPLICA_DATABASE_URL")
    if not url or db.session.info.get(_WROTE):
        return db.session.execute(statement)
    with _replica_engine(str(url)).connect() as connection:
        return connection.execute(statement).all()


def _replica_engine(url: str) -> sa.Engine:
    """The replica's engine, one per app, made when first read (and remade if the URL changed)."""
    known = current_app.extensions.get(_ENGINE)
    if known is None or known[0] != url:
        if known is not None:
            known[1].dispose()
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("postgresql"):
            options["connect_args"] = {"options": "-c jit=off"}
        known = current_app.extensions[_ENGINE] = (url, sa.create_engine(url, **options))
    return known[1]


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
