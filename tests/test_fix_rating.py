"""The respondent of a bad review is asked by SMS to rate the fix (link ``/f/<token>``).

The path under test: the handler records what was done, one SMS with a
personal link is queued (only to a call-back number left and not opted out),
the outbox worker sends it through the real Twilio client to a fake Twilio, a
delivery report updates it, and the respondent's rating on the link closes the
case, once.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from factories import gen_followup_case, gen_invitation, gen_user, login
from fake_twilio import ACCOUNT_SID, fake_twilio, signed_post, twilio_config  # noqa: F401
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from test_respond import (
    CARD,
    form_data,
    instrument,
    open_card,
    point_campaign,
    rapp,  # noqa: F401 - fixture
    valid_answers,
)

from survey.channels import sms
from survey.channels.sms import redact_expired, send_due
from survey.channels.twilio_backend import TwilioBackend, backend_from_config
from survey.extensions import db
from survey.followup_models import FollowUpCase
from survey.models import utcnow
from survey.sms_models import OutboundMessage
from survey.tokens import hash_token

PHONE = "138 0013 8000"
E164 = "+8613800138000"
ACTION = "已电话联系，补办完成"
CANT_CHOOSE = "Choose satisfied, basically satisfied or dissatisfied."


@pytest.fixture
def twilio(rapp, fake_twilio):  # noqa: F811 - fixtures imported above
    rapp.config.update(twilio_config(fake_twilio))
    return fake_twilio


def _messages() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboundMessage).order_by(OutboundMessage.id)).scalars())


def _case(case_id: int) -> FollowUpCase:
    db.session.expire_all()
    return db.session.get(FollowUpCase, case_id)


def _handler(app, case: FollowUpCase):  # type: ignore[no-untyped-def]
    """A signed-in client of the unit's handler."""
    handler = gen_user("handler", unit_id=case.unit_id)
    client = app.test_client()
    login(client, handler)
    return client


def _remedy(client, case: FollowUpCase, action: str = ACTION) -> None:  # type: ignore[no-untyped-def]
    reply = client.post(f"/evaluate/follow-up/{case.id}/remedy", data={"action": action})
    assert reply.status_code == 302


def _link_path(message: OutboundMessage) -> str:
    assert message.link is not None
    return message.link.removeprefix("http://survey.test")


def _remedied(app, **case_kw) -> tuple[FollowUpCase, OutboundMessage]:  # type: ignore[no-untyped-def]
    case = gen_followup_case(**case_kw)
    _remedy(_handler(app, case), case)
    [message] = _messages()
    return _case(case.id), message


# --- queuing ------------------------------------------------------------------------------------


def test_a_bad_review_from_the_card_gets_one_rating_sms_with_a_working_link(rapp):  # noqa: F811
    """End to end: the card with a call-back number, the handler's remedy, the link."""
    _campaign, point = point_campaign()
    inst = instrument(CARD)
    phone_question = next(q for q in inst.questions if q.type == "phone")
    respondent = rapp.test_client()
    url = f"/p/{point.code}?lang=zh_Hant"
    key = open_card(respondent, url)
    answers = valid_answers(inst, overall="very_dissatisfied", **{phone_question.id: PHONE})
    assert respondent.post(url, data=form_data(answers, key)).status_code == 200
    [case] = db.session.execute(select(FollowUpCase)).scalars().all()
    assert _messages() == [] and case.rating_token_hash is None

    handler = _handler(rapp, case)
    _remedy(handler, case)

    [message] = _messages()
    case = _case(case.id)
    assert (message.kind, message.state, message.attempts) == ("rating", "queued", 0)
    assert message.followup_case_id == case.id and message.invitation_id is None
    assert message.to_phone == E164
    assert message.language == "zh_Hant" == case.response.language
    assert message.link is not None and message.link in message.body
    token = re.fullmatch(r"http://survey\.test/f/([A-Za-z0-9_-]{22})", message.link)[1]
    assert case.rating_token_hash == hash_token(token)
    assert token not in (case.rating_token_hash or "")

    # Editing what was done later never queues a second message nor changes the link.
    _remedy(handler, case, "补充：已退还多收的费用")
    assert _messages() == [message]
    assert _case(case.id).rating_token_hash == hash_token(token)


def test_the_sms_is_in_the_language_of_the_review(rapp):  # noqa: F811
    case, message = _remedied(rapp, language="en", unit_name="City Service Centre")
    assert message.language == "en"
    assert message.body == (
        f"City Service Centre has acted on your review. Please rate what was done: "
        f"{message.link} Reply TD to opt out"
    )
    assert sms.segments(message.body) == 1


def test_a_long_unit_name_is_left_out_of_the_sms(rapp):  # noqa: F811
    _case_row, message = _remedied(rapp, language="en", unit_name="Bureau " * 20)
    assert message.body == (
        f"Your review has been acted on. Please rate what was done: {message.link} "
        "Reply TD to opt out"
    )


def test_no_call_back_number_no_sms(rapp):  # noqa: F811
    case = gen_followup_case(phone=None)
    _remedy(_handler(rapp, case), case)
    assert _case(case.id).status == "remedied"
    assert _messages() == []
    assert _case(case.id).rating_token_hash is None


def test_an_unusable_number_gets_no_sms(rapp):  # noqa: F811
    case = gen_followup_case(phone="12345")
    _remedy(_handler(rapp, case), case)
    assert _messages() == [] and _case(case.id).rating_token_hash is None


def test_an_opted_out_number_gets_no_sms(rapp):  # noqa: F811
    sms.opt_out(E164)
    case = gen_followup_case(phone=PHONE)
    _remedy(_handler(rapp, case), case)
    assert _case(case.id).status == "remedied"
    assert _messages() == [] and _case(case.id).rating_token_hash is None


def test_one_rating_message_per_case_is_a_constraint(rapp):  # noqa: F811
    case, message = _remedied(rapp)
    db.session.add(
        OutboundMessage(
            followup_case_id=case.id,
            kind="rating",
            to_phone=E164,
            body="again",
            language="zh_Hans",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("owners", ["none", "both"])
def test_a_message_belongs_to_exactly_one_invitation_or_case(rapp, owners):  # noqa: F811
    case = gen_followup_case()
    invitation, _token = gen_invitation()
    db.session.commit()
    both = owners == "both"
    db.session.add(
        OutboundMessage(
            invitation_id=invitation.id if both else None,
            followup_case_id=case.id if both else None,
            kind="rating",
            to_phone=E164,
            body="x",
            language="zh_Hans",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- sending, delivery, opt-out -----------------------------------------------------------------


def _backend() -> TwilioBackend:
    backend = backend_from_config(current_app.config)
    assert isinstance(backend, TwilioBackend)
    return backend


def test_the_worker_sends_it_through_twilio_and_a_delivery_report_updates_it(twilio, client):
    case, message = _remedied(current_app, language="en", unit_name="City Service Centre")

    report = send_due(_backend(), limit=10)

    assert report.sent == 1
    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form["To"] == E164
    assert request.form["Body"] == message.body
    assert request.form["StatusCallback"] == "http://survey.test/twilio/status"
    [row] = _messages()
    assert row.state == "sent" and row.twilio_sid == request.sid and row.attempts == 1

    reply = signed_post(
        client, "/twilio/status", {"MessageSid": request.sid, "MessageStatus": "delivered"}
    )
    assert reply.status_code == 204
    assert _messages()[0].state == "delivered"

    again = send_due(_backend(), limit=10, now=utcnow() + dt.timedelta(days=1))
    assert again.handled == 0 and len(twilio.requests) == 1
    # The handler sees that the respondent was asked.
    handler = _handler(current_app, case)
    page = handler.get(f"/evaluate/follow-up/{case.id}?lang=en")
    assert "A text message asked the respondent to rate the fix on a link." in page.text


def test_stop_after_queuing_cancels_it(twilio, client):
    _case_row, message = _remedied(current_app)
    reply = signed_post(client, "/twilio/inbound", {"From": E164, "Body": "退订"})
    assert reply.status_code == 200
    [row] = _messages()
    assert (row.state, row.last_error) == ("cancelled", "opted out")
    assert send_due(_backend(), limit=10).handled == 0
    assert twilio.requests == []


def test_a_rating_by_phone_before_sending_cancels_it(twilio):
    case, message = _remedied(current_app)
    handler = _handler(current_app, case)
    handler.post(f"/evaluate/follow-up/{case.id}/rating", data={"rating": "satisfied"})
    assert _case(case.id).rating_channel == "phone"
    report = send_due(_backend(), limit=10)
    assert report.cancelled == 1 and twilio.requests == []
    [row] = _messages()
    assert (row.state, row.last_error) == ("cancelled", "fix already rated")


def test_an_excluded_case_gets_no_rating_sms(twilio):
    case, message = _remedied(current_app)
    evaluator = gen_user("evaluator")
    client = current_app.test_client()
    login(client, evaluator)
    client.post(f"/evaluate/follow-up/{case.id}/exclude", data={"reason": "经核实为误操作"})
    assert _case(case.id).status == "excluded"
    assert send_due(_backend(), limit=10).cancelled == 1
    assert twilio.requests == []
    assert _messages()[0].last_error == "follow-up case excluded"


def test_a_sent_rating_link_is_redacted_after_the_case_closed_and_retention(twilio):
    case, message = _remedied(current_app)
    send_due(_backend(), limit=10)
    days = current_app.config["SURVEY_SMS_RETENTION_DAYS"]
    later = utcnow() + dt.timedelta(days=days + 1)
    assert redact_expired(later) == 0  # the case is still open to a rating: the link is kept
    handler = _handler(current_app, case)
    handler.post(f"/evaluate/follow-up/{case.id}/rating", data={"rating": "satisfied"})
    assert _case(case.id).status == "closed"
    assert redact_expired(utcnow()) == 0  # closed, but the retention period has not passed
    assert redact_expired(later) == 1
    [row] = _messages()
    assert (row.body, row.link, row.state) == ("", None, "sent")


def test_an_unreachable_redis_loses_nothing(rapp, caplog):  # noqa: F811
    rapp.config["SURVEY_RQ_REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    case = gen_followup_case()
    _remedy(_handler(rapp, case), case)
    [message] = _messages()
    assert message.state == "queued" and _case(case.id).status == "remedied"
    assert "could not tell the SMS worker" in caplog.text
