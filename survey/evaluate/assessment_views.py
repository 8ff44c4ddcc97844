"""Self-assessment by a unit's liaison, on-site assessment by evaluators, and evidence files.

A liaison's pages never take a unit from the address: the unit is the
account's own, so a liaison cannot even name another unit. An evidence file of
another unit is "not found" to a liaison, whatever its id.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..models import Cycle, CycleUnit, Evidence, Unit
from ..scorecard.cycles import cycles_of_unit, deadline_of, framework_for_unit
from ..scorecard.entries import save_assessment, today
from ..scorecard.evidence import evidence_of, evidence_path, remove_evidence, store_evidence
from ..scorecard.framework import Item
from ..scorecard.messages import N_, ScorecardError
from ..scorecard.scoring import entries_for, unit_years
from ..web.guards import role_required
from ..web.uploads import accepts_upload
from . import bp
from .unit_charts import unit_charts

ASSESSED = ("self-assessment", "on-site")


def _own_unit() -> Unit:
    unit = db.session.get(Unit, current_user.unit_id) if current_user.unit_id else None
    if unit is None:
        abort(403)
    return unit


def _cycle_year(cycle_id: int, unit: Unit, year: int) -> Cycle:
    """The cycle evaluating ``unit`` in ``year``; 404 otherwise (nothing told about others)."""
    cycle = db.get_or_404(Cycle, cycle_id)
    if db.session.get(CycleUnit, (cycle.id, unit.id)) is None or year not in cycle.year_list:
        abort(404)
    return cycle


def _form_scores(items: list[Item], prefix: str) -> dict[str, tuple[str, str]]:
    return {
        item.id: (
            request.form.get(f"{prefix}-{item.id}", ""),
            request.form.get(f"note-{item.id}", ""),
        )
        for item in items
    }


def _assessment_page(
    cycle: Cycle, unit: Unit, year: int, *, mode: str, error: str | None = None
) -> str:
    framework = framework_for_unit(cycle, unit.id)
    entries = entries_for(cycle, year, [unit.id])[unit.id]
    due = deadline_of(cycle, year, "self_assessment")
    return render_template(
        "evaluate/assessment.html",
        cycle=cycle,
        unit=unit,
        year=year,
        mode=mode,
        framework=framework,
        entries=entries,
        evidence=evidence_of(cycle, unit.id, year),
        due=due,
        closed=mode == "self" and due is not None and today() > due,
        error=error,
        form=request.form if error else None,
    )


@bp.route("/self-assessment")
@role_required("liaison")
def self_assessment_home() -> ResponseReturnValue:
    unit = _own_unit()
    cycles = cycles_of_unit(unit.id)
    deadlines = {
        (c.id, y): deadline_of(c, y, "self_assessment") for c in cycles for y in c.year_list
    }
    return render_template(
        "evaluate/self_assessment_home.html", unit=unit, cycles=cycles, deadlines=deadlines
    )


@bp.route("/self-assessment/<int:cycle_id>/scorecard")
@role_required("liaison")
def own_scorecard(cycle_id: int) -> ResponseReturnValue:
    """The liaison's own unit over the cycle: the evaluator's unit charts, and nothing of others.

    No rank and no other unit's figure: the unit is the account's, never the address's.
    """
    unit = _own_unit()
    cycle = _cycle_year(cycle_id, unit, db.get_or_404(Cycle, cycle_id).year_list[-1])
    every_year = unit_years(cycle, unit.id)
    return render_template(
        "evaluate/own_scorecard.html",
        cycle=cycle,
        unit=unit,
        charts=unit_charts(cycle, unit.id, every_year),
    )


@bp.route("/self-assessment/<int:cycle_id>/<int:year>", methods=["GET", "POST"])
@role_required("liaison")
def self_assessment(cycle_id: int, year: int) -> ResponseReturnValue:
    unit = _own_unit()
    cycle = _cycle_year(cycle_id, unit, year)
    if request.method == "POST":
        items = [i for i in framework_for_unit(cycle, unit.id).items if i.source in ASSESSED]
        try:
            saved = save_assessment(
                cycle,
                unit,
                year,
                source="self",
                scores=_form_scores(items, "score"),
                user=current_user,
            )
        except ScorecardError as problem:
            db.session.rollback()
            return _assessment_page(cycle, unit, year, mode="self", error=problem.message()), 400
        db.session.commit()
        flash(gettext("Saved %(n)s scores.", n=saved), "ok")
        return redirect(url_for(".self_assessment", cycle_id=cycle.id, year=year))
    return _assessment_page(cycle, unit, year, mode="self")


@bp.route("/self-assessment/<int:cycle_id>/<int:year>/evidence", methods=["POST"])
@role_required("liaison")
@accepts_upload("SURVEY_EVIDENCE_MAX_BYTES", hint=_l("Split it, or scan it at a lower resolution."))
def upload_evidence(cycle_id: int, year: int) -> ResponseReturnValue:
    unit = _own_unit()
    cycle = _cycle_year(cycle_id, unit, year)
    upload = request.files.get("file")
    item_id = request.form.get("item") or None
    try:
        if upload is None or not upload.filename:
            raise ScorecardError(N_("Choose a file to upload."))
        store_evidence(
            cycle,
            unit,
            year,
            item_id,
            filename=upload.filename,
            data=upload.read(),
            user=current_user,
        )
    except ScorecardError as problem:
        db.session.rollback()
        return _assessment_page(cycle, unit, year, mode="self", error=problem.message()), 400
    db.session.commit()
    flash(gettext("The file is kept."), "ok")
    return redirect(url_for(".self_assessment", cycle_id=cycle.id, year=year))


def _evidence_allowed(row: Evidence) -> Evidence:
    """The file, if the signed-in account may see it; 404 for a liaison of another unit."""
    if current_user.role == "liaison" and row.unit_id != current_user.unit_id:
        abort(404)
    return row


@bp.route("/evidence/<int:evidence_id>")
@role_required("liaison", "evaluator", "admin")
def evidence_file(evidence_id: int) -> ResponseReturnValue:
    row = _evidence_allowed(db.get_or_404(Evidence, evidence_id))
    path = evidence_path(row)
    if not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype=row.content_type, as_attachment=True, download_name=row.filename
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@role_required("liaison")
def delete_evidence(evidence_id: int) -> ResponseReturnValue:
    row = _evidence_allowed(db.get_or_404(Evidence, evidence_id))
    cycle = db.get_or_404(Cycle, row.cycle_id)
    due = deadline_of(cycle, row.year, "self_assessment")
    if due is not None and today() > due:
        abort(403)
    year = row.year
    remove_evidence(row)
    db.session.commit()
    flash(gettext("The file is removed."), "ok")
    return redirect(url_for(".self_assessment", cycle_id=cycle.id, year=year))


@bp.route("/cycle/<int:cycle_id>/unit/<int:unit_id>/assess", methods=["GET", "POST"])
@role_required("evaluator", "admin")
def on_site_assessment(cycle_id: int, unit_id: int) -> ResponseReturnValue:
    unit = db.get_or_404(Unit, unit_id)
    year_raw = request.values.get("year", "")
    cycle = db.get_or_404(Cycle, cycle_id)
    year = int(year_raw) if year_raw.isascii() and year_raw.isdigit() else cycle.year_list[-1]
    cycle = _cycle_year(cycle_id, unit, year)
    if request.method == "POST":
        framework = framework_for_unit(cycle, unit.id)
        items = [i for i in framework.items if i.source in ASSESSED]
        notes = {
            (item.id, method): request.form.get(f"method-{item.id}-{method}", "")
            for item in items
            for method in item.methods
        }
        try:
            save_assessment(
                cycle,
                unit,
                year,
                source="on_site",
                scores=_form_scores(items, "score"),
                notes=notes,
                user=current_user,
            )
        except ScorecardError as problem:
            db.session.rollback()
            return _assessment_page(cycle, unit, year, mode="on_site", error=problem.message()), 400
        db.session.commit()
        flash(gettext("The on-site assessment is saved."), "ok")
        return redirect(
            url_for(".on_site_assessment", cycle_id=cycle.id, unit_id=unit.id, year=year)
        )
    return _assessment_page(cycle, unit, year, mode="on_site")
