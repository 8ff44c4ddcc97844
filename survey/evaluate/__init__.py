"""The evaluator's workspace: results, fieldwork, follow-up of bad reviews, exports, reports."""

from flask import Blueprint

bp = Blueprint("evaluate", __name__, url_prefix="/evaluate")

from . import (  # noqa: E402,F401
    assessment_views,
    burst_views,
    comment_views,
    cycle_form_views,
    data_views,
    export_views,
    fieldwork_views,
    followup_views,
    methods_views,
    opinion_views,
    report_views,
    results_views,
    scorecard_views,
    unit_opinion_views,
)
