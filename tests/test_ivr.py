"""The post-service card by telephone, through signed Twilio voice webhooks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from factories import gen_campaign, gen_service_point
from fake_twilio import BASE, signed_post, twilio_config
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer, Campaign, Response, ResponseScore

CALL = "CA" + "c" * 32


@pytest.fixture
def point(app):
    app.config.update(twilio_config(None))
    campaign = gen_campaign(groups={"service_user": {}})
    campaign.channels = "qr ivr"
    point = gen_service_point(campaign.units[0], code="hall1")
    db.session.commit()
    return point


def _twiml(reply) -> ET.Element:
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.mimetype == "text/xml"
    return ET.fromstring(reply.get_data(as_text=True))


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    return parts.path + "?" + parts.query


def _gather(root: ET.Element) -> ET.Element:
    gather = root.find("Gather")
    assert gather is not None, ET.tostring(root)
    return gather


def _said(node: ET.Element) -> str:
    return " ".join(say.text or "" for say in node.iter("Say"))


def call(client, steps: list[str | None], *, call_sid: str = CALL, code: str = "hall1"):
    """Start a call and press ``steps`` (None: no key); returns the last TwiML."""
    root = _twiml(signed_post(client, f"/twilio/voice/{code}", {"CallSid": call_sid}))
    for digits in steps:
        url = _path(_gather(root).get("action"))
        data = {"CallSid": call_sid}
        if digits is not None:
            data["Digits"] = digits
        root = _twiml(signed_post(client, url, data))
    return root


def _responses() -> list[Response]:
    """The submitted responses (a call's draft, kept as keys are pressed, is not one yet)."""
    db.session.expire_all()
    return list(
        db.session.execute(select(Response).where(Response.submitted_at.is_not(None))).scalars()
    )


def _drafts() -> list[Response]:
    db.session.expire_all()
    return list(
        db.session.execute(select(Response).where(Response.submitted_at.is_(None))).scalars()
    )


def hang_up(client, call_sid: str = CALL, status: str = "completed"):  # type: ignore[no-untyped-def]
    """Twilio's call-status webhook reporting the end of the call."""
    reply = signed_post(client, "/twilio/voice-status", {"CallSid": call_sid, "CallStatus": status})
    assert reply.status_code == 204, reply.get_data(as_text=True)


def test_first_question_is_a_one_key_gather_in_mandarin(client, point):
    root = call(client, [])
    gather = _gather(root)
    assert gather.get("input") == "dtmf" and gather.get("numDigits") == "1"
    says = list(gather.iter("Say"))
    assert {say.get("language") for say in says} == {"cmn-CN"}
    text = _said(gather)
    assert "您对本次办事服务总体是否满意" in text
    for label in ("非常满意", "基本满意", "非常不满意"):
        assert label in text
    # With no key at all, the call comes back to the same step.
    assert root.find("Redirect").text == gather.get("action")


def test_full_call_stores_one_ivr_response_with_scores(client, point):
    root = call(client, ["1", "2", "5"])
    assert root.find("Hangup") is not None and root.find("Gather") is None
    [response] = _responses()
    assert response.channel == "ivr"
    assert response.submission_key == "ivr:" + CALL
    assert response.group.code == "service_user"
    assert response.unit_id == point.unit_id and response.service_point_id == point.id
    assert response.instrument_version.instrument_id == "post-service-card"
    answers = {a.question_id: (a.value, a.score) for a in response.answers}
    assert answers == {
        "overall": ("very_satisfied", 100.0),
        "attitude": ("satisfied", 75.0),
        "efficiency": ("very_dissatisfied", 0.0),
    }
    scores = {s.indicator: (s.score, s.satisfied) for s in response.scores}
    assert scores == {
        "satisfaction.overall": (100.0, True),
        "satisfaction.attitude": (75.0, True),
        "satisfaction.efficiency": (0.0, False),
    }
    assert response.submitted_at is not None


def test_invalid_key_repeats_the_question(client, point):
    with force_locale("zh_Hans"):
        sorry = gettext("Sorry, that key is not one of the choices.")
    assert sorry not in _said(_gather(call(client, [], call_sid="CA" + "f" * 32)))
    root = call(client, ["9"])
    text = _said(_gather(root))
    assert "您对本次办事服务总体是否满意" in text and sorry in text
    root = call(client, ["0", None, "3"], call_sid="CA" + "d" * 32)
    assert "工作人员的服务态度" in _said(_gather(root))


def test_required_question_unanswered_after_two_repeats_ends_politely(client, point):
    root = call(client, ["9", "9", "9"])
    assert root.find("Hangup") is not None and root.find("Gather") is None
    assert _responses() == []


def test_optional_question_is_skipped_after_two_repeats(client, point):
    root = call(client, ["4", "7", "8", "#", "2"])
    assert root.find("Hangup") is not None
    [response] = _responses()
    assert {a.question_id: a.value for a in response.answers} == {
        "overall": "dissatisfied",
        "efficiency": "satisfied",
    }


def test_repeated_final_webhook_stores_one_response(client, point):
    root = call(client, ["1", "1"])
    final_url = _path(_gather(root).get("action"))
    for _ in range(3):
        reply = _twiml(signed_post(client, final_url, {"CallSid": CALL, "Digits": "2"}))
        assert reply.find("Hangup") is not None
    assert len(_responses()) == 1
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar() == 3
    assert db.session.execute(select(func.count()).select_from(ResponseScore)).scalar() == 3


def test_forged_or_borrowed_state_is_refused(client, point):
    root = call(client, ["1"])
    url = _path(_gather(root).get("action"))
    path, _, query = url.partition("?")
    forged = f"{path}?s=x{query[2:]}"
    assert signed_post(client, forged, {"CallSid": CALL, "Digits": "1"}).status_code == 403
    other_call = signed_post(client, url, {"CallSid": "CA" + "e" * 32, "Digits": "1"})
    assert other_call.status_code == 403
    [draft] = _drafts()  # the one answer of the real call, nothing of the forged ones
    assert [a.question_id for a in draft.answers] == ["overall"]
    assert _responses() == []


def test_unsigned_voice_webhook_is_refused(client, point):
    assert client.post("/twilio/voice/hall1", data={"CallSid": CALL}).status_code == 403
    call(client, ["5"])
    ended = {"CallSid": CALL, "CallStatus": "completed"}
    assert client.post("/twilio/voice-status", data=ended).status_code == 403
    assert _responses() == []


def test_campaign_without_ivr_says_goodbye(client, point):
    for campaign in db.session.execute(select(Campaign)).scalars():
        campaign.channels = "qr phone"
    db.session.commit()
    root = call(client, [])
    assert root.find("Gather") is None and root.find("Hangup") is not None


def test_unknown_point_says_goodbye(client, point):
    root = call(client, [], code="nowhere")
    assert root.find("Gather") is None and root.find("Hangup") is not None


def test_a_bad_review_by_phone_opens_a_follow_up_case(client, point):
    from survey.models import FollowUpCase

    call(client, ["5", "2", "2"])  # very dissatisfied overall
    [response] = _responses()
    [case] = db.session.execute(db.select(FollowUpCase)).scalars().all()
    assert case.response_id == response.id and case.unit_id == point.unit_id
    call(client, ["1", "2", "2"], call_sid="CA" + "1" * 32)  # very satisfied: no case
    assert len(db.session.execute(db.select(FollowUpCase)).all()) == 1


def _say(key: str) -> str:
    with force_locale("zh_Hans"):
        return gettext(key)


def test_each_answer_is_kept_as_it_is_given(client, point):
    call(client, ["1", "2"])
    [draft] = _drafts()
    assert {a.question_id: a.value for a in draft.answers} == {
        "overall": "very_satisfied",
        "attitude": "satisfied",
    }
    assert draft.submission_key == "ivr:" + CALL and _responses() == []


def test_a_hang_up_after_the_overall_rating_is_a_partial_that_opens_the_case(client, point):
    from survey.models import FollowUpCase

    call(client, ["5"])  # very dissatisfied overall, then the caller hangs up
    hang_up(client, status="ringing")  # not the end of the call: nothing happens
    assert _responses() == []
    hang_up(client)
    [response] = _responses()
    assert {a.question_id: a.value for a in response.answers} == {"overall": "very_dissatisfied"}
    assert {s.indicator: s.score for s in response.scores} == {"satisfaction.overall": 0.0}
    [case] = db.session.execute(db.select(FollowUpCase)).scalars().all()
    assert case.response_id == response.id
    hang_up(client)  # Twilio's report again: the same response, one case
    assert len(_responses()) == 1
    assert len(db.session.execute(db.select(FollowUpCase)).all()) == 1


def test_a_hang_up_before_any_answer_leaves_nothing(client, point):
    call(client, [None])
    hang_up(client)
    assert _responses() == [] and _drafts() == []


def test_silence_is_not_called_a_wrong_key(client, point):
    root = call(client, [None])
    text = _said(_gather(root))
    assert _say("We did not hear a key.") in text
    assert _say("Sorry, that key is not one of the choices.") not in text


def test_star_repeats_zero_helps_and_hash_is_not_a_choice(client, point):
    question = "您对本次办事服务总体是否满意"
    first_gather = _gather(call(client, []))
    assert first_gather.get("finishOnKey") == ""  # so that # arrives as a key, not as "done"
    first = _said(first_gather)
    assert _say("To hear the question again, press star. For help, press 0.") in first
    again = _said(_gather(call(client, ["*"], call_sid="CA" + "2" * 32)))
    assert question in again and _say("Sorry, that key is not one of the choices.") not in again
    helped = _said(_gather(call(client, ["0"], call_sid="CA" + "3" * 32)))
    assert question in helped and "press star" not in helped  # Mandarin, not English
    assert _say("Answer with one key: the number said after each choice. "
                "Press star to hear the question again.") in helped
    hashed = _said(_gather(call(client, ["#"], call_sid="CA" + "4" * 32)))
    assert _say("Sorry, that key is not one of the choices.") in hashed
    # Repeats and help are no mistakes: after them the question still takes two wrong keys.
    root = call(client, ["*", "0", "9", "9", "1"], call_sid="CA" + "5" * 32)
    assert "工作人员的服务态度" in _said(_gather(root))
    # But a caller who only presses * is not kept on the line forever.
    root = call(client, ["*"] * 7, call_sid="CA" + "6" * 32)
    assert root.find("Hangup") is not None


def test_a_call_whose_end_was_never_reported_is_closed_later(client, point):
    import datetime as dt

    import time_machine

    from survey.responses.ivr_calls import close_abandoned_calls

    start = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        call(client, ["2"])
        call(client, [None], call_sid="CA" + "7" * 32)  # silence, then gone: nothing to keep
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        assert close_abandoned_calls() == 0  # it may still be going on
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        assert close_abandoned_calls() == 1
        db.session.commit()
    [response] = _responses()
    assert {a.question_id: a.value for a in response.answers} == {"overall": "satisfied"}
