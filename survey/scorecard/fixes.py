"""The fixes an issued opinion requires: the unit's report, the look-back, the overdue list.

A unit answers a fix with its written rectification report (its liaison, for
its own unit only) until the evaluators record the look-back (回头看), which
closes the fix with its outcome. A fix is overdue when its deadline has passed
and the unit has not reported; a reported fix waits for its look-back. Dates
are the office's calendar days (:func:`.entries.today`), so a test pins them
with the clock. Services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..access.audit import record_audit
from ..extensions import db
from ..models import LOOK_BACK_OUTCOMES, Opinion, RequiredFix, Unit, User, utcnow
from .entries import today
from .evidence import checked_file, evidence_folder
from .messages import N_, ScorecardError
from .opinions import MAX_TEXT

__all__ = ["FixRow", "fix_board", "fix_status", "look_back", "report_file_path", "report_fix"]


def fix_status(fix: RequiredFix, on: dt.date) -> str:
    """closed, reported (waiting for its look-back), overdue or open."""
    if fix.closed:
        return "closed"
    if fix.report:
        return "reported"
    return "overdue" if fix.due < on else "open"


def _text(raw: str | None, empty: str) -> str:
    text = (raw or "").replace("\r\n", "\n").strip()
    if not text:
        raise ScorecardError(empty)
    if len(text) > MAX_TEXT:
        raise ScorecardError(N_("A text is at most %(n)s characters."), n=MAX_TEXT)
    return text


def _issued(fix: RequiredFix) -> Opinion:
    opinion = fix.opinion
    if opinion.state != "issued":
        raise ScorecardError(N_("The opinion is not issued yet."))
    if fix.closed:
        raise ScorecardError(N_("The look-back of this fix is recorded: it is closed."))
    return opinion


def report_fix(
    fix: RequiredFix,
    unit: Unit,
    report: str,
    user: User | None,
    *,
    filename: str | None = None,
    data: bytes | None = None,
) -> None:
    """The unit's written rectification report, with its document if one is given.

    It may be sent again until the look-back; a new document replaces the old
    one (whose bytes go once the row no longer names them).
    """
    opinion = _issued(fix)
    if opinion.unit_id != unit.id:
        raise ScorecardError(N_("That fix is not of your unit."))
    fix.report = _text(report, N_("Write the report: what was done, and when."))
    stored = old = None
    if filename:
        name, content_type, stored = checked_file(filename, data or b"")
        old = fix.report_file
        fix.report_file, fix.report_filename, fix.report_content_type = stored, name, content_type
    fix.reported_by_id = None if user is None else user.id
    fix.reported_at = utcnow()
    db.session.flush()
    if stored is not None:
        (evidence_folder() / stored).write_bytes(data or b"")
    if old is not None:
        (evidence_folder() / old).unlink(missing_ok=True)
    record_audit("fix.report", "required_fix", fix.id, after={"position": fix.position}, user=user)


def look_back(fix: RequiredFix, note: str, outcome: str, user: User | None) -> None:
    """The evaluators' look-back and its outcome; closes the fix."""
    _issued(fix)
    if outcome not in LOOK_BACK_OUTCOMES:
        raise ScorecardError(N_("Choose what the look-back found."))
    fix.look_back = _text(note, N_("Write what the look-back found."))
    fix.outcome = outcome
    fix.looked_back_by_id = None if user is None else user.id
    fix.looked_back_at = utcnow()
    db.session.flush()
    record_audit("fix.look_back", "required_fix", fix.id, after={"outcome": outcome}, user=user)


@dataclass(frozen=True)
class FixRow:
    """A fix on the evaluators' board, with its opinion and how it stands today."""

    fix: RequiredFix
    opinion: Opinion
    unit: Unit
    status: str
    days_late: int


def fix_board(unit_id: int | None = None) -> list[FixRow]:
    """Every fix of an issued opinion: overdue first (most late first), then by deadline."""
    on = today()
    query = (
        select(RequiredFix, Opinion, Unit)
        .join(Opinion, Opinion.id == RequiredFix.opinion_id)
        .join(Unit, Unit.id == Opinion.unit_id)
        .where(Opinion.state == "issued")
        .order_by(RequiredFix.due, Unit.code, RequiredFix.position)
    )
    if unit_id is not None:
        query = query.where(Opinion.unit_id == unit_id)
    rows: Sequence[Any] = db.session.execute(query).all()
    order = {"overdue": 0, "reported": 1, "open": 2, "closed": 3}
    found = [
        FixRow(fix, opinion, unit, fix_status(fix, on), max((on - fix.due).days, 0))
        for fix, opinion, unit in rows
    ]
    return sorted(
        found, key=lambda r: (order[r.status], -r.days_late if r.status == "overdue" else 0)
    )


def report_file_path(fix: RequiredFix) -> Path | None:
    """Where the report's document is kept, if it has one."""
    return None if fix.report_file is None else evidence_folder() / fix.report_file
