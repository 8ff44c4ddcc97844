"""Downloads of the results table: CSV for machines, XLSX for people (survey.results.exports)."""

from __future__ import annotations

from flask import Response, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from ..extensions import db
from ..results import ResultsError
from ..results.exports import (
    ResultsTable,
    export_filename,
    results_csv,
    results_table,
    results_xlsx,
)
from ..web.errors import error_page
from ..web.guards import role_required
from . import bp
from .found import campaign_or_404

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _table_or_error(campaign_id: int) -> ResultsTable | ResponseReturnValue:
    """The export's table, or the page (and 400) saying why it cannot be made."""
    campaign = campaign_or_404(campaign_id)
    try:
        return results_table(campaign, by=request.args.get("by"), period=request.args.get("period"))
    except ResultsError as error:
        db.session.rollback()
        return error_page(gettext("Export not possible"), error.message(), 400)


def _download(body: bytes, content_type: str, filename: str) -> Response:
    # content_type, not mimetype: Flask adds "; charset=utf-8" to a text/* mimetype,
    # and the CSV's header then said it twice.
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/campaign/<int:campaign_id>/export.csv")
@role_required("evaluator", "admin")
def export_csv(campaign_id: int) -> ResponseReturnValue:
    table = _table_or_error(campaign_id)
    if not isinstance(table, ResultsTable):
        return table
    return _download(results_csv(table), "text/csv; charset=utf-8", export_filename(table, "csv"))


@bp.route("/campaign/<int:campaign_id>/export.xlsx")
@role_required("evaluator", "admin")
def export_xlsx(campaign_id: int) -> ResponseReturnValue:
    table = _table_or_error(campaign_id)
    if not isinstance(table, ResultsTable):
        return table
    return _download(results_xlsx(table), XLSX_TYPE, export_filename(table, "xlsx"))
