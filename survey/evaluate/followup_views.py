"""Follow-up of bad reviews: cases per unit, the handler's work, exclusion with a reason.

A handler sees only their own unit's cases and is the only one who sees a
call-back number (the issue's rule: the unit's handler "and only them");
evaluators and administrators see counts, answers and what was done, never
who complained. A unit without a handler gets one from an administrator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from babel.dates import format_datetime
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from redis.exceptions import RedisError

from ..channels.sms import rating_message
from ..channels.sms.rq import notify_outbox
from ..extensions import db
from ..followup.cases import (
    FollowUpCounts,
    FollowUpError,
    calendar_gaps,
    callback_of,
    case_list,
    exclude,
    followup_indicator,
    record_rating,
    record_remedy,
)
from ..followup.reading import case_answers, case_origin, case_previews
from ..models import Campaign, FollowUpCase, utcnow
from ..results.readable import latest_readable_campaign, readable_campaigns
from ..web.guards import role_required
from . import bp
from .forms import FIX_RATING_LABELS, ExcludeForm, RatingForm, RemedyForm
from .found import chosen_campaign_or_404

T = TypeVar("T")


def _campaign_choice() -> Campaign | None:
    """?campaign=<id>, else the newest campaign that is not a draft (a draft opens no case)."""
    raw = request.args.get("campaign", "")
    if raw:
        return chosen_campaign_or_404(raw)
    return latest_readable_campaign()


def _visible(case_row: FollowUpCase) -> None:
    """A handler may open only their own unit's cases (others do not exist for them).

    A case held with a burst does not exist for a handler until an evaluator accepts it.
    """
    if current_user.role == "handler" and (
        case_row.unit_id != current_user.unit_id or case_row.status == "held"
    ):
        abort(404)


def _may_see_number(case_row: FollowUpCase) -> bool:
    return current_user.role == "handler" and current_user.unit_id == case_row.unit_id


@bp.route("/follow-up")
@role_required("evaluator", "admin", "handler")
def followup_list() -> ResponseReturnValue:
    campaign = _campaign_choice()
    campaigns = readable_campaigns()
    counts: dict[int, FollowUpCounts] = {}
    cases: list[FollowUpCase] = []
    if campaign is not None:
        unit_id = current_user.unit_id if current_user.role == "handler" else None
        counts = followup_indicator(campaign, unit_id)
        cases = case_list(campaign, unit_id=unit_id, status=request.args.get("status", "open"))
    units = {u.id: u for u in campaign.units} if campaign else {}
    return render_template(
        "evaluate/followup_list.html",
        campaign=campaign,
        campaigns=campaigns,
        counts=counts,
        units=units,
        cases=cases,
        previews=case_previews(cases, str(get_locale() or "zh_Hans")),
        status=request.args.get("status", "open"),
        now=utcnow(),
        calendar_gaps=calendar_gaps(campaign) if campaign is not None else [],
    )


def _on_campaign_clock(moment: dt.datetime | None) -> str:
    """An aware time as people read it, on its own clock (Flask-Babel's would turn it to UTC)."""
    if moment is None:
        return ""
    return format_datetime(
        moment, "short", tzinfo=moment.tzinfo, locale=str(get_locale() or "zh_Hans")
    )


@bp.route("/follow-up/<int:case_id>")
@role_required("evaluator", "admin", "handler")
def followup_case(case_id: int) -> ResponseReturnValue:
    case_row = db.get_or_404(FollowUpCase, case_id)
    _visible(case_row)
    origin = case_origin(case_row)
    callback = None
    if _may_see_number(case_row):
        callback = callback_of(case_row)
    return render_template(
        "evaluate/followup_case.html",
        case=case_row,
        answers=case_answers(case_row, str(get_locale() or "zh_Hans")),
        origin=origin,
        received=_on_campaign_clock(origin.submitted_at),
        callback=callback,
        rating_message=rating_message(case_row),
        # The current account, to change knowingly rather than retype (or wipe) it.
        remedy_form=RemedyForm(action=case_row.action_taken),
        rating_form=RatingForm(),
        exclude_form=ExcludeForm(),
        rating_labels=FIX_RATING_LABELS,
        now=utcnow(),
    )


def _act(
    case_id: int, form_class: type[FlaskForm], action: Callable[[FollowUpCase, Any], T]
) -> tuple[ResponseReturnValue, T | None]:
    """Validate, act, commit; what the action returns, or None when nothing was saved."""
    case_row = db.get_or_404(FollowUpCase, case_id)
    _visible(case_row)
    form = form_class()
    back = redirect(url_for("evaluate.followup_case", case_id=case_id))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return back, None
    try:
        result = action(case_row, form)
    except FollowUpError as error:
        db.session.rollback()
        flash(str(error.args[0]), "error")
        return back, None
    db.session.commit()
    flash(gettext("Saved."), "info")
    return back, result


@bp.post("/follow-up/<int:case_id>/remedy")
@role_required("handler", "admin")
def followup_remedy(case_id: int) -> ResponseReturnValue:
    back, message = _act(
        case_id, RemedyForm, lambda c, f: record_remedy(c, f.action.data, current_user.id)
    )
    if message is not None and message.state == "queued":
        _tell_the_sms_worker()
    return back


def _tell_the_sms_worker() -> None:
    """Wake the RQ worker for the rating request just queued (nothing to do without Redis).

    The outbox row is already committed, so an unreachable Redis loses
    nothing: the next pass of any worker sends it.
    """
    try:
        notify_outbox()
    except RedisError as error:
        current_app.logger.warning("could not tell the SMS worker: %s", error)


@bp.post("/follow-up/<int:case_id>/rating")
@role_required("handler", "admin")
def followup_rating(case_id: int) -> ResponseReturnValue:
    back, _ = _act(
        case_id, RatingForm, lambda c, f: record_rating(c, f.rating.data, channel="phone")
    )
    return back


@bp.post("/follow-up/<int:case_id>/exclude")
@role_required("evaluator", "admin")
def followup_exclude(case_id: int) -> ResponseReturnValue:
    back, _ = _act(case_id, ExcludeForm, lambda c, f: exclude(c, f.reason.data, current_user.id))
    return back
