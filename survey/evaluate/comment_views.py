"""A unit's free-text comments, and the evaluator's choice of those for its report (thin views)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_login import current_user

from ..extensions import db
from ..instruments import localized
from ..instruments.store import current_instruments
from ..models import Campaign
from ..results import campaign_groups
from ..results.comments import (
    PAGE_SIZE,
    VERDICTS,
    CommentError,
    select_for_report,
    small_groups,
    text_questions,
    unit_comments,
)
from ..results.unit_report import campaign_indicators
from ..web.guards import role_required
from ..web.navigation import page_number as page_number_of
from . import bp
from .forms import SelectForm
from .found import campaign_or_404
from .results_views import unit_in


def question_labels(campaign: Campaign) -> dict[str, str]:
    """Each text question's wording in the reader's language, by question id."""
    lang = str(get_locale() or "zh_Hans")
    instruments = current_instruments()
    labels = {}
    for qid, instrument_id in text_questions(campaign).items():
        instrument = instruments.get(instrument_id)
        found = instrument.question(qid) if instrument else None
        labels[qid] = localized(found.text, lang) if found is not None else qid
    return labels


@bp.route("/campaign/<int:campaign_id>/unit/<int:unit_id>/comments")
@role_required("evaluator", "admin")
def unit_comments_page(campaign_id: int, unit_id: int) -> ResponseReturnValue:
    campaign = campaign_or_404(campaign_id)
    unit = unit_in(campaign, unit_id)
    questions = text_questions(campaign)
    question = request.args.get("question") or None
    group = request.args.get("group") or None
    if question and question not in questions:
        abort(400)
    if group and group not in campaign_groups(campaign):
        abort(400)
    indicators = campaign_indicators(campaign)
    indicator = request.args.get("indicator") or None
    verdict = request.args.get("verdict") or None
    if (indicator and indicator not in indicators) or (verdict and verdict not in VERDICTS):
        abort(400)
    page_number = page_number_of(request.args.get("page")) or 1
    comments, total = unit_comments(
        campaign,
        unit.id,
        question=question,
        group=group,
        indicator=indicator,
        verdict=verdict if indicator else None,
        page=page_number,
    )
    hidden = small_groups(campaign, unit.id)
    return render_template(
        "evaluate/comments.html",
        campaign=campaign,
        unit=unit,
        comments=comments,
        total=total,
        page=page_number,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        question=question,
        group=group,
        indicator=indicator,
        verdict=verdict,
        indicators=indicators,
        withheld=bool(hidden),
        question_labels=question_labels(campaign),
        groups=[code for code in campaign_groups(campaign) if code not in hidden],
        select_form=SelectForm(),
    )


@bp.post("/campaign/<int:campaign_id>/unit/<int:unit_id>/comments/<int:answer_id>/report")
@role_required("evaluator", "admin")
def comment_for_report(campaign_id: int, unit_id: int, answer_id: int) -> ResponseReturnValue:
    """Put a comment in the unit's report, or take it out; back to the same page of comments."""
    campaign = campaign_or_404(campaign_id)
    unit = unit_in(campaign, unit_id)
    back = url_for(
        "evaluate.unit_comments_page",
        campaign_id=campaign.id,
        unit_id=unit.id,
        question=request.args.get("question") or None,
        group=request.args.get("group") or None,
        indicator=request.args.get("indicator") or None,
        verdict=request.args.get("verdict") or None,
        page=page_number_of(request.args.get("page")),
    )
    if not SelectForm().validate_on_submit():
        flash(gettext("The form has expired; please try again."), "error")
        return redirect(back)
    selected = request.form.get("selected") == "1"
    try:
        select_for_report(campaign, unit.id, answer_id, selected, user_id=current_user.id)
    except CommentError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(
        gettext("The comment is in the unit's report.")
        if selected
        else gettext("The comment is no longer in the unit's report.")
    )
    return redirect(f"{back}#c{answer_id}")
