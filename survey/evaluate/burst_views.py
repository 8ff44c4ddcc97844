"""Held bursts, reviewed in bulk (accept or exclude, with a reason); anomalies per source."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user

from ..extensions import db
from ..responses import review as service
from ..results import anomalies as activity
from ..web.guards import role_required
from ..web.navigation import whole_number
from . import bp
from .forms import BurstReviewForm
from .found import campaign_or_404


@bp.route("/campaign/<int:campaign_id>/bursts", methods=["GET", "POST"])
@role_required("evaluator", "admin")
def bursts(campaign_id: int) -> ResponseReturnValue:
    """The bursts waiting for review, to accept or exclude together; those decided before."""
    campaign = campaign_or_404(campaign_id)
    form = BurstReviewForm()
    status = 200
    if request.method == "POST":
        chosen = [n for n in (whole_number(v) for v in request.form.getlist("burst")) if n]
        if form.validate_on_submit():
            try:
                cards = service.review(
                    service.bursts_of(campaign, chosen),
                    request.form.get("decision", ""),
                    form.reason.data or "",
                    by=current_user,
                )
            except service.ReviewError as error:
                db.session.rollback()
                flash(str(error), "error")
                status = 422
            else:
                db.session.commit()
                flash(gettext("%(n)s cards reviewed.", n=cards))
                return redirect(url_for("evaluate.bursts", campaign_id=campaign.id), 303)
        else:
            flash(gettext("Give the reason for the decision (a few words at least)."), "error")
            status = 422
    page = render_template(
        "evaluate/bursts.html",
        campaign=campaign,
        held=service.held_bursts(campaign),
        reviewed=service.reviewed_bursts(campaign),
        form=form,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/campaign/<int:campaign_id>/anomalies")
@role_required("admin")
def anomalies(campaign_id: int) -> ResponseReturnValue:
    """Per point and kiosk device: the last hour against the usual, lowest ratings, bursts.

    Administrators only, as the fieldwork page: a point's cards of the last day
    and how many were lowest ratings are an exact count and answer of a pool far
    below k, outside the published table.
    """
    campaign = campaign_or_404(campaign_id)
    page = render_template(
        "evaluate/anomalies.html",
        campaign=campaign,
        rows=activity.anomalies(campaign),
        held=len(service.held_bursts(campaign)),
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response
