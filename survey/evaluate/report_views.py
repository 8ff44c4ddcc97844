"""The per-unit report ("one unit, one opinion"): a printable page and its PDF."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from ..extensions import db
from ..labels import group_label
from ..models import Unit
from ..reports.pdf import unit_report_pdf
from ..results.comments import Comment, selected_comments
from ..results.messages import ResultsError
from ..results.methods import methods_notes
from ..results.unit_report import UnitReport, unit_report
from ..web.guards import role_required
from . import bp
from .found import campaign_or_404
from .results_views import group_chart, indicator_chart, yearly_chart


def _report(campaign_id: int, unit_id: int) -> UnitReport:
    campaign = campaign_or_404(campaign_id)
    unit = db.get_or_404(Unit, unit_id)
    try:
        return unit_report(campaign, unit, request.args.get("period") or None)
    except ResultsError as error:
        abort(404, error.message())


def _comment_line(comment: Comment) -> tuple[str, str]:
    """A selected comment for the PDF: its text, its group and month."""
    who = group_label(comment.group)
    return comment.text, f"{who} · {comment.month}"


@bp.route("/campaign/<int:campaign_id>/unit/<int:unit_id>/report")
@role_required("evaluator", "admin")
def unit_report_page(campaign_id: int, unit_id: int) -> ResponseReturnValue:
    report = _report(campaign_id, unit_id)
    comments = selected_comments(report.campaign, report.unit.id)
    groups = report.overall.groups if report.overall else ()
    return render_template(
        "evaluate/unit_report.html",
        report=report,
        comments=comments,
        indicator_chart=indicator_chart(report.indicators) if report.indicators else None,
        group_chart=group_chart(groups) if groups else None,
        yearly_chart=yearly_chart(report.trend) if report.trend.years else None,
        methods=methods_notes(int(current_app.config["SURVEY_SMALL_CELL_K"])),
    )


@bp.route("/campaign/<int:campaign_id>/unit/<int:unit_id>/report.pdf")
@role_required("evaluator", "admin")
def unit_report_download(campaign_id: int, unit_id: int) -> ResponseReturnValue:
    report = _report(campaign_id, unit_id)
    pdf = unit_report_pdf(
        report,
        comments=[_comment_line(c) for c in selected_comments(report.campaign, report.unit.id)],
    )
    filename = f"report-{report.campaign.code}-{report.unit.code}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
