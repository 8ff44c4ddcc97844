"""Respondent routes (thin: the work is done in survey.responses).

- ``/p/<code>``: a service point's reusable QR code (channel "qr"), rate-limited;
- ``/k/<code>``: the same card on a tablet at the window (channel "kiosk");
- ``/t/<token>``: a receipt's one-time ticket (channel "ticket");
- ``/i/<token>``: one person's invitation, page by page, resumable;
- ``/f/<token>``: the respondent of a bad review rates what was done (once).

Status codes: a questionnaire page 200; a page sent back with errors to correct
422 (what was entered is kept); a tampered form 400 (nothing stored); the pages
that are not a questionnaire as listed in survey.responses.targets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import (
    Response as FlaskResponse,
)
from flask import (
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, gettext

from .. import responses as service
from ..extensions import db, limiter
from ..followup import FIX_RATING_LABELS, case_by_rating_token, rate_by_link, rating_link_open
from ..i18n import LANG_COOKIE, normalise, requested_language
from ..instruments import Instrument, Page, Question, localized
from ..models import FollowUpCase, Response
from ..responses.answers import AnswerValue, number_text
from ..responses.targets import Tampered, Target, Unavailable
from ..web.answer_form import AnswerForm, build_form, check_page, field_name, unexpected_fields
from . import bp
from .forms import FixRatingForm


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    return render_template(
        "error.html",
        title=gettext("Satisfaction survey"),
        message=gettext("Scan the QR code at the counter or open the link you received."),
    )


def _point_limit() -> str:
    return str(current_app.config["SURVEY_POINT_RATE_LIMIT"])


@bp.route("/p/<code>", methods=["GET", "POST"])
@limiter.limit(_point_limit, methods=["POST"])
def point(code: str):  # type: ignore[no-untyped-def]
    return _card(lambda: service.resolve_point(code, "qr"))


@bp.route("/k/<code>", methods=["GET", "POST"])
@limiter.limit(_point_limit, methods=["POST"])
def kiosk(code: str):  # type: ignore[no-untyped-def]
    return _no_store(_card(lambda: service.resolve_point(code, "kiosk"), kiosk_code=code))


@bp.route("/t/<token>", methods=["GET", "POST"])
def ticket(token: str):  # type: ignore[no-untyped-def]
    return _card(lambda: service.resolve_ticket(token))


@bp.route("/i/<token>", methods=["GET", "POST"])
def invitation(token: str):  # type: ignore[no-untyped-def]
    return _no_store(_invitation(token))


@bp.route("/f/<token>", methods=["GET", "POST"])
def rate_fix(token: str):  # type: ignore[no-untyped-def]
    case_row = case_by_rating_token(token)
    if case_row is None:
        return _no_store(
            _rating_message(
                gettext("Link not found"),
                gettext(
                    "This address does not lead to a rating page. "
                    "Please check the link in your text message."
                ),
                404,
            )
        )
    preferred = normalise(case_row.response.language)
    if preferred and requested_language() is None:
        # The language the review was given in (and the SMS written in), until they pick another.
        with force_locale(preferred):
            return _no_store(_rate_fix(case_row))
    return _no_store(_rate_fix(case_row))


# --- one-page cards: QR, kiosk, ticket ---------------------------------------------------------


def _card(resolve: Callable[[], Target], *, kiosk_code: str | None = None) -> Any:
    """Show or take a card whose questions all fit on one page."""
    lang = _lang()
    key = request.form.get("submission_key", "") if request.method == "POST" else ""
    if key:
        done = service.response_by_key(key)
        if done is not None:
            # A double tap or a retry: the first POST stored it; the same thank-you again.
            return _thanks(done, kiosk_code=kiosk_code)
    try:
        target = resolve()
    except Unavailable as error:
        return _unavailable(error, kiosk_code=kiosk_code)
    db.session.commit()  # an instrument version seen for the first time, kept for good
    if service.is_full(target):
        return _unavailable(Unavailable("full", target.campaign), kiosk_code=kiosk_code)
    questions = target.instrument.questions
    if request.method == "GET":
        form = _form(target, questions, lang, initial={})
        form.submission_key.data = service.new_submission_key(target)
        return _page(target, form, None, lang, kiosk_code=kiosk_code)
    try:
        _refuse_unexpected(questions)
        started_at = service.check_submission_key(target, key)
    except Tampered as error:
        return _tampered(error)
    form = _form(target, questions, lang, formdata=request.form)
    result = check_page(form, target.instrument, questions, {})
    if not result.valid:
        return _page(target, form, None, lang, kiosk_code=kiosk_code, status=422)
    try:
        response, _new = service.submit_card(
            target,
            result.answers,
            key=key,
            started_at=started_at,
            language=lang,
            remote_addr=request.remote_addr,
        )
    except Unavailable as error:
        return _unavailable(error, kiosk_code=kiosk_code)
    db.session.commit()
    return _thanks(response, kiosk_code=kiosk_code)


# --- invitations: page by page -----------------------------------------------------------------


def _invitation(token: str) -> Any:
    key = request.form.get("submission_key", "") if request.method == "POST" else ""
    if key:
        done = service.response_by_key(key)
        if done is not None and done.submitted_at is not None:
            return _thanks(done)
    try:
        target = service.resolve_invitation(token)
    except Unavailable as error:
        return _unavailable(error)
    db.session.commit()  # an instrument version seen for the first time, kept for good
    preferred = normalise(target.invitation.language) if target.invitation else None
    if preferred and requested_language() is None:
        # The language the letter or SMS was written in, until the person picks another.
        with force_locale(preferred):
            return _invitation_pages(target, token)
    return _invitation_pages(target, token)


def _invitation_pages(target: Target, token: str) -> Any:
    lang = _lang()
    key = request.form.get("submission_key", "") if request.method == "POST" else ""
    if target.draft is None and service.is_full(target):
        return _unavailable(Unavailable("full", target.campaign))
    pages = target.pages()
    if not pages:
        return _unavailable(Unavailable("unavailable", target.campaign))
    order = {page.id: index for index, page in enumerate(target.instrument.pages)}
    reached = order.get(target.draft.current_page or "", 0) if target.draft is not None else 0
    allowed = [page for page in pages if order[page.id] <= reached] or pages[:1]

    if request.method == "GET":
        wanted = request.args.get("page")
        page = next((p for p in allowed if p.id == wanted), allowed[-1])
        form = _form(target, page.questions, lang, initial=target.answers)
        form.submission_key.data = service.new_submission_key(target)
        missing = request.args.get("missing") == "1"
        return _page(target, form, page, lang, pages=pages, missing=missing)

    page = next((p for p in allowed if p.id == request.form.get("page")), None)
    action = request.form.get("action", "next")
    try:
        if page is None or action not in {"back", "next", "submit"}:
            raise Tampered("page")
        _refuse_unexpected(page.questions)
        started_at = service.check_submission_key(target, key)
    except Tampered as error:
        return _tampered(error)
    form = _form(target, page.questions, lang, formdata=request.form)
    result = check_page(
        form, target.instrument, page.questions, target.answers, require=action != "back"
    )
    if not result.valid:
        return _page(target, form, page, lang, pages=pages, status=422)

    combined = {q: v for q, v in target.answers.items() if q not in {x.id for x in page.questions}}
    combined.update(result.answers)
    target.answers = combined
    pages = target.pages()
    index = next((i for i, p in enumerate(pages) if p.id == page.id), len(pages) - 1)
    if action == "back":
        previous = pages[max(index - 1, 0)]
        _save(target, page, result.answers, lang, reached, order)
        return redirect(url_for("respond.invitation", token=token, page=previous.id), 303)
    if index + 1 < len(pages):
        following = pages[index + 1]
        _save(target, page, result.answers, lang, max(reached, order[following.id]), order)
        return redirect(url_for("respond.invitation", token=token, page=following.id), 303)
    gap = service.missing_required(target, combined)
    if gap is not None and gap.id != page.id:
        _save(target, page, result.answers, lang, reached, order)
        return redirect(url_for("respond.invitation", token=token, page=gap.id, missing=1), 303)
    try:
        response, _new = service.submit_invitation(
            target, page, result.answers, key=key, started_at=started_at, language=lang
        )
    except Unavailable as error:
        return _unavailable(error)
    db.session.commit()
    return _thanks(response)


def _save(
    target: Target,
    page: Page,
    answers: dict[str, AnswerValue],
    lang: str,
    reached: int,
    order: dict[str, int],
) -> None:
    reached_id = next(p.id for p in target.instrument.pages if order[p.id] == reached)
    service.save_page(target, page, answers, language=lang, reached=reached_id)
    db.session.commit()


# --- the rating of a fix: /f/<token> ----------------------------------------------------------


def _rate_fix(case_row: FollowUpCase) -> Any:
    """The three choices, or why there are none; a valid POST rates the fix once."""
    if case_row.fix_rating is not None or case_row.status != "remedied":
        return _rating_done(case_row)
    if not rating_link_open(case_row):
        return _rating_message(
            gettext("This link has expired"),
            gettext(
                "Ratings are taken for %(days)s days after the unit acted. Thank you all the same.",
                days=current_app.config["SURVEY_RATING_DAYS"],
            ),
            410,
        )
    form = FixRatingForm()
    if request.method == "GET":
        return _rating_page(case_row, form)
    if not form.validate_on_submit():
        return _rating_page(case_row, form, status=422)
    if not rate_by_link(case_row, form.rating.data):
        # Rated meanwhile (a double tap, the handler by phone): say so, change nothing.
        return _rating_done(case_row)
    return _rating_message(
        gettext("Thank you"),
        gettext("Your rating has been received. Thank you for telling us."),
        200,
    )


def _rating_page(case_row: FollowUpCase, form: FixRatingForm, *, status: int = 200) -> Any:
    body = render_template(
        "respond/rate_fix.html",
        title=gettext("Rate what was done"),
        unit_name=case_row.unit.name,
        action_taken=case_row.action_taken or "",
        form=form,
    )
    return make_response(body, status)


def _rating_done(case_row: FollowUpCase) -> Any:
    """Why this link takes no rating: rated already (on the link or by phone), or closed."""
    if case_row.fix_rating is None:
        return _rating_message(
            gettext("This follow-up is closed"),
            gettext("This follow-up is closed and no longer takes a rating. Thank you."),
            410,
        )
    rating = FIX_RATING_LABELS.get(case_row.fix_rating, case_row.fix_rating)
    if case_row.rating_channel == "link":
        message = gettext(
            "Your rating of what was done has already been received: %(rating)s. "
            "This link can be used once; nothing was changed.",
            rating=rating,
        )
    else:
        message = gettext(
            "You already gave your rating of what was done by phone: %(rating)s. "
            "Nothing was changed.",
            rating=rating,
        )
    return _rating_message(gettext("Already rated, thank you"), message, 409)


def _rating_message(title: str, message: str, status: int) -> Any:
    body = render_template(
        "respond/unavailable.html", title=title, message=message, kind="rating", kiosk_code=None
    )
    return make_response(body, status)


# --- helpers -----------------------------------------------------------------------------------


def _lang() -> str:
    locale = get_locale()
    return str(locale) if locale else str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _form(
    target: Target,
    questions: Sequence[Question],
    lang: str,
    *,
    initial: dict[str, AnswerValue] | None = None,
    formdata: Any = None,
) -> AnswerForm:
    return build_form(
        target.instrument,
        questions,
        lang,
        max_text=int(current_app.config["SURVEY_MAX_TEXT"]),
        initial=initial,
        formdata=formdata,
    )


def _refuse_unexpected(questions: Sequence[Question]) -> None:
    counts = {name: len(request.form.getlist(name)) for name in request.form}
    problems = unexpected_fields(questions, request.form.keys(), counts)
    if problems:
        raise Tampered("fields")


def _numbering(instrument: Instrument) -> dict[str, int]:
    return {question.id: number for number, question in enumerate(instrument.questions, start=1)}


def _condition_hint(
    instrument: Instrument, question: Question, same_page: set[str], lang: str
) -> str | None:
    """For a question shown on a condition met on this same page: say when to answer it.

    With JavaScript off the page cannot hide it, so it is shown with this hint,
    and the server ignores the answer when the condition is not met.
    """
    condition = question.show_if
    if condition is None or condition.question not in same_page:
        return None
    source = instrument.question(condition.question)
    fallback = instrument.languages[0]
    labels = [
        localized(option.text, lang, fallback)
        for option in source.options
        if option.value in set(condition.any_of)
    ] or [str(value) for value in condition.any_of]
    return gettext(
        "Answer only if your answer to question %(number)s was: %(answers)s.",
        number=_numbering(instrument)[source.id],
        answers=gettext(" or ").join(labels) if len(labels) < 3 else " / ".join(labels),
    )


def _range_text(question: Question) -> str:
    if question.type != "number" or (question.min is None and question.max is None):
        return ""
    if question.min is not None and question.max is not None:
        return f"{number_text(question.min)}–{number_text(question.max)}"
    if question.min is not None:
        return f"≥ {number_text(question.min)}"
    return f"≤ {number_text(question.max)}"


def _page(
    target: Target,
    form: AnswerForm,
    page: Page | None,
    lang: str,
    *,
    pages: list[Page] | None = None,
    kiosk_code: str | None = None,
    status: int = 200,
    missing: bool = False,
) -> Any:
    instrument = target.instrument
    fallback = instrument.languages[0]
    numbers = _numbering(instrument)
    if page is None:
        sections_src = [(p, list(p.questions)) for p in instrument.pages]
    else:
        sections_src = [(page, list(page.questions))]
    shown = service.visible_ids(instrument, target.answers)
    same_page = {q.id for _source, questions in sections_src for q in questions}
    sections = []
    for source_page, questions in sections_src:
        items = []
        for question in questions:
            hint = _condition_hint(instrument, question, same_page, lang)
            if question.id not in shown and hint is None:
                continue  # its condition rests on an earlier page and is not met
            items.append(
                {
                    "number": numbers[question.id],
                    "question": question,
                    "field": form[field_name(question.id)],
                    "hint": hint,
                    "range": _range_text(question),
                }
            )
        if items:
            title = localized(source_page.title, lang, fallback) if source_page.title else ""
            sections.append({"title": title, "items": items})
    position = pages.index(page) + 1 if pages and page in pages else None
    body = render_template(
        "respond/card.html",
        title=localized(instrument.title, lang, fallback),
        intro=localized(instrument.intro, lang, fallback) if instrument.intro else "",
        form=form,
        sections=sections,
        page=page,
        position=position,
        page_count=len(pages) if pages else None,
        first_page=position in (None, 1),
        last_page=position is None or position == len(pages or []),
        kiosk_code=kiosk_code,
        unit_name=target.unit.name,
        point_name=target.point.name if target.point is not None else None,
        missing=missing,
    )
    return _no_store(make_response(body, status))


def _thanks(response: Response, *, kiosk_code: str | None = None) -> Any:
    body = render_template(
        "respond/thanks.html",
        title=gettext("Thank you"),
        kiosk_code=kiosk_code,
        callback=False,
    )
    result = make_response(body, 200)
    if kiosk_code is not None:
        _forget_person(result)
    return _no_store(result)


def _forget_person(result: FlaskResponse) -> None:
    """Kiosk: the next person at the tablet starts clean (no language choice, no session)."""
    session.clear()
    result.delete_cookie(LANG_COOKIE)


def _unavailable(error: Unavailable, *, kiosk_code: str | None = None) -> Any:
    titles = {
        "unknown": gettext("Questionnaire not found"),
        "expired": gettext("This link has expired"),
        "withdrawn": gettext("This link is no longer valid"),
        "not_open": gettext("The survey has not started yet"),
        "closed": gettext("The survey is closed"),
        "answered": gettext("Already answered, thank you"),
        "full": gettext("Thank you"),
        "unavailable": gettext("Questionnaire not available"),
    }
    messages = {
        "unknown": gettext(
            "This address does not lead to a questionnaire. Please check the link or the code."
        ),
        "expired": gettext("The time for answering with this link has passed. Thank you."),
        "withdrawn": gettext("This invitation has been withdrawn. Thank you."),
        "not_open": gettext("This survey is not open yet. Please come back later."),
        "closed": gettext("This survey is closed and no longer takes answers. Thank you."),
        "answered": gettext(
            "This questionnaire has already been answered. Each link or receipt code "
            "can be used once. Thank you for your time."
        ),
        "full": gettext(
            "We have received all the answers we need for this survey, so no more are "
            "being collected. Thank you for your willingness to help."
        ),
        "unavailable": gettext(
            "This questionnaire cannot be shown at the moment. Please try again later."
        ),
    }
    body = render_template(
        "respond/unavailable.html",
        title=titles[error.kind],
        message=messages[error.kind],
        kind=error.kind,
        kiosk_code=kiosk_code,
    )
    result = make_response(body, error.status)
    if kiosk_code is not None and error.kind == "full":
        _forget_person(result)
    return result


def _tampered(error: Tampered) -> Any:
    body = render_template(
        "respond/unavailable.html",
        title=gettext("This form cannot be accepted"),
        message=gettext(
            "What was sent does not match the questionnaire at this address (an unknown "
            "field, or a form of another questionnaire). Nothing was saved. Please reload "
            "the page and answer again."
        ),
        kind="tampered",
        reload_url=request.path,
        kiosk_code=None,
    )
    return make_response(body, 400)


def _no_store(result: Any) -> Any:
    """Pages with a form or a personal link are never cached (a shared tablet, a shared phone)."""
    result = make_response(result)
    result.headers["Cache-Control"] = "no-store"
    return result
