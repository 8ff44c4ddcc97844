"""The respondent pages as rendered: a card or a page of one, thank-you, why not, tampered.

Rendering only: the routes decide, these turn the decision into HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Response as FlaskResponse,
)
from flask import (
    current_app,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .. import responses as service
from ..channels.devices import DEVICE_COOKIE, DEVICE_COOKIE_DAYS
from ..followup.cases import FIX_RATING_LABELS
from ..i18n import LANG_COOKIE
from ..instruments import Instrument, Page, Question, localized
from ..models import Device, FollowUpCase, Invitation, Response, Unit
from ..responses.answers import number_text
from ..responses.targets import Tampered, Target, Unavailable
from ..web.answer_form import AnswerForm, field_name
from .forms import EnrolForm, FixRatingForm
from .kept_pages import same_for_everyone


def rating_page(case_row: FollowUpCase, form: FixRatingForm, *, status: int = 200) -> Any:
    body = render_template(
        "respond/rate_fix.html",
        title=gettext("Rate what was done"),
        unit_name=case_row.unit.name,
        action_taken=case_row.action_taken or "",
        form=form,
    )
    return make_response(body, status)


def rating_done(case_row: FollowUpCase) -> Any:
    """Why this link takes no rating: rated already (on the link or by phone), or closed."""
    if case_row.fix_rating is None:
        return rating_message(
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
    return rating_message(gettext("Already rated, thank you"), message, 409)


def rating_message(title: str, message: str, status: int) -> Any:
    body = render_template(
        "respond/unavailable.html", title=title, message=message, kind="rating", kiosk_code=None
    )
    return make_response(body, status)


def numbering(instrument: Instrument) -> dict[str, int]:
    return {question.id: number for number, question in enumerate(instrument.questions, start=1)}


def condition_hint(
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
        number=numbering(instrument)[source.id],
        answers=gettext(" or ").join(labels) if len(labels) < 3 else " / ".join(labels),
    )


def range_text(question: Question) -> str:
    if question.type != "number" or (question.min is None and question.max is None):
        return ""
    if question.min is not None and question.max is not None:
        return f"{number_text(question.min)}–{number_text(question.max)}"
    if question.min is not None:
        return f"≥ {number_text(question.min)}"
    assert question.max is not None  # one of the two, by the first test
    return f"≤ {number_text(question.max)}"


def card(
    target: Target,
    form: AnswerForm,
    page: Page | None,
    lang: str,
    *,
    pages: list[Page] | None = None,
    kiosk_code: str | None = None,
    status: int = 200,
    missing: bool = False,
    unit_step: tuple[int, int] | None = None,
    units_url: str | None = None,
) -> Any:
    """A card, or one page of a longer questionnaire.

    ``unit_step`` (this unit's place among a link's units, and their number)
    and ``units_url`` (the list of them) are given for a link that asks about
    several units, so the page says which unit it is about and leads back.

    The questions of an untouched form (no answers yet, no errors: every card's
    GET) are rendered once per form class, page and language and kept: their 22
    option widgets cost more to render than the rest of the page.
    """
    instrument = target.instrument
    fallback = instrument.languages[0]
    page_count = len(pages) if pages else None
    # An untouched form (a card's GET): its questions' HTML is the same for every visitor.
    untouched = not target.answers and not form.errors and not _answered(form, target, page)
    key = (type(form), page.id if page is not None else None, page_count, lang)
    questions_html = _QUESTIONS_HTML.get(key) if untouched else None
    sections = [] if questions_html is not None else _sections(target, form, page, lang)
    if untouched and questions_html is None:
        questions_html = Markup(
            render_template("respond/_questions.html", sections=sections, page_count=page_count)
        )
        if len(_QUESTIONS_HTML) >= _MOST_QUESTIONS_HTML:
            _QUESTIONS_HTML.clear()
        _QUESTIONS_HTML[key] = questions_html
    position = pages.index(page) + 1 if pages and page in pages else None
    body = render_template(
        "respond/card.html",
        title=localized(instrument.title, lang, fallback),
        intro=localized(instrument.intro, lang, fallback) if instrument.intro else "",
        form=form,
        sections=sections,
        questions_html=questions_html,
        page=page,
        position=position,
        page_count=page_count,
        first_page=position in (None, 1),
        last_page=position is None or position == len(pages or []),
        kiosk_code=kiosk_code,
        unit_name=target.unit.name,
        point_name=target.point.name if target.point is not None else None,
        missing=missing,
        unit_step=unit_step,
        units_url=units_url,
        test=target.test,
    )
    return no_store(make_response(body, status))


def fresh_card(
    target: Target,
    lang: str,
    submission_key: str,
    build: Callable[[], AnswerForm],
    *,
    kiosk_code: str | None = None,
) -> Any:
    """A one-page card as it opens (a GET): kept once rendered (survey.respond.kept_pages).

    The page shows the instrument version's questions in ``lang``, its unit and
    point by name, whether it is a test, the kiosk's code and, per request, the
    style nonce, the CSRF token and the submission key: the key names all but
    those three, which are put in. ``build`` makes the form when it is rendered.
    """
    config = current_app.config
    csrf_on = bool(config.get("WTF_CSRF_ENABLED", True))
    tokens = {"nonce": _style_nonce(), "key": submission_key}
    if csrf_on:
        tokens["csrf"] = generate_csrf()
    point_name = target.point.name if target.point is not None else None
    key = (
        "card",
        target.version.id,
        lang,
        target.test,
        kiosk_code,
        target.unit.name,
        point_name,
        csrf_on,
        config.get("SURVEY_MAX_TEXT"),
    )

    def render() -> str:
        form = build()
        form.submission_key.data = submission_key
        return str(card(target, form, None, lang, kiosk_code=kiosk_code).get_data(as_text=True))

    return no_store(make_response(same_for_everyone(key, render, tokens), 200))


def _style_nonce() -> str:
    return str(getattr(request, "csp_nonce", "") or "")


# (form class, page, number of pages, language) -> the questions' HTML of an untouched form.
# The form class stands for the instrument version, the page's questions and the language.
_QUESTIONS_HTML: dict[tuple[type, str | None, int | None, str], Markup] = {}
_MOST_QUESTIONS_HTML = 512


def _answered(form: AnswerForm, target: Target, page: Page | None) -> bool:
    """Whether any question field of the form holds an answer."""
    questions = page.questions if page is not None else target.instrument.questions
    return any(form[field_name(question.id)].data for question in questions)


def _sections(target: Target, form: AnswerForm, page: Page | None, lang: str) -> list[Any]:
    """The card's sections, question by question: number, field, condition hint, note, range."""
    instrument = target.instrument
    fallback = instrument.languages[0]
    numbers = numbering(instrument)
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
            hint = condition_hint(instrument, question, same_page, lang)
            if question.id not in shown and hint is None:
                continue  # its condition rests on an earlier page and is not met
            items.append(
                {
                    "number": numbers[question.id],
                    "question": question,
                    "field": form[field_name(question.id)],
                    "hint": hint,
                    "note": localized(question.hint, lang, fallback) if question.hint else "",
                    "range": range_text(question),
                }
            )
        if items:
            title = localized(source_page.title, lang, fallback) if source_page.title else ""
            sections.append({"title": title, "items": items})
    return sections


def units_page(
    lead: Invitation, steps: list[service.UnitStep], token: str, *, done: Unit | None
) -> Any:
    """The units one link asks about: answered, begun or not begun, and a way into each.

    A plain list of links, so it works with JavaScript off; ``done`` is the
    unit whose answers were just received.
    """
    items = [
        {
            "unit": step.invitation.unit,
            "state": step.state,
            "url": url_for(
                "respond.invitation_unit", token=token, unit_code=step.invitation.unit.code
            ),
        }
        for step in steps
    ]
    following = next((item for item in items if item["state"] != service.ANSWERED), None)
    body = render_template(
        "respond/units.html",
        title=gettext("Your evaluation"),
        items=items,
        done=done,
        following=following,
        answered=service.ANSWERED,
        begun=service.BEGUN,
    )
    return make_response(body, 200)


def thanks(response: Response, *, kiosk_code: str | None = None) -> Any:
    return thanks_page(test=response.test, kiosk_code=kiosk_code)


def thanks_page(*, test: bool, kiosk_code: str | None = None) -> Any:
    """The thank-you after a card (``test``: it was a test answer, and says so).

    A QR card's thank-you is the same page for everyone in a language but for the
    request's style nonce: it is rendered once per app, language and test flag,
    and the nonce put in (a kiosk's, which names its point, is rendered each time).
    """
    if kiosk_code is None:
        body = same_for_everyone(
            ("thanks", str(get_locale()), test),
            lambda: _thanks_body(test),
            {"nonce": _style_nonce()},
        )
    else:
        body = _thanks_body(test, kiosk_code)
    result = make_response(body, 200)
    if kiosk_code is not None:
        forget_person(result)
    return no_store(result)


def _thanks_body(test: bool, kiosk_code: str | None = None) -> str:
    return render_template(
        "respond/thanks.html",
        title=gettext("Thank you"),
        kiosk_code=kiosk_code,
        callback=False,
        test=test,
    )


def thanks_again() -> Any:
    body = render_template(
        "respond/thanks.html", title=gettext("Thank you"), kiosk_code=None, callback=False
    )
    return make_response(body, 200)


def forget_person(result: FlaskResponse) -> None:
    """Kiosk: the next person at the tablet starts clean (no language choice, no session)."""
    session.clear()
    result.delete_cookie(LANG_COOKIE)


def unavailable(error: Unavailable, *, kiosk_code: str | None = None) -> Any:
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
        forget_person(result)
    return result


def tampered(error: Tampered) -> Any:
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


def enrol_page(form: EnrolForm, *, status: int = 200) -> Any:
    body = render_template("respond/enrol.html", title=gettext("Enrol this tablet"), form=form)
    return make_response(body, status)


def enrolled_page(device: Device) -> Any:
    body = render_template(
        "respond/enrolled.html",
        title=gettext("This tablet is enrolled"),
        device=device,
        point=device.service_point,
    )
    return make_response(body, 200)


def set_device_cookie(result: FlaskResponse, value: str) -> None:
    """The kiosk's signed cookie: this site only, never read by script, https-only under https."""
    result.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )


def no_store(result: Any) -> Any:
    """Pages with a form or a personal link are never cached (a shared tablet, a shared phone)."""
    result = make_response(result)
    result.headers["Cache-Control"] = "no-store"
    return result
