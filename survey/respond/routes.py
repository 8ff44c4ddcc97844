"""Respondent routes (thin: the work is done in survey.respond.service)."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext

from . import bp


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    return render_template(
        "error.html",
        title=gettext("Satisfaction survey"),
        message=gettext("Scan the QR code at the counter or open the link you received."),
    )
