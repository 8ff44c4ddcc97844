"""The handler's case: where, how and when it came, answers in order, a preview, its burst."""

from __future__ import annotations

import datetime as dt
import re

from factories import gen_campaign, gen_response, gen_service_point, gen_unit, gen_user, login

from survey.extensions import db
from survey.followup.cases import open_case_if_bad
from survey.instruments.store import current_instruments
from survey.models import Answer, Burst, FollowUpCase

# 02:30 UTC is 10:30 in Beijing: the case page speaks the campaign's clock.
RECEIVED = dt.datetime(2026, 3, 10, 2, 30)
COMMENT = (
    "等了两个小时才轮到我，窗口只开了一个，工作人员还在聊天，希望以后多开几个窗口，别让群众白跑"
)


def _case(*, comment: str | None = COMMENT, burst_status: str | None = None) -> FollowUpCase:
    unit = gen_unit(name="市政务服务中心")
    point = gen_service_point(unit)
    point.name = "三号综合窗口"
    campaign = gen_campaign([unit])
    answers = {"comment": comment} if comment else {}
    # Stored the comment first, as a resumed page or a phone interview may store them.
    answers |= {"efficiency": "dissatisfied", "overall": "very_dissatisfied"}
    response = gen_response(campaign, answers={}, submitted_at=RECEIVED, channel="ticket")
    instrument = current_instruments()["post-service-card"]
    for question_id, value in answers.items():
        question = instrument.question(question_id)
        response.answers.append(
            Answer(question_id=question_id, value=value, score=question.score_of(value))
        )
    db.session.flush()
    response.service_point_id = point.id
    if burst_status is not None:
        burst = Burst(
            campaign_id=campaign.id,
            unit_id=unit.id,
            service_point_id=point.id,
            channel="ticket",
            source="sheet",
            source_key="1",
            first_at=RECEIVED - dt.timedelta(minutes=4),
            last_at=RECEIVED,
            cards=14,
            lowest=12,
            allowance=10,
            status=burst_status,
            reviewed_at=RECEIVED + dt.timedelta(days=1) if burst_status != "held" else None,
            reason="核实为同一批群众" if burst_status == "accepted" else None,
        )
        db.session.add(burst)
        db.session.flush()
        response.burst_id = burst.id
        response.flagged = burst_status == "held"
    case = open_case_if_bad(response, instrument)
    assert case is not None
    db.session.commit()
    return case


def _handler_client(app, case: FollowUpCase):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, gen_user("handler", unit_id=case.unit_id))
    return client


def test_the_case_says_where_how_and_when_the_review_came(app):
    case = _case()
    client = _handler_client(app, case)
    page = client.get(f"/evaluate/follow-up/{case.id}?lang=en")
    assert page.status_code == 200
    origin = re.search(r'<p id="origin">(.*?)</p>', page.text, re.S)
    assert origin is not None
    assert "三号综合窗口" in origin.group(1)
    assert "Asia/Shanghai" in origin.group(1)
    assert "10:30" in origin.group(1)  # 02:30 UTC on the campaign's clock
    assert "receipt" in origin.group(1).lower()  # the ticket channel, by its name
    zh = client.get(f"/evaluate/follow-up/{case.id}?lang=zh_Hans")
    assert "三号综合窗口" in zh.text and "Received" not in zh.text


def test_the_answers_read_in_the_questionnaires_order(app):
    case = _case()
    client = _handler_client(app, case)
    page = client.get(f"/evaluate/follow-up/{case.id}?lang=en").text
    overall = page.index("Overall, how satisfied")
    efficiency = page.index("Efficiency (waiting")
    comment = page.index("Comments or suggestions")
    assert overall < efficiency < comment


def test_the_list_previews_the_overall_answer_and_the_comments_first_words(app):
    case = _case()
    client = _handler_client(app, case)
    page = client.get("/evaluate/follow-up?lang=en").text
    row = re.search(r'<td class="preview">(.*?)</td>', page, re.S)
    assert row is not None
    assert "Very dissatisfied" in row.group(1)
    assert COMMENT[:40] in row.group(1) and COMMENT not in row.group(1)
    assert "…" in row.group(1)
    assert "burst" not in row.group(1)


def test_a_short_comment_is_shown_whole_and_none_is_no_quote(app):
    case = _case(comment="态度差")
    client = _handler_client(app, case)
    row = re.search(
        r'<td class="preview">(.*?)</td>', client.get("/evaluate/follow-up?lang=en").text, re.S
    )
    assert row is not None and "“态度差”" in row.group(1) and "…" not in row.group(1)
    db.session.delete(db.session.get(FollowUpCase, case.id))
    db.session.commit()
    bare = _case(comment=None)
    client = _handler_client(app, bare)
    row = re.search(
        r'<td class="preview">(.*?)</td>', client.get("/evaluate/follow-up?lang=en").text, re.S
    )
    assert row is not None and "Very dissatisfied" in row.group(1) and "“" not in row.group(1)


def test_a_case_from_an_accepted_burst_is_marked_with_its_review(app):
    case = _case(burst_status="accepted")
    client = _handler_client(app, case)
    listing = client.get("/evaluate/follow-up?lang=en").text
    assert 'data-burst="accepted"' in listing
    page = client.get(f"/evaluate/follow-up/{case.id}?lang=en").text
    note = re.search(r'<p class="note" id="burst">(.*?)</p>', page, re.S)
    assert note is not None
    assert "14 cards" in note.group(1) and "accepted" in note.group(1)
    assert "核实为同一批群众" in note.group(1)


def test_a_case_held_with_its_burst_shows_the_hold_to_an_evaluator(app):
    case = _case(burst_status="held")
    assert case.status == "held"
    evaluator = app.test_client()
    login(evaluator, gen_user("evaluator"))
    page = evaluator.get(f"/evaluate/follow-up/{case.id}?lang=en").text
    note = re.search(r'<p class="note" id="burst">(.*?)</p>', page, re.S)
    assert note is not None and "held for an evaluator" in note.group(1)
    # The handler still does not see it until the burst is accepted.
    handler = _handler_client(app, case)
    assert handler.get(f"/evaluate/follow-up/{case.id}").status_code == 404
