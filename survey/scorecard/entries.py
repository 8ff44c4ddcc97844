"""What a unit's year records: scores, on-site notes, data values, bonus and deduction events.

Every entry is checked against the framework the unit is scored on before
anything is written, and refused with a message in the reader's language that
names the item: a score above the item's maximum or below 0, a value outside
its range, an event level the item does not have, a figure for an item of
another source, a year outside the cycle, a unit the cycle does not evaluate,
a self-assessment after its deadline. Services flush; the caller commits.

Who may give which score: the unit's liaison self-assesses every assessed item
(self-assessment and on-site ones, ``source="self"``); evaluators score on-site
items and check self-assessment items (``source="on_site"``). The score that
counts is the evaluators' where given, and for a self-assessment item without an
evaluator's check the unit's own (:mod:`.scoring`).
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Cycle,
    DataValue,
    ItemScore,
    MethodNote,
    ScoreEvent,
    Unit,
    User,
    utcnow,
)
from .cycles import deadline_of, framework_for_unit
from .framework import Item
from .messages import N_, ScorecardError
from .points import ratio_value

__all__ = [
    "office_date",
    "record_data",
    "record_event",
    "record_method_note",
    "record_score",
    "remove_event",
    "scoring_item",
    "today",
]

MAX_NOTE = 4000


def office_date(at: dt.datetime) -> dt.date:
    """The office's calendar day of a stored (naive UTC) time."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return at.replace(tzinfo=dt.UTC).astimezone(zone).date()


def today() -> dt.date:
    """The date in the office's time zone (deadlines are calendar days there)."""
    return office_date(utcnow())


def scoring_item(cycle: Cycle, unit: Unit, year: int, item_id: str) -> Item:
    """The item of the unit's framework, for a year of the cycle; ScorecardError if none."""
    if year not in cycle.year_list:
        raise ScorecardError(
            N_("%(year)s is not a year of the cycle (%(first)s to %(last)s)."),
            year=year,
            first=cycle.first_year,
            last=cycle.year_list[-1],
        )
    framework = framework_for_unit(cycle, unit.id)
    try:
        return framework.item(item_id)
    except KeyError:
        raise ScorecardError(
            N_("%(item)s is not an item of the framework unit %(unit)s is scored on."),
            item=item_id,
            unit=unit.code,
        ) from None


def _number(item: Item, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScorecardError(N_("Item %(item)s: enter a number."), item=item.id)
    return float(value)


def _note(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise ScorecardError(N_("A note is at most %(n)s characters."), n=MAX_NOTE)
    return text


def record_score(
    cycle: Cycle,
    unit: Unit,
    year: int,
    item_id: str,
    *,
    source: str,
    score: float,
    note: str | None = None,
    user: User | None = None,
) -> ItemScore:
    """Set the unit's own (``self``) or the evaluators' (``on_site``) score of an assessed item."""
    item = scoring_item(cycle, unit, year, item_id)
    if item.source not in ("self-assessment", "on-site"):
        raise ScorecardError(
            N_("Item %(item)s is not assessed: its points come from its %(source)s."),
            item=item.id,
            source=item.source,
        )
    if source not in ("self", "on_site"):
        raise ValueError(f"source must be 'self' or 'on_site', not {source!r}")
    value = _number(item, score)
    if value < 0:
        raise ScorecardError(N_("Item %(item)s: a score cannot be below 0."), item=item.id)
    if value > item.points:
        raise ScorecardError(
            N_("Item %(item)s: %(score)s is above the item's maximum of %(max)s points."),
            item=item.id,
            score=f"{value:g}",
            max=f"{item.points:g}",
        )
    if source == "self":
        due = deadline_of(cycle, year, "self_assessment")
        if due is not None and today() > due:
            raise ScorecardError(
                N_("The self-assessment of %(year)s closed on %(date)s."),
                year=year,
                date=due.isoformat(),
            )
    row = db.session.execute(
        select(ItemScore).where(
            ItemScore.cycle_id == cycle.id,
            ItemScore.unit_id == unit.id,
            ItemScore.year == year,
            ItemScore.item_id == item.id,
            ItemScore.source == source,
        )
    ).scalar_one_or_none()
    if row is None:
        row = ItemScore(
            cycle_id=cycle.id, unit_id=unit.id, year=year, item_id=item.id, source=source
        )
        db.session.add(row)
    row.score = value
    row.note = _note(note)
    row.recorded_by_id = None if user is None else user.id
    row.recorded_at = utcnow()
    db.session.flush()
    return row


def record_method_note(
    cycle: Cycle,
    unit: Unit,
    year: int,
    item_id: str,
    *,
    method: str,
    note: str,
    user: User | None = None,
) -> MethodNote | None:
    """What the evaluators found by one of the item's on-site methods; a blank note removes it."""
    item = scoring_item(cycle, unit, year, item_id)
    if method not in item.methods:
        raise ScorecardError(
            N_("Item %(item)s is not assessed by %(method)s; its methods are %(methods)s."),
            item=item.id,
            method=method,
            methods=", ".join(item.methods) or "-",
        )
    text = _note(note)
    row = db.session.execute(
        select(MethodNote).where(
            MethodNote.cycle_id == cycle.id,
            MethodNote.unit_id == unit.id,
            MethodNote.year == year,
            MethodNote.item_id == item.id,
            MethodNote.method == method,
        )
    ).scalar_one_or_none()
    if not text:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return None
    if row is None:
        row = MethodNote(
            cycle_id=cycle.id, unit_id=unit.id, year=year, item_id=item.id, method=method
        )
        db.session.add(row)
    row.note = text
    row.recorded_by_id = None if user is None else user.id
    row.recorded_at = utcnow()
    db.session.flush()
    return row


def record_data(
    cycle: Cycle,
    unit: Unit,
    year: int,
    item_id: str,
    *,
    value: float | None = None,
    numerator: float | None = None,
    denominator: float | None = None,
    note: str | None = None,
    user: User | None = None,
) -> DataValue:
    """A data item's value (or, for a ratio, its two counts), checked against its range."""
    item = scoring_item(cycle, unit, year, item_id)
    if item.source != "data" or item.data is None:
        raise ScorecardError(N_("Item %(item)s is not a data item."), item=item.id)
    if item.data.is_ratio:
        if numerator is None or denominator is None:
            raise ScorecardError(N_("Item %(item)s is a ratio: enter both counts."), item=item.id)
        top, bottom = _number(item, numerator), _number(item, denominator)
        if top < 0 or bottom <= 0:
            raise ScorecardError(
                N_("Item %(item)s: the counts must be 0 or more, the second above 0."),
                item=item.id,
            )
        figure = ratio_value(item, top, bottom)
    else:
        if value is None:
            raise ScorecardError(N_("Item %(item)s: enter a number."), item=item.id)
        figure, top, bottom = _number(item, value), None, None
    low, high = item.data.min, item.data.max
    if figure < low or (high is not None and figure > high):
        raise ScorecardError(
            N_("Item %(item)s: %(value)s is outside its range (%(low)s to %(high)s)."),
            item=item.id,
            value=f"{figure:g}",
            low=f"{low:g}",
            high="∞" if high is None else f"{high:g}",
        )
    row = db.session.execute(
        select(DataValue).where(
            DataValue.cycle_id == cycle.id,
            DataValue.unit_id == unit.id,
            DataValue.year == year,
            DataValue.item_id == item.id,
        )
    ).scalar_one_or_none()
    if row is None:
        row = DataValue(cycle_id=cycle.id, unit_id=unit.id, year=year, item_id=item.id)
        db.session.add(row)
    row.value, row.numerator, row.denominator = figure, top, bottom
    row.note = _note(note)
    row.recorded_by_id = None if user is None else user.id
    row.recorded_at = utcnow()
    db.session.flush()
    return row


def record_event(
    cycle: Cycle,
    unit: Unit,
    year: int,
    item_id: str,
    *,
    reason: str,
    level: str | None = None,
    user: User | None = None,
) -> ScoreEvent:
    """A bonus or deduction event of an innovation item, with its reason (required)."""
    item = scoring_item(cycle, unit, year, item_id)
    if item.source != "event":
        raise ScorecardError(N_("Item %(item)s takes no events."), item=item.id)
    if item.levels:
        if level not in {lvl.id for lvl in item.levels}:
            raise ScorecardError(
                N_("Item %(item)s: choose the event's level (%(levels)s)."),
                item=item.id,
                levels=", ".join(lvl.id for lvl in item.levels),
            )
    elif level:
        raise ScorecardError(N_("Item %(item)s has no levels."), item=item.id)
    text = _note(reason)
    if not text:
        raise ScorecardError(N_("Say why: an event needs its reason."))
    row = ScoreEvent(
        cycle_id=cycle.id,
        unit_id=unit.id,
        year=year,
        item_id=item.id,
        level=level or None,
        reason=text,
        recorded_by_id=None if user is None else user.id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def remove_event(event: ScoreEvent) -> None:
    db.session.delete(event)
    db.session.flush()


def parse_number(item_id: str, raw: str) -> float | None:
    """A number typed into a form (full-width digits and a comma as decimal point taken);
    None when left blank."""
    import unicodedata

    text = unicodedata.normalize("NFKC", raw or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ScorecardError(N_("Item %(item)s: enter a number."), item=item_id) from None
    if not math.isfinite(value):
        raise ScorecardError(N_("Item %(item)s: enter a number."), item=item_id)
    return value


def save_assessment(
    cycle: Cycle,
    unit: Unit,
    year: int,
    *,
    source: str,
    scores: dict[str, tuple[str, str]],
    notes: dict[tuple[str, str], str] | None = None,
    user: User | None = None,
) -> int:
    """A whole form of scores (item -> (typed score, note)) and method notes; how many scores.

    Every entry is checked as it is recorded; the first refusal raises, and the
    caller rolls the whole form back, so a form is saved entirely or not at all.
    A blank score leaves the item as it was.
    """
    saved = 0
    for item_id, (raw, note) in scores.items():
        value = parse_number(item_id, raw)
        if value is None:
            continue
        record_score(cycle, unit, year, item_id, source=source, score=value, note=note, user=user)
        saved += 1
    for (item_id, method), note in (notes or {}).items():
        record_method_note(cycle, unit, year, item_id, method=method, note=note, user=user)
    return saved
