"""The evaluators' form for a unit's data values and its bonus and deduction events.

Thin: checks and recording live in survey.scorecard.data_form and .entries; a
refused form shows the page again with the reason, what was typed, and nothing
saved.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from ..extensions import db
from ..models import Cycle, ScoreEvent, Unit
from ..scorecard.cycles import framework_for_unit
from ..scorecard.data_form import DataEntry, add_event_from_form, drop_event, save_data_form
from ..scorecard.messages import ScorecardError
from ..scorecard.scoring import entries_for
from ..web.guards import role_required
from . import bp
from .opinion_views import unit_year


def _typed(item_id: str) -> DataEntry:
    form = request.form
    return (
        form.get(f"value-{item_id}", ""),
        form.get(f"numerator-{item_id}", ""),
        form.get(f"denominator-{item_id}", ""),
        form.get(f"note-{item_id}", ""),
    )


def _page(cycle: Cycle, unit: Unit, year: int, error: str | None = None) -> str:
    framework = framework_for_unit(cycle, unit.id)
    levels = {
        level.id: level.title
        for item in framework.items
        if item.source == "event"
        for level in reversed(item.levels)
    }
    return render_template(
        "evaluate/data_events.html",
        cycle=cycle,
        unit=unit,
        year=year,
        framework=framework,
        levels=levels,
        entries=entries_for(cycle, year, [unit.id])[unit.id],
        error=error,
        form=request.form if error else None,
    )


def _back(cycle: Cycle, unit: Unit, year: int) -> ResponseReturnValue:
    return redirect(url_for(".unit_data", cycle_id=cycle.id, unit_id=unit.id, year=year))


@bp.route("/cycle/<int:cycle_id>/unit/<int:unit_id>/data/<int:year>", methods=["GET", "POST"])
@role_required("evaluator", "admin")
def unit_data(cycle_id: int, unit_id: int, year: int) -> ResponseReturnValue:
    cycle, unit = unit_year(cycle_id, unit_id, year)
    if request.method == "POST":
        items = [i for i in framework_for_unit(cycle, unit.id).items if i.source == "data"]
        typed = {item.id: _typed(item.id) for item in items}
        try:
            saved = save_data_form(cycle, unit, year, typed, current_user)
        except ScorecardError as problem:
            db.session.rollback()
            return _page(cycle, unit, year, error=problem.message()), 400
        db.session.commit()
        flash(gettext("Saved %(n)s data values.", n=saved), "ok")
        return _back(cycle, unit, year)
    return _page(cycle, unit, year)


@bp.route("/cycle/<int:cycle_id>/unit/<int:unit_id>/events/<int:year>", methods=["POST"])
@role_required("evaluator", "admin")
def unit_add_event(cycle_id: int, unit_id: int, year: int) -> ResponseReturnValue:
    cycle, unit = unit_year(cycle_id, unit_id, year)
    form = request.form
    try:
        add_event_from_form(
            cycle,
            unit,
            year,
            form.get("item", ""),
            form.get("level", ""),
            form.get("reason", ""),
            current_user,
        )
    except ScorecardError as problem:
        db.session.rollback()
        return _page(cycle, unit, year, error=problem.message()), 400
    db.session.commit()
    flash(gettext("The event is recorded."), "ok")
    return _back(cycle, unit, year)


@bp.route(
    "/cycle/<int:cycle_id>/unit/<int:unit_id>/events/<int:year>/<int:event_id>/delete",
    methods=["POST"],
)
@role_required("evaluator", "admin")
def unit_remove_event(cycle_id: int, unit_id: int, year: int, event_id: int) -> ResponseReturnValue:
    cycle, unit = unit_year(cycle_id, unit_id, year)
    event = db.get_or_404(ScoreEvent, event_id)
    try:
        drop_event(event, cycle, unit, year)
    except ScorecardError as problem:
        db.session.rollback()
        return _page(cycle, unit, year, error=problem.message()), 400
    db.session.commit()
    flash(gettext("The event is removed."), "ok")
    return _back(cycle, unit, year)
