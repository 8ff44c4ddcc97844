"""Operator console views: thin; the queue and dispositions live in survey.channels.phone,
the script and the interview in survey.responses, the answer forms in survey.web.answer_form.

- ``GET /operator/``: campaigns with phone cases, queue counts, response rates, "Next call";
- ``POST /operator/next/<campaign>``: claim the next due case and open it;
- ``GET /operator/case/<id>?q=<question>``: the claimed case: contact, history, one question;
- ``POST /operator/case/<id>/answer``: keep one answer, move to the next question (or back);
- ``POST /operator/case/<id>/disposition``: record the call's outcome (an interview is stored
  as a Response in the same transaction).

Status codes: 403 for a case the user does not hold; 422 for an answer or a disposition
sent back to correct (what was typed is kept); 400 for a tampered answer form.
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent, gettext
from flask_login import current_user

from .. import responses as service
from ..channels.phone import (
    DISPOSITIONS,
    PhoneError,
    can_book_callback,
    claim_next,
    held_cases,
    may_leave_message,
    phone_campaigns,
    queue_counts,
    record_attempt,
    renew_claim,
)
from ..channels.phone_units import claim_next_unit, unit_step
from ..contacts.phones import mask_phone
from ..extensions import db
from ..instruments import localized
from ..labels import group_label
from ..models import CallCase, Campaign, utcnow
from ..responses.interview import (
    INTERVIEW_DISPOSITIONS,
    InterviewError,
    check_finish,
    interview_target,
    save_answer,
    script_language,
    started_at,
    stored_interview,
    submission_key,
)
from ..responses.script import (
    END,
    asked,
    question_after,
    question_before,
    resume_at,
    script_step,
)
from ..responses.targets import Target, Unavailable
from ..results.response_rates import disposition_rows, phone_response_rates
from ..web.answer_form import AnswerForm, build_form, check_page, field_name, unexpected_fields
from ..web.guards import role_required
from . import bp
from .console import (
    attempt_history,
    can_work_on,
    disposition_buttons,
    label,
    nothing_due_message,
    script_summary,
    zone_label,
)
from .forms import ClaimForm, DispositionError, DispositionForm, clean_notes, parse_callback


@bp.route("/")
@role_required("operator", "admin")
def index() -> ResponseReturnValue:
    now = utcnow()
    campaigns = []
    for campaign in phone_campaigns():
        rates = phone_response_rates(campaign)
        by_group = phone_response_rates(campaign, by="group")
        by_operator = phone_response_rates(campaign, by="operator")
        rate_rows = [(gettext("Campaign"), rates.get(None))]
        rate_rows += [
            (gettext("Group: %(group)s", group=group_label(code)), r)
            for code, r in sorted(by_group.items(), key=lambda item: str(item[0]))
        ]
        rate_rows.append((gettext("Your calls"), by_operator.get(current_user.id)))
        campaigns.append(
            {
                "campaign": campaign,
                "counts": queue_counts(campaign, now=now),
                "rate_rows": rate_rows,
                "zone": zone_label(campaign),
            }
        )
    held = [
        {
            "case": case,
            "name": case.invitation.contact.name if case.invitation.contact else "",
            "phone": mask_phone(case.invitation.contact.phone if case.invitation.contact else None),
            "campaign": case.campaign,
        }
        for case in held_cases(current_user)
    ]
    return render_template(
        "operator/index.html",
        campaigns=campaigns,
        held=held,
        form=ClaimForm(),
        count_labels=_count_labels(),
        dispositions=disposition_rows(),
        format_percent=format_percent,
        format_decimal=format_decimal,
    )


def _count_labels() -> dict[str, str]:
    """Headings of the queue counts; a key not listed is shown as it is."""
    return {
        "due": gettext("due now"),
        "callbacks": gettext("call-backs due"),
        "later": gettext("due later"),
        "claimed": gettext("in a call"),
        "closed": gettext("closed"),
    }


@bp.post("/next/<int:campaign_id>")
@role_required("operator", "admin")
def next_call(campaign_id: int) -> ResponseReturnValue:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not ClaimForm().validate_on_submit():
        abort(400)
    now = utcnow()
    case = claim_next(campaign, current_user, now=now)
    if case is None:
        flash(nothing_due_message(campaign, queue_counts(campaign, now=now), now), "error")
        return redirect(url_for("operator.index"), 303)
    return redirect(url_for("operator.case", case_id=case.id), 303)


# --- the case ----------------------------------------------------------------------------------


def _case_or_403(case_id: int) -> CallCase:
    case = db.get_or_404(CallCase, case_id)
    if not can_work_on(case, current_user):
        abort(403)
    return case


@bp.get("/case/<int:case_id>")
@role_required("operator", "admin")
def case(case_id: int) -> ResponseReturnValue:
    call = _case_or_403(case_id)
    renew_claim(call, current_user)
    target, unavailable = _target(call)
    wanted = request.args.get("q")
    return _case_page(call, target, unavailable, wanted)


def _target(call: CallCase) -> tuple[Target | None, str | None]:
    """The interview's questionnaire, or why it cannot be taken (the call can still be logged)."""
    try:
        target = interview_target(call)
    except Unavailable as error:
        messages = {
            "answered": gettext("This person's questionnaire has already been answered."),
            "withdrawn": gettext("This invitation has been withdrawn."),
            "expired": gettext("This invitation has expired."),
            "not_open": gettext("The campaign has not opened yet."),
            "closed": gettext("The campaign is closed."),
        }
        return None, messages.get(
            error.kind, gettext("The questionnaire cannot be shown for this case.")
        )
    db.session.commit()  # an instrument version seen for the first time, kept for good
    return target, None


def _step_question(target: Target, wanted: str | None) -> Any:
    """The question on screen: the one asked for if it is asked now, else where to resume."""
    if wanted == END:
        return None
    shown = {question.id for question in asked(target.instrument, target.answers)}
    if wanted in shown:
        return target.instrument.question(wanted)
    return resume_at(target.instrument, target.answers)


def _case_page(
    call: CallCase,
    target: Target | None,
    unavailable: str | None,
    wanted: str | None,
    *,
    answer_form: AnswerForm | None = None,
    disposition_form: DispositionForm | None = None,
    status: int = 200,
) -> Any:
    """The case page: who, which unit (of how many), the script's step or summary, outcomes.

    Long because the template takes every part of a call in one place, each a
    line here; split up, the page's parts would be gathered in several places.
    """
    campaign = call.campaign
    contact = call.invitation.contact
    history = attempt_history(call)
    step = None
    summary = []
    lang = None
    question = None
    if target is not None:
        lang = script_language(target)
        question = _step_question(target, wanted)
        if question is not None:
            step = script_step(target.instrument, question, target.answers, lang)
            if answer_form is None:
                answer_form = _answer_form(target, question, lang, initial=target.answers)
        else:
            summary = script_summary(target, lang)
    buttons = disposition_buttons(at_end=question is None, message_allowed=may_leave_message(call))
    body = render_template(
        "operator/case.html",
        call=call,
        campaign=campaign,
        zone=zone_label(campaign),
        contact=contact,
        group=call.invitation.group,
        unit=call.invitation.unit,
        unit_of=unit_step(call),
        history=history,
        target=target,
        unavailable=unavailable,
        step=step,
        question=question,
        field=answer_form[field_name(question.id)]
        if answer_form is not None and question
        else None,
        answer_form=answer_form,
        summary=summary,
        script_lang=lang,
        intro=(
            localized(target.instrument.intro, lang, target.instrument.default_language)
            if target is not None and target.instrument.intro and lang
            else ""
        ),
        at_start=target is not None and not target.answers,
        dispositions=buttons,
        disposition_form=disposition_form or DispositionForm(formdata=None),
        finish_form=ClaimForm(formdata=None),
        end=END,
    )
    result = make_response(body, status)
    result.headers["Cache-Control"] = "no-store"
    return result












def _answer_form(target: Target, question: Any, lang: str, **kw: Any) -> AnswerForm:
    return build_form(
        target.instrument,
        [question],
        lang,
        max_text=int(current_app.config["SURVEY_MAX_TEXT"]),
        **kw,
    )


@bp.post("/case/<int:case_id>/answer")
@role_required("operator", "admin")
def answer(case_id: int) -> ResponseReturnValue:
    call = _case_or_403(case_id)
    renew_claim(call, current_user)
    target, unavailable = _target(call)
    if target is None:
        flash(unavailable or "", "error")
        return redirect(url_for("operator.case", case_id=call.id), 303)
    qid = request.form.get("page", "")
    action = request.form.get("action", "next")
    shown = {q.id for q in asked(target.instrument, target.answers)}
    if qid not in shown or action not in {"next", "back"}:
        abort(400)
    question = target.instrument.question(qid)
    counts = {name: len(request.form.getlist(name)) for name in request.form}
    if unexpected_fields([question], request.form.keys(), counts):
        abort(400)
    lang = script_language(target)
    form = _answer_form(target, question, lang, formdata=request.form)
    result = check_page(
        form, target.instrument, [question], target.answers, require=action != "back"
    )
    if not result.valid:
        return _case_page(call, target, None, qid, answer_form=form, status=422)
    save_answer(target, question, result.answers, operator=current_user)
    db.session.commit()
    if action == "back":
        previous = question_before(target.instrument, target.answers, qid)
        return redirect(url_for("operator.case", case_id=call.id, q=(previous or question).id), 303)
    following = question_after(target.instrument, target.answers, qid)
    return redirect(
        url_for("operator.case", case_id=call.id, q=following.id if following else END), 303
    )


@bp.post("/case/<int:case_id>/disposition")
@role_required("operator", "admin")
def disposition(case_id: int) -> ResponseReturnValue:
    call = db.get_or_404(CallCase, case_id)
    form = DispositionForm()
    code = (request.form.get("disposition") or "").strip()
    if not can_work_on(call, current_user):
        # A repeated "finish" after the interview was stored: the same outcome, not an error.
        done = stored_interview(call, current_user.id)
        if done is not None and code in INTERVIEW_DISPOSITIONS:
            flash(gettext("This interview is already stored."), "info")
            return redirect(url_for("operator.index"), 303)
        abort(403)
    if not form.validate_on_submit():
        abort(400)
    if code not in DISPOSITIONS:
        return _refuse(call, form, gettext("Choose one of the outcomes listed."))
    try:
        books_callback = DISPOSITIONS[code].callback
        if books_callback and not can_book_callback(call):
            raise DispositionError(
                gettext(
                    "No further call-back can be booked: this call is the call-back the person "
                    "asked for on the last of %(max)s allowed attempts. Record another outcome.",
                    max=call.campaign.max_attempts,
                )
            )
        if code == "voicemail_message" and not may_leave_message(call):
            raise DispositionError(
                gettext(
                    "No more messages: this campaign leaves at most %(max)s on a person's "
                    "voicemail. Record the voicemail without a message.",
                    max=call.campaign.max_messages,
                )
            )
        notes = clean_notes(form.notes.data)
        callback_at = parse_callback(
            form.callback_at.data, call.campaign, required=books_callback
        )
        if not books_callback and callback_at is not None:
            raise DispositionError(
                gettext("A call-back time is kept only with the outcome “call-back”.")
            )
    except DispositionError as error:
        return _refuse(call, form, str(error))
    if code in INTERVIEW_DISPOSITIONS:
        return _finish(call, form, code, notes)
    try:
        record_attempt(call, current_user, code, notes=notes, callback_at=callback_at)
        db.session.commit()
    except PhoneError as error:
        db.session.rollback()
        return _refuse(call, form, str(error))
    flash(gettext("Recorded: %(outcome)s.", outcome=label(code)), "info")
    return redirect(url_for("operator.index"), 303)


def _finish(call: CallCase, form: DispositionForm, code: str, notes: str | None) -> Any:
    """Store the interview and its attempt in one transaction, then back to the queue."""
    target, unavailable = _target(call)
    if target is None:
        return _refuse(call, form, unavailable or "")
    try:
        check_finish(target, code)
    except InterviewError as error:
        return _refuse(call, form, str(error), target=target)
    operator = current_user._get_current_object()
    try:
        _response, new = service.submit_invitation(
            target,
            _all_questions(target),
            dict(target.answers),
            key=submission_key(call),
            started_at=started_at(target),
            language=script_language(target),
            operator_id=operator.id,
        )
        if new:  # the interview and its attempt: both stored or neither
            record_attempt(call, operator, code, notes=notes)
        db.session.commit()
    except PhoneError as error:
        db.session.rollback()
        return _refuse(call, form, str(error))
    except Unavailable:
        db.session.rollback()
    flash(gettext("Recorded: %(outcome)s. The answers are stored.", outcome=label(code)), "info")
    following = claim_next_unit(call, operator)
    if following is not None:
        # The person is still on the line: go on about their next unit in the same call.
        flash(
            gettext(
                "Go on in the same call: %(name)s is also asked about %(unit)s.",
                name=following.invitation.contact.name if following.invitation.contact else "",
                unit=following.invitation.unit.name,
            ),
            "info",
        )
        return redirect(url_for("operator.case", case_id=following.id), 303)
    return redirect(url_for("operator.index"), 303)


def _all_questions(target: Target) -> Any:
    from ..instruments import Page

    last = target.instrument.pages[-1]
    return Page(id=last.id, title=None, questions=target.instrument.questions)




def _refuse(
    call: CallCase, form: DispositionForm, message: str, *, target: Target | None = None
) -> Any:
    """The case page again with the message, the notes and time as typed; nothing stored."""
    db.session.rollback()
    if target is None:
        target, unavailable = _target(call)
    else:
        unavailable = None
    flash(message, "error")
    wanted = request.form.get("q") or None
    return _case_page(call, target, unavailable, wanted, disposition_form=form, status=422)
