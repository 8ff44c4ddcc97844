"""One unit, one opinion: the evaluators' drafting and steps, the documents, the fixes board.

Thin: the states, checks and composition live in survey.scorecard.opinions and
.fixes; a refused request shows the page again with the reason and changes
nothing. The documents are drawn by survey.reports from the opinion's frozen
content once issued (from the live composition before, marked as a draft).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..models import LOOK_BACK_OUTCOMES, Cycle, CycleUnit, Opinion, RequiredFix, Unit, User
from ..reports.opinion_docx import opinion_docx
from ..reports.opinion_pdf import opinion_pdf
from ..reports.opinion_text import opinion_blocks
from ..scorecard.entries import today
from ..scorecard.fixes import fix_board, fix_items, fix_statuses, look_back, report_file_path
from ..scorecard.messages import ScorecardError
from ..scorecard.opinion_content import compose
from ..scorecard.opinions import (
    add_fix,
    change_state,
    issued_content,
    opinion_of,
    remove_fix,
    save_text,
    start_opinion,
)
from ..web.guards import role_required
from . import bp

# The words for an opinion's states, a fix's status and a look-back's outcome.
LABELS: dict[str, Any] = {
    "draft": _l("draft"),
    "reviewed": _l("reviewed"),
    "approved": _l("approved"),
    "issued": _l("issued"),
    "open": _l("open"),
    "overdue": _l("overdue"),
    "reported": _l("reported, waiting for the look-back"),
    "closed": _l("closed"),
    "continued": _l("continued in a new round"),
    "rectified": _l("rectified"),
    "partly": _l("partly rectified"),
    "not_rectified": _l("not rectified"),
}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def unit_year(cycle_id: int, unit_id: int, year: int) -> tuple[Cycle, Unit]:
    """The cycle and one of its units, for a year of the cycle; 404 for anything else."""
    cycle = db.get_or_404(Cycle, cycle_id)
    db.get_or_404(CycleUnit, (cycle_id, unit_id))
    if year not in cycle.year_list:
        abort(404)
    return cycle, db.get_or_404(Unit, unit_id)


def content_of(opinion: Opinion, cycle: Cycle, unit: Unit) -> dict[str, Any]:
    """The issued opinion's frozen content, or what a draft would say now."""
    return issued_content(opinion) or compose(opinion, cycle, unit)


def _signers(opinion: Opinion | None) -> dict[int, str]:
    """Who drafted, reviewed, approved and issued the opinion, by account id."""
    if opinion is None:
        return {}
    ids = {
        opinion.drafted_by_id,
        opinion.reviewed_by_id,
        opinion.approved_by_id,
        opinion.issued_by_id,
    } - {None}
    return {u.id: u.label() for u in (db.session.get(User, i) for i in ids) if u is not None}


def _page(
    cycle: Cycle, unit: Unit, year: int, error: str | None = None, failed: int | None = None
) -> str:
    """The opinion page; after a refusal, with the form as sent (``failed``: the fix's round)."""
    opinion = opinion_of(cycle, unit, year)
    return render_template(
        "evaluate/opinion.html",
        cycle=cycle,
        unit=unit,
        year=year,
        opinion=opinion,
        content=content_of(opinion, cycle, unit) if opinion else None,
        items=fix_items(opinion) if opinion else [],
        statuses=fix_statuses(opinion, today()) if opinion else {},
        outcomes=LOOK_BACK_OUTCOMES,
        labels=LABELS,
        users=_signers(opinion),
        error=error,
        failed=failed,
        form=request.form if error else None,
    )


def _done(cycle: Cycle, unit: Unit, year: int, message: str) -> ResponseReturnValue:
    db.session.commit()
    flash(message, "ok")
    return redirect(url_for(".opinion_page", cycle_id=cycle.id, unit_id=unit.id, year=year))


def _refused(cycle: Cycle, unit: Unit, year: int, problem: ScorecardError) -> ResponseReturnValue:
    db.session.rollback()
    return _page(cycle, unit, year, error=problem.message()), 400


@bp.route("/cycle/<int:cycle_id>/unit/<int:unit_id>/opinion/<int:year>", methods=["GET", "POST"])
@role_required("evaluator", "admin")
def opinion_page(cycle_id: int, unit_id: int, year: int) -> ResponseReturnValue:
    """The opinion of the year; a POST saves the problems and suggestions (a draft's)."""
    cycle, unit = unit_year(cycle_id, unit_id, year)
    if request.method == "POST":
        try:
            opinion = start_opinion(cycle, unit, year, current_user)
            save_text(
                opinion,
                request.form.get("problems", ""),
                request.form.get("suggestions", ""),
                current_user,
            )
        except ScorecardError as problem:
            return _refused(cycle, unit, year, problem)
        return _done(cycle, unit, year, gettext("The draft is saved."))
    return _page(cycle, unit, year)


def _opinion_or_404(cycle: Cycle, unit: Unit, year: int) -> Opinion:
    opinion = opinion_of(cycle, unit, year)
    if opinion is None:
        abort(404)
    return opinion


@bp.route("/cycle/<int:cycle_id>/unit/<int:unit_id>/opinion/<int:year>/fixes", methods=["POST"])
@role_required("evaluator", "admin")
def opinion_add_fix(cycle_id: int, unit_id: int, year: int) -> ResponseReturnValue:
    cycle, unit = unit_year(cycle_id, unit_id, year)
    opinion = _opinion_or_404(cycle, unit, year)
    try:
        add_fix(opinion, request.form.get("text", ""), request.form.get("due", ""), current_user)
    except ScorecardError as problem:
        return _refused(cycle, unit, year, problem)
    return _done(cycle, unit, year, gettext("The fix is added."))


@bp.route(
    "/cycle/<int:cycle_id>/unit/<int:unit_id>/opinion/<int:year>/fixes/<int:fix_id>/delete",
    methods=["POST"],
)
@role_required("evaluator", "admin")
def opinion_remove_fix(cycle_id: int, unit_id: int, year: int, fix_id: int) -> ResponseReturnValue:
    cycle, unit = unit_year(cycle_id, unit_id, year)
    opinion = _opinion_or_404(cycle, unit, year)
    fix = db.get_or_404(RequiredFix, fix_id)
    try:
        remove_fix(opinion, fix, current_user)
    except ScorecardError as problem:
        return _refused(cycle, unit, year, problem)
    return _done(cycle, unit, year, gettext("The fix is removed."))


@bp.route("/cycle/<int:cycle_id>/unit/<int:unit_id>/opinion/<int:year>/step", methods=["POST"])
@role_required("evaluator", "admin")
def opinion_step(cycle_id: int, unit_id: int, year: int) -> ResponseReturnValue:
    """review, approve, issue, or return to draft."""
    cycle, unit = unit_year(cycle_id, unit_id, year)
    opinion = _opinion_or_404(cycle, unit, year)
    try:
        change_state(opinion, request.form.get("action", ""), current_user)
    except ScorecardError as problem:
        return _refused(cycle, unit, year, problem)
    message = gettext("The opinion is now %(state)s.", state=LABELS[opinion.state])
    return _done(cycle, unit, year, message)


@bp.route("/fix/<int:fix_id>/look-back", methods=["POST"])
@role_required("evaluator", "admin")
def fix_look_back(fix_id: int) -> ResponseReturnValue:
    fix = db.get_or_404(RequiredFix, fix_id)
    opinion = fix.opinion
    cycle = db.get_or_404(Cycle, opinion.cycle_id)
    unit = db.get_or_404(Unit, opinion.unit_id)
    form = request.form
    try:
        renewed = look_back(
            fix,
            form.get("note", ""),
            form.get("outcome", ""),
            current_user,
            next_due=form.get("due", ""),
        )
    except ScorecardError as problem:
        db.session.rollback()
        return _page(cycle, unit, opinion.year, problem.message(), failed=fix_id), 400
    if renewed is None:
        return _done(cycle, unit, opinion.year, gettext("The look-back is recorded."))
    message = gettext(
        "The look-back is recorded. Round %(n)s of the fix is open for the unit's report "
        "until %(date)s.",
        n=renewed.round,
        date=format_date(renewed.due),
    )
    return _done(cycle, unit, opinion.year, message)


@bp.route("/fixes")
@role_required("evaluator", "admin")
def fixes_board() -> ResponseReturnValue:
    rows = fix_board()
    statuses = ("overdue", "reported", "open", "closed")  # of the rounds that stand
    counts = {s: sum(1 for r in rows if r.status == s) for s in statuses}
    return render_template("evaluate/fixes.html", rows=rows, counts=counts, labels=LABELS)


def _document_opinion(opinion_id: int) -> tuple[Opinion, dict[str, Any]]:
    """The opinion a signed-in account may download: a liaison only their unit's, issued."""
    opinion = db.get_or_404(Opinion, opinion_id)
    if current_user.role == "liaison" and (
        opinion.unit_id != current_user.unit_id or opinion.state != "issued"
    ):
        abort(404)
    cycle = db.get_or_404(Cycle, opinion.cycle_id)
    unit = db.get_or_404(Unit, opinion.unit_id)
    return opinion, content_of(opinion, cycle, unit)


def _download(opinion_id: int, kind: str) -> ResponseReturnValue:
    opinion, content = _document_opinion(opinion_id)
    blocks = opinion_blocks(content, issued=opinion.issued_at)
    title = gettext("Evaluation opinion: %(unit)s", unit=content["unit"]["name"])
    author = content["cycle"]["name"]
    if kind == "pdf":
        data, mimetype = opinion_pdf(blocks, title=title, author=author), "application/pdf"
    else:
        data, mimetype = opinion_docx(blocks, title=title, author=author), DOCX_TYPE
    name = f"opinion-{content['cycle']['code']}-{content['unit']['code']}-{content['year']}.{kind}"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/opinion/<int:opinion_id>.pdf")
@role_required("evaluator", "admin", "liaison")
def opinion_pdf_file(opinion_id: int) -> ResponseReturnValue:
    return _download(opinion_id, "pdf")


@bp.route("/opinion/<int:opinion_id>.docx")
@role_required("evaluator", "admin", "liaison")
def opinion_docx_file(opinion_id: int) -> ResponseReturnValue:
    return _download(opinion_id, "docx")


@bp.route("/fix/<int:fix_id>/report-file")
@role_required("evaluator", "admin", "liaison")
def fix_report_file(fix_id: int) -> ResponseReturnValue:
    """The document of a unit's rectification report: its liaison's and the office's only."""
    fix = db.get_or_404(RequiredFix, fix_id)
    _document_opinion(fix.opinion_id)  # a liaison of another unit: 404
    path = report_file_path(fix)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=fix.report_content_type,
        as_attachment=True,
        download_name=fix.report_filename,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
