"""The fixes an issued opinion requires: the unit's report, the look-back, the overdue list.

A unit answers a fix with its written rectification report (its liaison, for
its own unit only) until the evaluators record the look-back (回头看). A
look-back that finds the fix rectified closes it. One that finds it partly or
not rectified closes that round only: as in the provincial practice, the unit
must rectify it again by a new deadline, so a renewed round of the same fix
follows, open for a new report, while the round before keeps its report and
look-back as they were. A round is overdue when its deadline has passed and the
unit has not reported; a reported round waits for its look-back. Dates are the
office's calendar days (:func:`.entries.today`), so a test pins them with the
clock. Services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from ..access.audit import record_audit
from ..extensions import db
from ..models import LOOK_BACK_OUTCOMES, Opinion, RequiredFix, Unit, User, utcnow
from .entries import today
from .evidence import checked_file, evidence_folder
from .messages import N_, ScorecardError
from .opinions import MAX_TEXT, parse_due

__all__ = [
    "FixItem",
    "FixRow",
    "fix_board",
    "fix_items",
    "fix_status",
    "fix_statuses",
    "look_back",
    "report_file_path",
    "report_fix",
]


def fix_status(fix: RequiredFix, on: dt.date) -> str:
    """A round as it stands: closed, reported (waiting for its look-back), overdue or open."""
    if fix.closed:
        return "closed"
    if fix.report:
        return "reported"
    return "overdue" if fix.due < on else "open"


@dataclass(frozen=True)
class FixItem:
    """A required fix with its rounds, first to latest: the latest is the one that stands."""

    rounds: tuple[RequiredFix, ...]

    @property
    def current(self) -> RequiredFix:
        return self.rounds[-1]

    @property
    def position(self) -> int:
        return self.rounds[0].position

    @property
    def text(self) -> str:
        return self.rounds[0].text


def fix_items(opinion: Opinion) -> list[FixItem]:
    """The opinion's fixes by number, each with its rounds."""
    grouped: dict[int, list[RequiredFix]] = {}
    for fix in opinion.fixes:
        grouped.setdefault(fix.position, []).append(fix)
    return [
        FixItem(tuple(sorted(rounds, key=lambda f: f.round)))
        for _, rounds in sorted(grouped.items())
    ]


def fix_statuses(opinion: Opinion, on: dt.date) -> dict[int, str]:
    """Each round's status by its id; a round a renewed one follows is "continued"."""
    found: dict[int, str] = {}
    for item in fix_items(opinion):
        for fix in item.rounds[:-1]:
            found[fix.id] = "continued"
        found[item.current.id] = fix_status(item.current, on)
    return found


def _text(raw: str | None, empty: str) -> str:
    text = (raw or "").replace("\r\n", "\n").strip()
    if not text:
        raise ScorecardError(empty)
    if len(text) > MAX_TEXT:
        raise ScorecardError(N_("A text is at most %(n)s characters."), n=MAX_TEXT)
    return text


def _hold(fix: RequiredFix) -> None:
    """Hold the round's row until the caller commits, and read it afresh.

    A no-op UPDATE, which locks on every database (the row on PostgreSQL, the
    write lock on SQLite), so a report and a look-back sent at once take turns
    and the second sees the first instead of overwriting it.
    """
    db.session.execute(
        update(RequiredFix)
        .where(RequiredFix.id == fix.id)
        .values(outcome=RequiredFix.outcome)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(fix)


def _issued(fix: RequiredFix) -> Opinion:
    _hold(fix)
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


def _next_due(outcome: str, raw: str | None) -> dt.date | None:
    """The renewed round's deadline: none for a rectified fix, a later day for any other."""
    typed = (raw or "").strip()
    if outcome == "rectified":
        if typed:
            raise ScorecardError(
                N_(
                    "A rectified fix is closed and takes no new deadline: clear the deadline, "
                    "or choose another outcome."
                )
            )
        return None
    if not typed:
        raise ScorecardError(
            N_("The fix is not fully rectified: give the new deadline of its next round.")
        )
    return parse_due(typed)


def _renew(fix: RequiredFix, due: dt.date) -> RequiredFix:
    """The next round of the fix: same opinion, number and text, the new deadline."""
    renewed = RequiredFix(
        opinion_id=fix.opinion_id,
        position=fix.position,
        round=fix.round + 1,
        follows_id=fix.id,
        text=fix.text,
        due=due,
    )
    try:
        with db.session.begin_nested():
            db.session.add(renewed)
    except IntegrityError:  # a round follows it already (held rows make this rare)
        raise ScorecardError(N_("The look-back of this fix is recorded: it is closed.")) from None
    return renewed


def look_back(
    fix: RequiredFix, note: str, outcome: str, user: User | None, *, next_due: str | None = None
) -> RequiredFix | None:
    """The evaluators' look-back of a round and its outcome; the renewed round, if any.

    "rectified" closes the fix. "partly" and "not_rectified" take the deadline
    (``next_due``, later than today) of a renewed round, which follows this
    one: this round keeps its report and look-back as history, and the unit
    reports again on the new one. The issued opinion's content is not touched.
    """
    _issued(fix)
    if outcome not in LOOK_BACK_OUTCOMES:
        raise ScorecardError(N_("Choose what the look-back found."))
    text = _text(note, N_("Write what the look-back found."))
    due = _next_due(outcome, next_due)
    fix.look_back = text
    fix.outcome = outcome
    fix.looked_back_by_id = None if user is None else user.id
    fix.looked_back_at = utcnow()
    db.session.flush()
    renewed = None if due is None else _renew(fix, due)
    after: dict[str, object] = {"outcome": outcome, "round": fix.round}
    if renewed is not None:
        after |= {"next_fix": renewed.id, "next_round": renewed.round, "next_due": str(due)}
    record_audit("fix.look_back", "required_fix", fix.id, after=after, user=user)
    return renewed


@dataclass(frozen=True)
class FixRow:
    """A fix on the evaluators' board, with its opinion and how it stands today."""

    fix: RequiredFix
    opinion: Opinion
    unit: Unit
    status: str
    days_late: int


def fix_board(unit_id: int | None = None) -> list[FixRow]:
    """Every fix of an issued opinion: overdue first (most late first), then by deadline.

    A fix is shown by the round that stands, its latest (a renewed round with
    its own deadline, which is what can be overdue), with the round it follows.
    """
    on = today()
    later = aliased(RequiredFix)
    query = (
        select(RequiredFix, Opinion, Unit)
        .join(Opinion, Opinion.id == RequiredFix.opinion_id)
        .join(Unit, Unit.id == Opinion.unit_id)
        .outerjoin(later, later.follows_id == RequiredFix.id)
        .where(Opinion.state == "issued", later.id.is_(None))
        .options(selectinload(RequiredFix.follows))
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
