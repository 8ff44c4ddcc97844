"""What a respondent does, as the tests of the respondent pages do it.

Shared by tests/test_respond*.py, test_followup.py and test_fix_rating.py: option
values and texts are read from the shipped instrument files, never copied here,
so the tests follow the files.
"""

from __future__ import annotations

import re
import threading

from factories import csrf_token, gen_campaign, gen_service_point, gen_unit
from sqlalchemy import func, select

from survey.channels.devices import create_device
from survey.extensions import db
from survey.instruments import Instrument, Question
from survey.instruments.store import current_instruments
from survey.models import (
    Answer,
    CallbackRequest,
    Campaign,
    Device,
    Invitation,
    Response,
    ResponseScore,
    ServicePoint,
    Ticket,
)
from survey.web.answer_form import field_name

CARD = "post-service-card"
STAKEHOLDER = "stakeholder-evaluation"


def instrument(instrument_id: str) -> Instrument:
    return current_instruments()[instrument_id]


def first_option(question: Question, *, na: bool = False) -> str:
    return next(o.value for o in question.options if o.na == na)


def satisfied_value(question: Question) -> str:
    """The option with the highest score (very satisfied on the default scale)."""
    scored = [o for o in question.options if o.score is not None and not o.na]
    return max(scored, key=lambda o: o.score).value


def unsatisfied_value(question: Question) -> str:
    scored = [o for o in question.options if o.score is not None and not o.na]
    return min(scored, key=lambda o: o.score).value


def sample_value(question: Question) -> str | list[str] | float | None:
    """A valid answer of the question's type."""
    if question.type in ("likert5", "choice", "nps"):
        return satisfied_value(question) if question.is_scored else first_option(question)
    if question.type == "multi":
        return [question.options[0].value]
    if question.type == "number":
        return float(question.min if question.min is not None else 1)
    if question.type == "text":
        return "窗口工作人员很耐心。"
    return None  # phone: only on a condition, filled in by the tests that want it


def valid_answers(
    inst: Instrument, questions: list[Question] | None = None, **given: object
) -> dict[str, object]:
    """Answers to every shown question of ``questions`` (all by default), ``given`` first."""
    answers: dict[str, object] = {}
    for question in questions if questions is not None else inst.questions:
        if question.show_if is not None and not question.show_if.is_met(answers):
            continue
        value = given[question.id] if question.id in given else sample_value(question)
        if value is not None:
            answers[question.id] = value
    return answers


def form_data(answers: dict[str, object], key: str, **extra: str) -> dict[str, object]:
    data: dict[str, object] = {"submission_key": key, **extra}
    for qid, value in answers.items():
        if isinstance(value, float):
            value = str(int(value)) if value.is_integer() else repr(value)
        data[field_name(qid)] = value
    return data


def input_tag(html: str, name: str, value: str | None = None) -> str:
    """The first <input> named ``name`` (with this value, if given)."""
    pattern = r'<input[^>]*name="' + re.escape(name) + r'"[^>]*>'
    for tag in re.findall(pattern, html):
        if value is None or f'value="{value}"' in tag:
            return tag
    raise AssertionError(f"no input named {name} with value {value}")


def scrape(html: str, name: str) -> str:
    """The value of a hidden input, as a browser would send it back."""
    tag = input_tag(html, name)
    value = re.search(r'value="([^"]*)"', tag)
    assert value is not None
    return value.group(1)


def open_card(client, url: str, **kw) -> str:
    page = client.get(url, **kw)
    assert page.status_code == 200, page.get_data(as_text=True)
    return scrape(page.get_data(as_text=True), "submission_key")


def counts() -> dict[str, int]:
    """Row counts of everything a respondent can change."""
    return {
        "response": db.session.execute(select(func.count(Response.id))).scalar_one(),
        "answer": db.session.execute(select(func.count(Answer.id))).scalar_one(),
        "score": db.session.execute(select(func.count()).select_from(ResponseScore)).scalar_one(),
        "callback": db.session.execute(select(func.count(CallbackRequest.id))).scalar_one(),
        "used_tickets": db.session.execute(
            select(func.count(Ticket.id)).where(Ticket.used_at.is_not(None))
        ).scalar_one(),
        "started_invitations": db.session.execute(
            select(func.count(Invitation.id)).where(Invitation.status != "pending")
        ).scalar_one(),
    }


def point_campaign(**kw) -> tuple[Campaign, ServicePoint]:
    unit = gen_unit()
    point = gen_service_point(unit)
    campaign = gen_campaign([unit], **kw)
    db.session.commit()
    return campaign, point


def enrol_tablet(client, point: ServicePoint, name: str = "窗口平板") -> Device:
    """Enrol ``client`` as a kiosk at ``point`` as a tablet does: its code typed on its page."""
    device, code = create_device(point, name, by=None)
    db.session.commit()
    token = csrf_token(client, "/device/enrol")
    done = client.post("/device/enrol", data={"code": code, "csrf_token": token})
    assert done.status_code == 200, done.get_data(as_text=True)
    return device


def responses() -> list[Response]:
    db.session.expire_all()
    return list(db.session.execute(select(Response).order_by(Response.id)).scalars())


def post_card(client, url: str, **given: object):
    key = open_card(client, url)
    answers = valid_answers(instrument(CARD), **given)
    return client.post(url, data=form_data(answers, key)), answers, key


def post_page(client, url: str, html: str, inst: Instrument, action: str = "next", **given):
    page_id = scrape(html, "page")
    page = next(p for p in inst.pages if p.id == page_id)
    answers = valid_answers(inst, list(page.questions), **given)
    data = form_data(answers, scrape(html, "submission_key"), page=page_id, action=action)
    return client.post(url, data=data), page, answers


def race(app, posts: list[tuple[str, dict]]) -> list[tuple[int, str]]:
    """POST each (url, data) from its own thread, all released at once; (status, body) each."""
    barrier = threading.Barrier(len(posts))
    results: list[tuple[int, str] | BaseException | None] = [None] * len(posts)

    def run(index: int, url: str, data: dict) -> None:
        try:
            with app.app_context():
                client = app.test_client()
                barrier.wait(timeout=10)
                page = client.post(url, data=data)
                results[index] = (page.status_code, page.get_data(as_text=True))
                db.session.remove()
        except BaseException as error:  # reported in the main thread
            results[index] = error

    threads = [
        threading.Thread(target=run, args=(i, url, data)) for i, (url, data) in enumerate(posts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
        assert result is not None, "a thread did not finish"
    return results  # type: ignore[return-value]
