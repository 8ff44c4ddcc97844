"""Drafting, reviewing, approving and issuing a unit's opinion, and the fixes it requires.

An opinion is written in its draft state only; review and approval are taken
by someone other than its drafter (four eyes: the person who wrote it does not
pass it), and each step is audited with who and when. Issuing freezes what the
opinion says (:mod:`.opinion_content`) and opens its fixes to the unit. A
request that a state does not allow is refused with a message in the reader's
language, and nothing changes. Services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..access.audit import record_audit, record_change
from ..extensions import db
from ..models import Cycle, CycleUnit, Opinion, RequiredFix, Unit, User, utcnow
from .entries import today
from .messages import N_, ScorecardError
from .opinion_content import compose

__all__ = [
    "MAX_FIX_TEXT",
    "MAX_TEXT",
    "add_fix",
    "change_state",
    "issued_content",
    "issued_opinions",
    "opinion_of",
    "opinions_of_year",
    "parse_due",
    "remove_fix",
    "save_text",
    "start_opinion",
]

MAX_TEXT = 20000
MAX_FIX_TEXT = 2000
# action -> (the state it starts from, the state it leads to)
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "review": (("draft",), "reviewed"),
    "approve": (("reviewed",), "approved"),
    "issue": (("approved",), "issued"),
    "return": (("reviewed", "approved"), "draft"),
}


def opinion_of(cycle: Cycle, unit: Unit, year: int) -> Opinion | None:
    return db.session.execute(
        select(Opinion).where(
            Opinion.cycle_id == cycle.id, Opinion.unit_id == unit.id, Opinion.year == year
        )
    ).scalar_one_or_none()


def opinions_of_year(cycle: Cycle, year: int) -> dict[int, Opinion]:
    """Unit id -> its opinion of the year, for the cycle's page."""
    rows = db.session.execute(
        select(Opinion).where(Opinion.cycle_id == cycle.id, Opinion.year == year)
    ).scalars()
    return {row.unit_id: row for row in rows}


def start_opinion(cycle: Cycle, unit: Unit, year: int, user: User | None) -> Opinion:
    """The unit's opinion of the year, begun as an empty draft if there is none yet."""
    if year not in cycle.year_list:
        raise ScorecardError(N_("%(year)s is not a year of the cycle."), year=year)
    if db.session.get(CycleUnit, (cycle.id, unit.id)) is None:
        raise ScorecardError(N_("The cycle does not evaluate unit %(unit)s."), unit=unit.code)
    found = opinion_of(cycle, unit, year)
    if found is not None:
        return found
    opinion = Opinion(
        cycle_id=cycle.id,
        unit_id=unit.id,
        year=year,
        state="draft",
        drafted_by_id=None if user is None else user.id,
    )
    try:
        with db.session.begin_nested():  # two evaluators starting it at once: one row
            db.session.add(opinion)
    except IntegrityError:
        found = opinion_of(cycle, unit, year)
        if found is None:
            raise
        return found
    record_audit("opinion.start", "opinion", opinion.id, after={"year": year}, user=user)
    return opinion


def _draft_only(opinion: Opinion) -> None:
    if opinion.state != "draft":
        raise ScorecardError(
            N_("The opinion is no longer a draft: return it to draft to change it.")
        )


def _clean(text: str | None, limit: int) -> str:
    cleaned = (text or "").replace("\r\n", "\n").strip()
    if len(cleaned) > limit:
        raise ScorecardError(N_("A text is at most %(n)s characters."), n=limit)
    return cleaned


def _drafter(opinion: Opinion) -> str | None:
    """The drafter's username (the four-eyes rule turns on it), for the audit trail."""
    if opinion.drafted_by_id is None:
        return None
    user = db.session.get(User, opinion.drafted_by_id)
    return None if user is None else user.username


def save_text(opinion: Opinion, problems: str, suggestions: str, user: User | None) -> None:
    """The evaluators' problems and suggestions (draft only); the writer becomes its drafter.

    Audited with the texts as they were and are, the ones that changed only (a
    draft's wording before review is part of the record), and the drafter when
    another person saves it, since whoever drafted may not review or approve.
    Saving it unchanged by the same person leaves no event.
    """
    _draft_only(opinion)
    before = {
        "problems": opinion.problems,
        "suggestions": opinion.suggestions,
        "drafted_by": _drafter(opinion),
    }
    opinion.problems = _clean(problems, MAX_TEXT)
    opinion.suggestions = _clean(suggestions, MAX_TEXT)
    opinion.drafted_by_id = None if user is None else user.id
    opinion.drafted_at = utcnow()
    db.session.flush()
    after = {
        "problems": opinion.problems,
        "suggestions": opinion.suggestions,
        "drafted_by": _drafter(opinion),
    }
    record_change("opinion.save_text", "opinion", opinion.id, before, after, user=user)


def parse_due(raw: str | None) -> dt.date:
    """A deadline typed as YYYY-MM-DD (full-width digits taken), later than today."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    try:
        due = dt.date.fromisoformat(text)
    except ValueError:
        raise ScorecardError(N_("Give the deadline as a date, such as 2026-06-30.")) from None
    if due <= today():
        raise ScorecardError(
            N_("The deadline %(date)s has already passed: give a later one."), date=due.isoformat()
        )
    return due


def add_fix(opinion: Opinion, text: str, due_raw: str, user: User | None) -> RequiredFix:
    """A required fix with its deadline (draft only)."""
    _draft_only(opinion)
    what = _clean(text, MAX_FIX_TEXT)
    if not what:
        raise ScorecardError(N_("Say what must be fixed."))
    due = parse_due(due_raw)
    last = db.session.execute(
        select(func.max(RequiredFix.position)).where(RequiredFix.opinion_id == opinion.id)
    ).scalar_one()
    fix = RequiredFix(opinion_id=opinion.id, position=(last or 0) + 1, text=what, due=due)
    db.session.add(fix)
    db.session.flush()
    db.session.refresh(opinion)
    record_audit("opinion.add_fix", "opinion", opinion.id, after=_fix_record(fix), user=user)
    return fix


def _fix_record(fix: RequiredFix) -> dict[str, object]:
    return {"fix": fix.id, "position": fix.position, "text": fix.text, "due": fix.due.isoformat()}


def remove_fix(opinion: Opinion, fix: RequiredFix, user: User | None = None) -> None:
    """Take a fix out of the draft; those after it move up one number.

    Audited with what the fix said, since the row itself is gone.
    """
    _draft_only(opinion)
    if fix.opinion_id != opinion.id:
        raise ScorecardError(N_("That fix is not of this opinion."))
    removed = fix.position
    record_audit("opinion.remove_fix", "opinion", opinion.id, before=_fix_record(fix), user=user)
    db.session.delete(fix)
    db.session.flush()
    # The fixes after it move up, one at a time (the numbers are unique per opinion), so
    # the document numbers them 1, 2, 3 without a gap.
    later = db.session.execute(
        select(RequiredFix)
        .where(RequiredFix.opinion_id == opinion.id, RequiredFix.position > removed)
        .order_by(RequiredFix.position)
    ).scalars()
    for row in later:
        row.position -= 1
        db.session.flush()
    db.session.refresh(opinion)


def _check_step(opinion: Opinion, action: str, user: User | None) -> None:
    """Refuse an action the opinion's state or the four-eyes rule does not allow."""
    if action not in ACTIONS:
        raise ScorecardError(N_("Unknown step."))
    starts, _ = ACTIONS[action]
    if opinion.state not in starts:
        raise ScorecardError(
            N_("This step does not follow from the opinion's present state: reload the page.")
        )
    if action in ("review", "approve") and user is not None and user.id == opinion.drafted_by_id:
        raise ScorecardError(
            N_("Whoever drafted the opinion cannot review or approve it: ask a colleague.")
        )
    if action == "review" and not opinion.problems.strip():
        raise ScorecardError(N_("Write the problems found before sending the opinion on."))


def _issue(opinion: Opinion, cycle: Cycle, unit: Unit) -> None:
    """Freeze the composed opinion; refuse an unscored year or a deadline already past."""
    for fix in opinion.fixes:
        if fix.due <= today():
            raise ScorecardError(
                N_("Fix %(n)s is due %(date)s, which has passed: return to draft and change it."),
                n=fix.position,
                date=fix.due.isoformat(),
            )
    content = compose(opinion, cycle, unit)
    if content["total"] is None:
        raise ScorecardError(
            N_("Unit %(unit)s is not scored for %(year)s yet: the opinion cannot be issued."),
            unit=unit.code,
            year=opinion.year,
        )
    opinion.content = json.dumps(content, ensure_ascii=False)


def change_state(opinion: Opinion, action: str, user: User | None) -> None:
    """Take one step (review, approve, issue, return to draft); audited with who and when."""
    _check_step(opinion, action, user)
    before = opinion.state
    now, who = utcnow(), None if user is None else user.id
    if action == "issue":
        cycle = db.session.get_one(Cycle, opinion.cycle_id)
        unit = db.session.get_one(Unit, opinion.unit_id)
        _issue(opinion, cycle, unit)
        opinion.issued_by_id, opinion.issued_at = who, now
    elif action == "review":
        opinion.reviewed_by_id, opinion.reviewed_at = who, now
    elif action == "approve":
        opinion.approved_by_id, opinion.approved_at = who, now
    else:
        opinion.reviewed_by_id = opinion.reviewed_at = None
        opinion.approved_by_id = opinion.approved_at = None
    opinion.state = ACTIONS[action][1]
    db.session.flush()
    record_audit(
        f"opinion.{action}",
        "opinion",
        opinion.id,
        before={"state": before},
        after={"state": opinion.state},
        user=user,
    )


def issued_content(opinion: Opinion) -> dict[str, object] | None:
    """What the issued opinion says, as it was frozen (None before it is issued)."""
    return None if opinion.content is None else json.loads(opinion.content)


def issued_opinions(unit_id: int) -> list[Opinion]:
    """The unit's issued opinions, newest year first: what its liaison may read."""
    return list(
        db.session.execute(
            select(Opinion)
            .where(Opinion.unit_id == unit_id, Opinion.state == "issued")
            .order_by(Opinion.year.desc(), Opinion.id.desc())
        ).scalars()
    )
