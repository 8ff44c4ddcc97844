"""Property tests of the form builder over the shipped instruments.

For any valid answers to any shipped instrument, the form accepts them and
keeps exactly the answers to the questions shown (show-if applied), and what is
stored reads back as the same value; an option outside the offered set is
always refused. One property runs end to end through /p and the database.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from respondent import (
    CARD,
    counts,
    form_data,
    instrument,
    open_card,
    point_campaign,
    responses,
)
from werkzeug.datastructures import MultiDict

from survey.instruments import Instrument, Question
from survey.instruments.store import current_instruments
from survey.responses.answers import answer_columns, number_text, value_of_answer
from survey.web.answer_form import build_form, check_page, field_name

MAX_TEXT = 2000
PRINTABLE = st.characters(
    blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x00"
)


def _value(question: Question) -> st.SearchStrategy:
    """Valid answers of one question (or None: left empty)."""
    values = [option.value for option in question.options]
    if question.type in ("likert5", "choice", "nps"):
        return st.sampled_from(values)
    if question.type == "multi":
        return st.lists(st.sampled_from(values), min_size=1, unique=True)
    if question.type == "number":
        low = question.min if question.min is not None else -1e6
        high = question.max if question.max is not None else 1e6
        return st.one_of(
            st.integers(math.ceil(low), math.floor(high)).map(float),
            st.floats(low, high, allow_nan=False, allow_infinity=False),
        )
    if question.type == "text":
        limit = min(question.max_length or MAX_TEXT, MAX_TEXT)
        return st.text(PRINTABLE, min_size=1, max_size=min(limit, 60)).filter(
            lambda s: s.strip() == s and s != ""
        )
    if question.type == "phone":
        return st.from_regex(r"\+?[0-9]{5,15}", fullmatch=True)
    raise AssertionError(question.type)


@st.composite
def answer_dicts(draw, inst: Instrument) -> dict[str, object]:
    """Any subset of the questions answered, required ones always."""
    answers: dict[str, object] = {}
    for question in inst.questions:
        if question.required or draw(st.booleans()):
            answers[question.id] = draw(_value(question))
    return answers


def _multidict(answers: dict[str, object]) -> MultiDict:
    data = MultiDict()
    for qid, value in answers.items():
        if isinstance(value, list):
            for item in value:
                data.add(field_name(qid), item)
        elif isinstance(value, float):
            data.add(field_name(qid), repr(value))
        else:
            data.add(field_name(qid), value)
    return data


def _shown(inst: Instrument, answers: dict[str, object]) -> dict[str, object]:
    """The answers to the questions shown: in order, a condition sees only shown answers."""
    kept: dict[str, object] = {}
    for question in inst.questions:
        if question.show_if is not None and not question.show_if.is_met(kept):
            continue
        if question.id in answers:
            kept[question.id] = answers[question.id]
    return kept


def _ids(inst: Instrument, answers: dict[str, object]) -> set[str]:
    """The ids of the questions shown given these answers."""
    kept: dict[str, object] = {}
    ids = set()
    for question in inst.questions:
        if question.show_if is not None and not question.show_if.is_met(kept):
            continue
        ids.add(question.id)
        if question.id in answers:
            kept[question.id] = answers[question.id]
    return ids


def _check(app, inst: Instrument, data: MultiDict):
    with app.test_request_context(method="POST", data=data):
        form = build_form(inst, inst.questions, "zh_Hans", max_text=MAX_TEXT, formdata=data)
        return check_page(form, inst, inst.questions, {})


def _normalise(question: Question, value: object) -> object:
    if question.type == "multi":
        chosen = set(value)  # type: ignore[arg-type]
        return [o.value for o in question.options if o.value in chosen]
    return value


SHIPPED = ["post-service-card", "stakeholder-evaluation", "staff-survey", "phone-post-service"]


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_valid_answers_are_accepted_and_kept_exactly(app, instrument_id):
    app.config["WTF_CSRF_ENABLED"] = False
    inst = current_instruments()[instrument_id]

    @settings(max_examples=60, deadline=None)
    @given(answers=answer_dicts(inst))
    def check(answers):
        result = _check(app, inst, _multidict(answers))
        shown = _shown(inst, answers)
        required_shown = {q.id for q in inst.questions if q.required and q.id in _ids(inst, shown)}
        if not required_shown <= set(shown):
            assert not result.valid
            return
        assert result.valid, {k: v for k, v in answers.items()}
        expected = {qid: _normalise(inst.question(qid), v) for qid, v in shown.items()}
        assert result.answers == expected
        for qid, value in result.answers.items():
            question = inst.question(qid)
            if question.type == "phone":
                continue
            columns = answer_columns(question, value)
            assert value_of_answer(question, columns["value"], columns["number"]) == value
            assert columns["score"] == (question.score_of(value) if question.is_scored else None)

    check()


@pytest.mark.parametrize("instrument_id", ["post-service-card", "stakeholder-evaluation"])
def test_an_option_not_offered_is_always_refused(app, instrument_id):
    inst = current_instruments()[instrument_id]
    choice_questions = [q for q in inst.questions if q.options]

    @settings(max_examples=80, deadline=None)
    @given(
        answers=answer_dicts(inst),
        target=st.sampled_from(choice_questions),
        bogus=st.text(min_size=1, max_size=20),
    )
    def check(answers, target, bogus):
        if bogus in {o.value for o in target.options}:
            return
        answers = dict(answers)
        # Make the tampered question shown: answer what its condition rests on.
        if target.show_if is not None:
            answers[target.show_if.question] = target.show_if.any_of[0]
        answers[target.id] = [bogus] if target.type == "multi" else bogus
        if target.id not in _ids(inst, answers):
            return
        result = _check(app, inst, _multidict(answers))
        assert not result.valid
        assert target.id not in result.answers

    check()


def test_end_to_end_valid_cards_are_stored_exactly(rapp, client):  # noqa: F811
    inst = instrument(CARD)
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(answers=answer_dicts(inst))
    def check(answers):
        shown = _shown(inst, answers)
        if not {q.id for q in inst.questions if q.required and q.id in _ids(inst, shown)} <= set(
            shown
        ):
            return
        before = counts()["response"]
        key = open_card(client, url)
        page = client.post(url, data=form_data(answers, key))
        assert page.status_code == 200, page.get_data(as_text=True)[:3000]
        assert counts()["response"] == before + 1
        response = responses()[-1]
        stored = {a.question_id: a for a in response.answers}
        expected = {q: v for q, v in shown.items() if inst.question(q).type != "phone"}
        assert set(stored) == set(expected)
        for qid, value in expected.items():
            question = inst.question(qid)
            row = stored[qid]
            assert value_of_answer(question, row.value, row.number) == _normalise(question, value)
            if question.type == "number":
                assert row.value == number_text(value)

    check()
