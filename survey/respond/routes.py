"""Respondent routes (thin: the work is done in survey.responses).

- ``/p/<code>``: a service point's reusable QR code (channel "qr"), rate-limited;
- ``/k/<code>``: the same card on a tablet at the window (channel "kiosk"), only on a
  device an administrator enrolled for that point; any other browser gets the public card;
- ``/device/enrol``: where a tablet's one-time enrolment code is typed;
- ``/t/<token>``: a receipt's one-time ticket (channel "ticket");
- ``/i/<token>``: one person's invitation, page by page, resumable;
- ``/f/<token>``: the respondent of a bad review rates what was done (once);
- ``/thanks``: the thank-you page in another language (its language links).

Status codes: a questionnaire page 200; a page sent back with errors to correct
422 (what was entered is kept); a tampered form 400 (nothing stored); the pages
that are not a questionnaire as listed in survey.responses.targets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, get_locale, gettext

from .. import responses as service
from ..channels.devices import DEVICE_COOKIE, DeviceError, enrol, kiosk_device
from ..channels.test_mode import TEST_COOKIE, tested_campaigns
from ..extensions import db, limit_posts
from ..followup.cases import case_by_rating_token, rate_by_link, rating_link_open
from ..i18n import normalise, requested_language
from ..instruments import Page, Question
from ..models import FollowUpCase, Invitation, Response
from ..responses.answers import AnswerValue
from ..responses.targets import Tampered, Target, Unavailable
from ..web.answer_form import AnswerForm, build_form, check_page, unexpected_fields
from ..web.db_retry import retry_once_on_lost_connection
from . import bp
from . import pages as render
from .forms import EnrolForm, FixRatingForm


@bp.get("/")
def home() -> ResponseReturnValue:
    return render_template(
        "error.html",
        title=gettext("Satisfaction survey"),
        message=gettext("Scan the QR code at the counter or open the link you received."),
    )


@bp.get("/thanks")
def thank_you() -> ResponseReturnValue:
    """The thank-you page again, in the language its links ask for.

    The thank-you follows a POST to the card's address, where a language link
    (``?lang=``) would open a fresh card as though nothing had been sent; its
    links lead here instead. It shows nothing of the answers, so it needs no token.
    """
    return render.thanks_again()


def _point_limit() -> str:
    return str(current_app.config["SURVEY_POINT_RATE_LIMIT"])


@bp.route("/p/<code>", methods=["GET", "POST"])
@limit_posts(_point_limit)
@retry_once_on_lost_connection
def point(code: str) -> ResponseReturnValue:
    return _card(lambda: service.resolve_point(code, "qr", testing=_testing()))


def _testing() -> frozenset[int]:
    """The draft campaigns this browser tests (test mode, survey.channels.test_mode)."""
    return tested_campaigns(request.cookies.get(TEST_COOKIE))


@bp.route("/k/<code>", methods=["GET", "POST"])
@limit_posts(_point_limit)
@retry_once_on_lost_connection
def kiosk(code: str) -> ResponseReturnValue:
    """Kiosk mode on an enrolled device; anywhere else, the public card with its limits."""
    device = kiosk_device(request.cookies.get(DEVICE_COOKIE), code)
    if device is None:
        return render.no_store(_card(lambda: service.resolve_point(code, "qr", testing=_testing())))
    result = render.no_store(
        _card(
            lambda: service.resolve_point(code, "kiosk", testing=_testing()),
            kiosk_code=code,
            device_id=device.id,
        )
    )
    db.session.commit()  # last_seen_at, when it moved
    # Renewed with every card, so a tablet in daily use never sees its cookie expire.
    render.set_device_cookie(result, request.cookies[DEVICE_COOKIE])
    return result


def _enrol_limit() -> str:
    return str(current_app.config["SURVEY_DEVICE_ENROL_RATE_LIMIT"])


@bp.route("/device/enrol", methods=["GET", "POST"])
@limit_posts(_enrol_limit)
def enrol_device() -> ResponseReturnValue:
    """The tablet types its one-time code and becomes the kiosk the administrator named."""
    form = EnrolForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render.no_store(render.enrol_page(form, status=status))
    try:
        device, cookie = enrol(form.code.data or "")
    except DeviceError as error:
        db.session.rollback()
        form.code.errors = [str(error)]
        return render.no_store(render.enrol_page(form, status=422))
    db.session.commit()
    result = render.no_store(render.enrolled_page(device))
    render.set_device_cookie(result, cookie)
    return result


@bp.route("/t/<token>", methods=["GET", "POST"])
@retry_once_on_lost_connection
def ticket(token: str) -> ResponseReturnValue:
    return _card(lambda: service.resolve_ticket(token, testing=_testing()))


@bp.route("/i/<token>", methods=["GET", "POST"])
@retry_once_on_lost_connection
def invitation(token: str) -> ResponseReturnValue:
    return render.no_store(_invitation(token))


@bp.route("/i/<token>/u/<unit_code>", methods=["GET", "POST"])
@retry_once_on_lost_connection
def invitation_unit(token: str, unit_code: str) -> ResponseReturnValue:
    """One unit's questionnaire of a link that asks about several units."""
    return render.no_store(_invitation(token, unit_code))


@bp.route("/f/<token>", methods=["GET", "POST"])
@retry_once_on_lost_connection
def rate_fix(token: str) -> ResponseReturnValue:
    case_row = case_by_rating_token(token)
    if case_row is None:
        return render.no_store(
            render.rating_message(
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
            return render.no_store(_rate_fix(case_row))
    return render.no_store(_rate_fix(case_row))


# --- one-page cards: QR, kiosk, ticket ---------------------------------------------------------


def _card(
    resolve: Callable[[], Target], *, kiosk_code: str | None = None, device_id: int | None = None
) -> Any:
    """Show or take a card whose questions all fit on one page (``device_id``: the kiosk's)."""
    lang = _lang()
    key = request.form.get("submission_key", "") if request.method == "POST" else ""

    def refused(error: Unavailable) -> Any:
        # A double tap or a retry after the card was stored (the ticket now used, the
        # campaign closed or full meanwhile): the same thank-you again, not a refusal.
        done = service.response_by_key(key) if key else None
        if done is not None:
            return render.thanks(done, kiosk_code=kiosk_code)
        return render.unavailable(error, kiosk_code=kiosk_code)

    try:
        target = resolve()
    except Unavailable as error:
        return refused(error)
    if target.new_version:
        db.session.commit()  # an instrument version seen for the first time, kept for good
    if service.is_full(target):
        return refused(Unavailable("full", target.campaign))
    questions = target.instrument.questions
    if request.method != "POST":  # GET, and HEAD (link previews, uptime monitors)
        return _fresh_card(target, lang, kiosk_code)
    try:
        _refuse_unexpected(questions)
        started_at = service.check_submission_key(target, key)
    except Tampered as error:
        return render.tampered(error)
    form = _form(target, questions, lang, formdata=request.form)
    result = check_page(form, target.instrument, questions, {})
    if not result.valid:
        return render.card(target, form, None, lang, kiosk_code=kiosk_code, status=422)
    try:
        response, _new = service.submit_card(
            target,
            result.answers,
            key=key,
            started_at=started_at,
            language=lang,
            remote_addr=request.remote_addr,
            device_id=device_id,
        )
    except Unavailable as error:
        return refused(error)
    # A retry of a stored card is not looked up first: the submission key's unique
    # constraint finds it (submit_card returns the stored row), one query less per card.
    # Rendered after the commit, from what was read before it (the commit expires the
    # response): the transaction holds SQLite's one write lock, and the other workers'
    # cards wait for it, so nothing is done inside it that can be done outside.
    test = response.test
    db.session.commit()
    return render.thanks_page(test=test, kiosk_code=kiosk_code)


def _fresh_card(target: Target, lang: str, kiosk_code: str | None) -> Any:
    """A card as it opens, with a new submission key (kept once rendered: render.fresh_card)."""
    return render.fresh_card(
        target,
        lang,
        service.new_submission_key(target),
        lambda: _form(target, target.instrument.questions, lang, initial={}),
        kiosk_code=kiosk_code,
    )


# --- invitations: page by page -----------------------------------------------------------------


def _invitation(token: str, unit_code: str | None = None) -> Any:
    """A personal link: its one questionnaire, or the list of its units and each unit's pages.

    A link that asks about several units opens on the list (GET ``/i/<token>``);
    each unit is answered at ``/i/<token>/u/<unit code>``. A form posted to
    ``/i/<token>`` (opened before a unit was added to the link) still counts
    for the unit it was about: the lead's.
    """
    key = request.form.get("submission_key", "") if request.method == "POST" else ""
    if key:
        done = service.response_by_key(key)
        if done is not None and done.submitted_at is not None:
            return _answered(done, token)
    try:
        lead = service.lead_by_token(token)
        if unit_code is None and request.method != "POST" and service.asks_several(lead):
            return _with_language(lead.language, lambda: _units_page(lead, token))
        if unit_code is None:
            target = service.target_of_invitation(lead, testing=_testing())
        else:
            target = service.resolve_link_unit(token, unit_code, testing=_testing())
    except Unavailable as error:
        return render.unavailable(error)
    if target.new_version:
        db.session.commit()  # an instrument version seen for the first time, kept for good
    link = _Link(token, unit_code, several=service.asks_several(lead))
    return _with_language(lead.language, lambda: _invitation_pages(target, link))


def _with_language(tag: str | None, show: Callable[[], Any]) -> Any:
    """The language the letter or SMS was written in, until the person picks another."""
    preferred = normalise(tag)
    if preferred and requested_language() is None:
        with force_locale(preferred):
            return show()
    return show()


def _answered(done: Response, token: str) -> Any:
    """The page after a unit was sent (again, for a retried POST)."""
    invitation = db.session.get(Invitation, done.invitation_id) if done.invitation_id else None
    if invitation is not None and service.asks_several(service.lead_of(invitation)):
        return redirect(url_for("respond.invitation", token=token, done=done.unit.code), 303)
    return render.thanks(done)


def _units_page(lead: Invitation, token: str) -> Any:
    """The units a link asks about, how far each got, and where to go on."""
    try:
        steps = service.unit_steps(lead, testing=_testing())
    except Unavailable as error:
        return render.unavailable(error)
    done_code = request.args.get("done")
    done = next((s.invitation.unit for s in steps if s.invitation.unit.code == done_code), None)
    return render.units_page(lead, steps, token, done=done)


class _Link:
    """Where a personal link's pages live: ``/i/<token>``, or ``/i/<token>/u/<unit>``."""

    def __init__(self, token: str, unit_code: str | None, *, several: bool) -> None:
        self.token = token
        self.unit_code = unit_code
        self.several = several

    def url(self, **args: Any) -> str:
        if self.unit_code is None:
            return url_for("respond.invitation", token=self.token, **args)
        return url_for(
            "respond.invitation_unit", token=self.token, unit_code=self.unit_code, **args
        )


def _invitation_pages(target: Target, link: _Link) -> Any:
    lang = _lang()
    key = request.form.get("submission_key", "") if request.method == "POST" else ""
    if target.draft is None and service.is_full(target):
        return render.unavailable(Unavailable("full", target.campaign))
    pages = target.pages()
    if not pages:
        return render.unavailable(Unavailable("unavailable", target.campaign))
    order = {page.id: index for index, page in enumerate(target.instrument.pages)}
    reached = order.get(target.draft.current_page or "", 0) if target.draft is not None else 0
    allowed = [page for page in pages if order[page.id] <= reached] or pages[:1]

    if request.method != "POST":  # GET, and HEAD (link previews, uptime monitors)
        return _show_page(target, allowed, pages, lang, link)

    page = next((p for p in allowed if p.id == request.form.get("page")), None)
    action = request.form.get("action", "next")
    try:
        if page is None or action not in {"back", "next", "submit"}:
            raise Tampered("page")
        _refuse_unexpected(page.questions)
        started_at = service.check_submission_key(target, key)
    except Tampered as error:
        return render.tampered(error)
    form = _form(target, page.questions, lang, formdata=request.form)
    result = check_page(
        form, target.instrument, page.questions, target.answers, require=action != "back"
    )
    if not result.valid:
        return render.card(
            target, form, page, lang, pages=pages, status=422, **_unit_context(target, link)
        )

    combined = {q: v for q, v in target.answers.items() if q not in {x.id for x in page.questions}}
    combined.update(result.answers)
    target.answers = combined
    pages = target.pages()
    index = next((i for i, p in enumerate(pages) if p.id == page.id), len(pages) - 1)
    if action == "back":
        previous = pages[max(index - 1, 0)]
        _save(target, page, result.answers, lang, reached, order)
        return redirect(link.url(page=previous.id), 303)
    if index + 1 < len(pages):
        following = pages[index + 1]
        _save(target, page, result.answers, lang, max(reached, order[following.id]), order)
        return redirect(link.url(page=following.id), 303)
    gap = service.missing_required(target, combined)
    if gap is not None and gap.id != page.id:
        _save(target, page, result.answers, lang, reached, order)
        return redirect(link.url(page=gap.id, missing=1), 303)
    try:
        response, _new = service.submit_invitation(
            target, page, result.answers, key=key, started_at=started_at, language=lang
        )
    except Unavailable as error:
        return render.unavailable(error)
    # Made before the commit, which expires what they read (reading it again costs a query).
    shown = _after_submit(target, link, response)
    db.session.commit()
    return shown


def _after_submit(target: Target, link: _Link, response: Response) -> Any:
    """The thank-you, or for a link of several units the way back to their list."""
    if link.several:
        return redirect(url_for("respond.invitation", token=link.token, done=target.unit.code), 303)
    return render.thanks(response)


def _unit_context(target: Target, link: _Link) -> dict[str, Any]:
    """For a link of several units: which one this is, and the way back to the list."""
    if not link.several or target.invitation is None:
        return {}
    units = [i.unit for i in service.linked_invitations(service.lead_of(target.invitation))]
    position = next((n for n, unit in enumerate(units, start=1) if unit.id == target.unit.id), 1)
    return {
        "unit_step": (position, len(units)),
        "units_url": url_for("respond.invitation", token=link.token),
    }


def _show_page(
    target: Target, allowed: list[Page], pages: list[Page], lang: str, link: _Link
) -> Any:
    """The page asked for (?page=), if reached already, else the furthest one reached."""
    wanted = request.args.get("page")
    page = next((p for p in allowed if p.id == wanted), allowed[-1])
    form = _form(target, page.questions, lang, initial=target.answers)
    form.submission_key.data = service.new_submission_key(target)
    missing = request.args.get("missing") == "1"
    return render.card(
        target, form, page, lang, pages=pages, missing=missing, **_unit_context(target, link)
    )


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
        return render.rating_done(case_row)
    if not rating_link_open(case_row):
        return render.rating_message(
            gettext("This link has expired"),
            gettext(
                "Ratings are taken for %(days)s days after the unit acted. Thank you all the same.",
                days=current_app.config["SURVEY_RATING_DAYS"],
            ),
            410,
        )
    form = FixRatingForm()
    if request.method != "POST":  # GET, and HEAD (link previews, uptime monitors)
        return render.rating_page(case_row, form)
    if not form.validate_on_submit():
        return render.rating_page(case_row, form, status=422)
    if not rate_by_link(case_row, form.rating.data):
        # Rated meanwhile (a double tap, the handler by phone): say so, change nothing.
        return render.rating_done(case_row)
    return render.rating_message(
        gettext("Thank you"),
        gettext("Your rating has been received. Thank you for telling us."),
        200,
    )


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
    form = request.form  # looked up once: through the request's proxy, once a field cost more
    counts = {name: len(values) for name, values in form.lists()}
    problems = unexpected_fields(questions, form.keys(), counts)
    if problems:
        raise Tampered("fields")
