"""Each instrument's partial-interview threshold: above it a partial (1.2), below a break-off."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_operator_console import _answer, _case, _claim, _dispose, _fresh, _sign_in

from survey.extensions import db
from survey.instruments import InstrumentError, load_directory, parse_instrument
from survey.instruments.partial import PartialRule
from survey.models import Attempt, Response

MINIMAL = """
id = "x"
languages = ["zh_Hans"]
title = { zh_Hans = "问卷" }
{partial}
[[pages]]
[[pages.questions]]
id = "overall"
type = "likert5"
text = {{ zh_Hans = "总体" }}
options = [
  {{ value = "a", score = 100, text = {{ zh_Hans = "甲" }} }},
  {{ value = "b", score = 75, text = {{ zh_Hans = "乙" }} }},
  {{ value = "c", score = 50, text = {{ zh_Hans = "丙" }} }},
  {{ value = "d", score = 25, text = {{ zh_Hans = "丁" }} }},
  {{ value = "e", score = 0, text = {{ zh_Hans = "戊" }} }},
]
[[pages.questions]]
id = "number"
type = "phone"
text = {{ zh_Hans = "电话" }}
"""


def _parse(partial: str):  # type: ignore[no-untyped-def]
    text = MINIMAL.replace("{partial}", partial).replace("{{", "{").replace("}}", "}")
    return parse_instrument(text, file="x.toml")


class _Q:
    def __init__(self, qid: str, type_: str = "likert5") -> None:
        self.id, self.type = qid, type_


def test_half_of_the_questions_asked_by_default():
    asked = [_Q(f"q{i}") for i in range(5)] + [_Q("number", "phone")]
    rule = PartialRule()
    # Five questions count (the phone number never does); half of 5 is 2.5, so 3 are needed.
    two = rule.check(asked, {"q0": "a", "q1": "a"})
    three = rule.check(asked, {"q0": "a", "q1": "a", "q4": "b"})
    assert (two.applicable, two.needed, two.enough) == (5, 3, False)
    assert (three.answered, three.enough) == (3, True)
    # Half of 6 is exactly 3.
    assert PartialRule(share=0.5).check([_Q(f"q{i}") for i in range(6)], {}).needed == 3
    # An empty answer is no answer; nothing at all is never a partial interview.
    assert rule.check(asked, {"q0": "", "q1": []}).answered == 0
    assert not PartialRule(share=0.0, needs=("q0",)).check(asked, {}).enough


def test_essential_questions_must_be_answered():
    asked = [_Q("overall"), _Q("attitude"), _Q("efficiency")]
    rule = PartialRule(share=0.0, needs=("overall",))
    assert rule.check(asked, {"overall": "a"}).enough
    missing = rule.check(asked, {"attitude": "a", "efficiency": "b"})
    assert missing.missing == ("overall",) and not missing.enough


def test_the_file_sets_the_threshold_and_mistakes_are_named():
    assert _parse("").partial == PartialRule(share=0.5, needs=())
    rule = _parse('partial = { share = 0.8, needs = ["overall"] }').partial
    assert rule == PartialRule(share=0.8, needs=("overall",))
    for table, problem in (
        ("partial = { share = 1.5 }", "field 'partial.share': must be a number from 0 to 1"),
        ('partial = { share = "half" }', "field 'partial.share'"),
        ('partial = { needs = ["later"] }', "refers to 'later'"),
        ('partial = { needs = ["number"] }', "is a phone number"),
        ("partial = { share = 0 }", "0 needs at least one question"),
        ("partial = { at_least = 3 }", "field 'partial.at_least': unknown key"),
    ):
        with pytest.raises(InstrumentError, match=problem):
            _parse(table)


def test_the_shipped_thresholds():
    shipped = load_directory("instruments")
    # The card and its phone script exist for the overall rating: it is their essential question.
    assert shipped["post-service-card"].partial == PartialRule(share=0.0, needs=("overall",))
    assert shipped["phone-post-service"].partial == PartialRule(share=0.5, needs=("overall",))
    for other in ("stakeholder-evaluation", "staff-survey"):
        assert shipped[other].partial == PartialRule(share=0.5)


def test_a_partial_below_the_threshold_is_refused_as_a_break_off(calling_hours, app, client):
    campaign = _case()
    _sign_in(client)
    case_id = _claim(client, campaign)
    _answer(client, case_id, "screen", "yes")
    _answer(client, case_id, "overall", "dissatisfied")
    # With "yes" six questions are asked; two answered, half of six is three.
    refused = _dispose(client, case_id, "partial", q="attitude")
    assert refused.status_code == 422
    assert "2 of 6 questions are answered" in refused.text and "needs 3" in refused.text
    assert db.session.execute(select(Response.submitted_at)).scalar_one() is None
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 0
    assert _fresh(case_id).status == "claimed"
    # The break-off is recorded instead (2.12, a refusal), and no response is counted.
    assert _dispose(client, case_id, "break_off", q="attitude").status_code == 303
    assert db.session.execute(select(Attempt.aapor_code)).scalar_one() == "2.12"


def test_a_partial_without_the_overall_rating_is_refused(calling_hours, app, client):
    campaign = _case()
    _sign_in(client)
    case_id = _claim(client, campaign)
    # Three of six answered is enough by the share, but not without the overall rating.
    given = (("screen", "yes"), ("attitude", "satisfied"), ("efficiency", "satisfied"))
    for question, value in given:
        assert _answer(client, case_id, question, value).status_code == 303
    refused = _dispose(client, case_id, "partial", q="attitude")
    assert refused.status_code == 422
    assert "needs an answer to" in refused.text
