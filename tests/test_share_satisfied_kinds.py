"""What counts as satisfied on each kind of question, as the methods page says it.

The share satisfied counts a respondent whose score on the indicator is at least the
questionnaire's ``satisfied_at`` (50 in the shipped files). On the post-service card's
yes / partly / no question (scored 100 / 50 / 0) that is yes or partly; on the staff
survey's 0-10 question (scored ten times the answer) an answer of 5 or more. The
expected shares are counted by hand from the answers below, not by the code.
"""

from __future__ import annotations

import pytest
from factories import gen_campaign, gen_response, gen_unit

from survey.extensions import db
from survey.instruments.store import current_instruments
from survey.results import satisfaction
from survey.results.methods import methods_notes


@pytest.fixture
def campaign(app):  # type: ignore[no-untyped-def]
    unit = gen_unit("A")
    campaign = gen_campaign([unit], groups={"service_user": {"weight": 1}, "staff": {}})
    for visit in ("yes", "partly", "no", "partly", "yes", "no"):
        gen_response(campaign, unit=unit, answers={"overall": "satisfied", "one_visit": visit})
    for recommend in ("5", "4", "10", "0", "6", "9"):
        gen_response(campaign, unit=unit, group="staff",
                     answers={"overall": "satisfied", "recommend": recommend})
    db.session.commit()
    return campaign


def test_yes_and_partly_count_as_satisfied(campaign):
    (row,) = satisfaction(campaign, indicator="satisfaction.one_visit", k=5)
    assert row.n == 6
    assert row.share_satisfied.estimate == pytest.approx(4 / 6)  # yes, partly, partly, yes
    assert row.index.estimate == pytest.approx((100 + 50 + 0 + 50 + 100 + 0) / 6)


def test_five_or_more_of_ten_counts_as_satisfied(campaign):
    (row,) = satisfaction(campaign, indicator="satisfaction.recommend", k=5, dimension="staff")
    assert row.n == 6
    assert row.share_satisfied.estimate == pytest.approx(4 / 6)  # 5, 10, 6 and 9; not 4, 0
    assert row.index.estimate == pytest.approx((50 + 40 + 100 + 0 + 60 + 90) / 6)


def test_the_shipped_questionnaires_use_the_threshold_the_methods_page_states(app):
    """The methods text says 50: every shipped questionnaire must count from 50."""
    with app.test_request_context("/?lang=en"):
        text = " ".join(p for s in methods_notes(5) for p in s.paragraphs)
    assert "score on the indicator is 50 or more" in text
    assert "0-10 question it is an answer of 5 or more" in text
    assert "yes / partly / no question, yes or partly" in text
    assert {i.satisfied_at for i in current_instruments().values()} == {50.0}
