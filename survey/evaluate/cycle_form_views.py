"""Opening an evaluation cycle from the web, as ``flask survey cycle add`` does.

Thin: the form parses, survey.scorecard.cycles.open_cycle checks and stores
(and records the audit). A refusal shows the page again with the service's
reason beside the field it concerns, what was typed, and nothing stored.

A cycle has a row per year (its campaign and deadlines). Without JavaScript the
rows follow the first year and the number of years when the page is sent:
"Show these years" lays them out again, and so does "Open the cycle" when they
no longer match, rather than opening a cycle with years nobody looked at.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..labels import STEP_LABELS, localised
from ..models import (
    CYCLE_STEPS,
    DEFAULT_CYCLE_YEARS,
    Campaign,
    Unit,
    campaigns_newest_first,
    units_in_code_order,
)
from ..scorecard.cycles import (
    CycleRefused,
    CycleSpec,
    cycle_years,
    frameworks_not_stored,
    offered_framework,
    offered_frameworks,
    open_cycle,
)
from ..scorecard.entries import today
from ..scorecard.errors import FrameworkError
from ..scorecard.messages import ScorecardError
from ..scorecard.store import framework_of
from ..web.errors import error_page
from ..web.guards import role_required
from . import bp
from .forms import NO_CAMPAIGN, CycleForm, CycleYearForm


def _year_row(year: int, kept: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return kept.get(year, {"year": year, "campaign_id": NO_CAMPAIGN})


def _laid_out(form: CycleForm, years: list[int]) -> CycleForm:
    """The form as typed, with a row for each of ``years`` (a year's entries kept)."""
    data = form.data
    kept = {row["year"]: row for row in data["per_year"] if row["year"] is not None}
    data["per_year"] = [_year_row(year, kept) for year in years]
    data.pop("csrf_token", None)
    return CycleForm(formdata=None, data=data)


def _new_form() -> CycleForm:
    """This year's three-year cycle on the first framework offered, no unit chosen yet."""
    first = today().year
    years = range(first, first + DEFAULT_CYCLE_YEARS)
    return CycleForm(
        formdata=None,
        data={
            "first_year": first,
            "years": DEFAULT_CYCLE_YEARS,
            "per_year": [_year_row(year, {}) for year in years],
        },
    )


def _set_choices(form: CycleForm, campaigns: list[Campaign]) -> None:
    form.framework.choices = [
        SelectChoice(
            row.file_id,
            f"{localised(framework_of(row).title)} ({row.file_id}, {row.version[:12]})",
        )
        for row in offered_frameworks()
    ]
    form.unit_ids.choices = [
        SelectChoice(u.id, f"{u.code} · {u.name}") for u in units_in_code_order()
    ]
    choices = [SelectChoice(NO_CAMPAIGN, "–")] + [
        SelectChoice(
            c.id, f"{c.name} ({c.code}, {c.period_start.isoformat()} – {c.period_end.isoformat()})"
        )
        for c in campaigns
    ]
    for entry in form.per_year:
        entry.form.campaign_id.choices = choices


def _spec(form: CycleForm) -> CycleSpec:
    """What the form asks for, as the service takes it (CycleRefused: a framework not offered)."""
    rows: list[CycleYearForm] = [entry.form for entry in form.per_year]
    return CycleSpec(
        code=form.code.data or "",
        name=form.name.data or "",
        framework=offered_framework(form.framework.data or ""),
        first_year=form.first_year.data or 0,
        units=[u for u in (db.session.get(Unit, i) for i in form.unit_ids.data or []) if u],
        years=form.years.data or 0,
        campaigns={
            row.year.data: campaign
            for row in rows
            if row.campaign_id.data != NO_CAMPAIGN
            and (campaign := db.session.get(Campaign, row.campaign_id.data)) is not None
        },
        deadlines={
            (row.year.data, step): row[step].data
            for row in rows
            for step in CYCLE_STEPS
            if row[step].data is not None
        },
    )


def _field_of(form: CycleForm, part: str) -> Field | None:
    """The field a refusal's part names ("code", "campaign:2025", "deadline:2025:on_site")."""
    kind, _, rest = part.partition(":")
    if kind in ("campaign", "deadline"):
        year, _, step = rest.partition(":")
        row = next((e.form for e in form.per_year if str(e.form.year.data) == year), None)
        if row is None:
            return None
        return row.campaign_id if kind == "campaign" else row._fields.get(step)
    return {"units": form.unit_ids}.get(kind) or form._fields.get(kind)


def _problems(form: CycleForm) -> list[tuple[str, str, str]]:
    """Every field's errors in page order, for the summary: (anchor, label, message)."""
    fields: list[tuple[str, str, Field]] = [
        (form[name].id, str(form[name].label.text), form[name])
        for name in ("code", "name", "framework", "first_year", "years")
    ]
    units = form.unit_ids
    fields.append((f"{units.id}-0" if units.choices else units.id, str(units.label.text), units))
    for entry in form.per_year:
        row: CycleYearForm = entry.form
        year = row.year.data
        for field in [row.year, row.campaign_id, *(row[step] for step in CYCLE_STEPS)]:
            fields.append((field.id, f"{year}: {field.label.text}", field))
    return [(anchor, label, str(e)) for anchor, label, field in fields for e in field.errors]


def _page(
    form: CycleForm, *, refused: str | None = None, relaid: bool = False
) -> ResponseReturnValue:
    problems = _problems(form)
    html = render_template(
        "evaluate/cycle_form.html",
        form=form,
        problems=problems,
        refused=refused,
        relaid=relaid,
        not_stored=frameworks_not_stored(),
        steps=[(step, STEP_LABELS[step]) for step in CYCLE_STEPS],
    )
    return html, 400 if problems or refused else 200


def _refuse(form: CycleForm, problem: ScorecardError) -> ResponseReturnValue:
    """The page again with the reason beside its field (or above the form); nothing stored."""
    db.session.rollback()
    field = _field_of(form, problem.part) if isinstance(problem, CycleRefused) else None
    if field is None:
        return _page(form, refused=problem.message())
    field.errors = [*field.errors, problem.message()]
    return _page(form)


@bp.route("/cycles/new", methods=["GET", "POST"])
@role_required("evaluator", "admin")
def cycle_new() -> ResponseReturnValue:
    """The form, or why it cannot be shown: framework files that do not load."""
    try:
        return _form_or_cycle()
    except FrameworkError as error:
        return _frameworks_broken(error)


def _frameworks_broken(error: FrameworkError) -> ResponseReturnValue:
    """The framework files' first problem said (and logged), not a 500; nothing stored.

    The form offers the current version of each framework file, so a file broken
    on the server (an edit half saved, a bad merge) stops it until it is fixed:
    the page says so with the file, item and field at fault, and the command that
    lists every problem.
    """
    db.session.rollback()
    current_app.logger.error("framework files do not load: %s", error)
    return error_page(
        gettext("Framework files do not load"),
        gettext(
            "The framework files on the server do not load, so no evaluation cycle can be "
            "opened until they are fixed; nothing was changed. %(command)s lists every "
            "problem; the first is: %(problem)s",
            command="flask survey framework check",
            problem=error.without_folders(),
        ),
        503,
    )


def _form_or_cycle() -> ResponseReturnValue:
    """The form; "years" lays out its year rows again, "open" opens the cycle."""
    campaigns = campaigns_newest_first(drafts=False)
    form = CycleForm() if request.method == "POST" else _new_form()
    _set_choices(form, campaigns)
    if not form.validate_on_submit():
        return _page(form)
    try:
        years = cycle_years(form.first_year.data or 0, form.years.data or 0)
    except CycleRefused as problem:
        return _refuse(form, problem)
    shown = [entry.form.year.data for entry in form.per_year]
    if request.form.get("action") == "years" or shown != years:
        form = _laid_out(form, years)
        _set_choices(form, campaigns)
        return _page(form, relaid=request.form.get("action") != "years")
    try:
        cycle = open_cycle(_spec(form))
    except ScorecardError as problem:
        return _refuse(form, problem)
    db.session.commit()
    flash(gettext("Cycle %(code)s is open.", code=cycle.code), "ok")
    return redirect(url_for(".cycle_page", cycle_id=cycle.id))
