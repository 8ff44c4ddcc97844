"""A draft campaign: test mode in this browser, and opening it (thin: see survey.setup.opening)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ..channels.test_mode import TEST_COOKIE, TEST_MODE_HOURS, cookie_for, tested_campaigns
from ..extensions import db
from ..labels import group_label
from ..models import Campaign, group_by_code
from ..setup import SetupError
from ..setup.opening import (
    count_test_answers,
    open_campaign,
    point_overlaps,
    start_test_call,
)
from ..web.guards import role_required
from . import bp
from .forms import ActionForm, OpenCampaignForm, TestCallForm
from .routes import SETUP_ROLES


def _draft_or_404(campaign_id: int) -> Campaign:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not campaign.draft:
        abort(404)
    return campaign


@bp.post("/campaigns/<int:campaign_id>/test-mode")
@role_required(*SETUP_ROLES)
def campaign_test_mode(campaign_id: int) -> ResponseReturnValue:
    """Turn test mode on (or, with ``off``, off) for this draft campaign in this browser."""
    campaign = _draft_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    tested = set(tested_campaigns(request.cookies.get(TEST_COOKIE)))
    if request.form.get("off"):
        tested.discard(campaign.id)
        flash(_("Test mode is off in this browser."))
    else:
        tested.add(campaign.id)
        flash(
            _(
                "Test mode is on in this browser for %(hours)s hours: the campaign's cards "
                "and links open here, and every answer is a test answer.",
                hours=TEST_MODE_HOURS,
            )
        )
    result = redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), 303)
    result.set_cookie(
        TEST_COOKIE,
        cookie_for(tested),
        max_age=TEST_MODE_HOURS * 3600,
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return result


@bp.route("/campaigns/<int:campaign_id>/open", methods=["GET", "POST"])
@role_required(*SETUP_ROLES)
def campaign_open(campaign_id: int) -> ResponseReturnValue:
    """What opening will do (test answers deleted, service points shared), then open it."""
    campaign = _draft_or_404(campaign_id)
    form = OpenCampaignForm()
    status = 200
    if form.validate_on_submit():
        try:
            deleted = open_campaign(campaign, by=current_user)
        except SetupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                _(
                    "Campaign %(code)s is open; %(n)s test answers were deleted.",
                    code=campaign.code,
                    n=deleted,
                )
            )
            return redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), 303)
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "admin/campaign_open.html",
            campaign=campaign,
            form=form,
            test_answers=count_test_answers(campaign),
            overlaps=point_overlaps(campaign, as_opened=True),
        ),
        status,
    )


def _test_call_form(campaign: Campaign) -> TestCallForm:
    form = TestCallForm()
    form.group.choices = [(s.group.code, group_label(s.group.code)) for s in campaign.groups]
    form.unit_id.choices = [(u.id, f"{u.code} · {u.name}") for u in campaign.units]
    return form


@bp.post("/campaigns/<int:campaign_id>/test-call")
@role_required("admin")
def campaign_test_call(campaign_id: int) -> ResponseReturnValue:
    """Try the draft's phone script in the operator console: a test call nobody answers."""
    campaign = _draft_or_404(campaign_id)
    form = _test_call_form(campaign)
    back = redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), 303)
    group = group_by_code(form.group.data or "")
    unit = next((u for u in campaign.units if u.id == form.unit_id.data), None)
    if not form.validate_on_submit() or group is None or unit is None:
        flash(_("Choose a group and a unit of the campaign."), "error")
        return back
    try:
        call = start_test_call(campaign, group, unit, by=current_user)
    except SetupError as error:
        flash(str(error), "error")
        return back
    db.session.commit()
    return redirect(url_for("operator.case", case_id=call.id), 303)


def campaign_state_panel(campaign: Campaign | None) -> dict[str, object]:
    """What the campaign page says of the campaign's state: draft and testing, or shared points."""
    if campaign is None:
        return {}
    if not campaign.draft:
        return {"overlaps": point_overlaps(campaign)}
    return {
        "testing": campaign.id in tested_campaigns(request.cookies.get(TEST_COOKIE)),
        "test_answers": count_test_answers(campaign),
        "points": [p for u in campaign.units for p in u.service_points],
        "test_form": ActionForm(),
        "overlaps": point_overlaps(campaign, as_opened=True),
        "call_form": _test_call_form(campaign)
        if "phone" in campaign.channel_list() and current_user.role == "admin"
        else None,
    }
