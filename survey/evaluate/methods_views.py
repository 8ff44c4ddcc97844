"""The technical notes: how the published figures are made and how to read them."""

from __future__ import annotations

from flask import current_app, render_template
from flask.typing import ResponseReturnValue

from ..results.methods import methods_notes
from ..web.guards import role_required
from . import bp


@bp.route("/methods")
@role_required("evaluator", "admin")
def methods() -> ResponseReturnValue:
    k = int(current_app.config["SURVEY_SMALL_CELL_K"])
    return render_template("evaluate/methods.html", sections=methods_notes(k))
