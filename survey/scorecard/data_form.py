"""A unit's data values and bonus/deduction events as entered on the evaluators' form.

The form sends every data item at once (a ratio as its two counts); the whole
form is checked and recorded item by item through :mod:`.entries`, and the
first refusal raises, so the caller rolls back and a form is saved entirely
or not at all. A blank item is left as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..models import Cycle, ScoreEvent, Unit, User
from .cycles import framework_for_unit
from .entries import parse_number, record_data, record_event, remove_event
from .messages import N_, ScorecardError

__all__ = ["DataEntry", "add_event_from_form", "drop_event", "save_data_form"]

# item id -> (value, numerator, denominator, note) as typed
DataEntry = tuple[str, str, str, str]


def save_data_form(
    cycle: Cycle, unit: Unit, year: int, typed: Mapping[str, DataEntry], user: User | None
) -> int:
    """Record every data item given; how many were recorded."""
    saved = 0
    for item in framework_for_unit(cycle, unit.id).items:
        if item.source != "data" or item.data is None or item.id not in typed:
            continue
        raw_value, raw_top, raw_bottom, note = typed[item.id]
        if item.data.is_ratio:
            top, bottom = parse_number(item.id, raw_top), parse_number(item.id, raw_bottom)
            if top is None and bottom is None:
                continue
            record_data(
                cycle, unit, year, item.id, numerator=top, denominator=bottom, note=note, user=user
            )
        else:
            value = parse_number(item.id, raw_value)
            if value is None:
                continue
            record_data(cycle, unit, year, item.id, value=value, note=note, user=user)
        saved += 1
    return saved


def add_event_from_form(
    cycle: Cycle, unit: Unit, year: int, item_id: str, level: str, reason: str, user: User | None
) -> ScoreEvent:
    """A bonus or deduction event from the form (a blank level is no level)."""
    if not item_id:
        raise ScorecardError(N_("Choose the item of the event."))
    return record_event(cycle, unit, year, item_id, reason=reason, level=level or None, user=user)


def drop_event(event: ScoreEvent, cycle: Cycle, unit: Unit, year: int) -> None:
    """Remove an event of this unit's year (ScorecardError if it is another's)."""
    if (event.cycle_id, event.unit_id, event.year) != (cycle.id, unit.id, year):
        raise ScorecardError(N_("That event is not of this unit and year."))
    remove_event(event)
