"""A source's usual, kept per worker for a minute of the submission clock.

The burst rule (survey.responses.bursts) compares a source's cards in the
window with its usual: its counted cards, and lowest ratings, over the
SURVEY_BURST_LOOKBACK_DAYS before the window. Worked out for every card, that
read all of a busy point's four weeks of cards and each one's overall score
(8,400 cards at 300 a day: 10 ms of PostgreSQL per card, more than the rest of
its POST). In a minute the usual moves by a card in thousands, so each worker
keeps it per source and works it out again

- when the window's start has moved on by SURVEY_BURST_USUAL_SECONDS (60 by
  default; 0 works it out for every card), or went back (a clock set back);
- at once, in this process, when which cards before the window count changes:
  a card stored with a time before the window (entered late, a test's history),
  a card's flag changed through the ORM, or a held burst accepted (its cards
  count again; survey.responses.review calls :func:`drop`).

Another worker sees such a change within the minute. The window's own cards
are counted afresh for every card: a burst is seen at its first card past the
limit, as before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Response, utcnow

_EXTENSION = "survey.burst_usual"
# Sources kept per worker at most (a province's points, devices and sheets); then all dropped.
_MOST_SOURCES = 50_000


@dataclass(frozen=True, slots=True)
class Usual:
    """A source's counted cards and lowest ratings before ``start``, and its first such card."""

    start: dt.datetime
    cards: int
    lowest: int
    first: dt.datetime | None


def _kept() -> dict[tuple[str, str], Usual]:
    found: dict[tuple[str, str], Usual] | None = current_app.extensions.get(_EXTENSION)
    if found is None:
        found = current_app.extensions[_EXTENSION] = {}
    return found


def kept_usual(kind: str, key: str, start: dt.datetime) -> Usual | None:
    """The source's usual if it was worked out for a window start less than the limit ago."""
    seconds = float(current_app.config.get("SURVEY_BURST_USUAL_SECONDS", 60))
    if seconds <= 0:
        return None
    usual = _kept().get((kind, key))
    if usual is None:
        return None
    age = (start - usual.start).total_seconds()
    return usual if 0 <= age < seconds else None


def keep_usual(kind: str, key: str, usual: Usual) -> None:
    kept = _kept()
    if len(kept) >= _MOST_SOURCES:
        kept.clear()
    kept[(kind, key)] = usual


def drop() -> None:
    """Forget every kept usual of this app (this process)."""
    if has_app_context():
        current_app.extensions.pop(_EXTENSION, None)


def install() -> None:
    """Drop the kept usuals when a flush changes which earlier cards count (once)."""
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)


def _after_flush(session: Session, _context: Any) -> None:
    if not has_app_context() or _EXTENSION not in current_app.extensions:
        return
    window = dt.timedelta(seconds=int(current_app.config["SURVEY_BURST_WINDOW_SECONDS"]))
    window_start = utcnow() - window
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Response):
            continue
        if obj in session.new:
            if obj.submitted_at is not None and obj.submitted_at <= window_start:
                drop()
                return
        else:
            attrs = inspect(obj).attrs
            if attrs.flagged.history.has_changes() or attrs.submitted_at.history.has_changes():
                drop()
                return
