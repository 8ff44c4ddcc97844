"""Twilio's webhooks: only signed requests count; status callbacks and STOP/TD/退订."""

from __future__ import annotations

import pytest
from factories import gen_campaign, gen_contact, gen_group
from fake_twilio import AUTH_TOKEN, BASE, signed_post, twilio_config
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from survey.channels import sms
from survey.channels.sms import create_sms_invitations
from survey.extensions import db
from survey.models import OutboundMessage, SmsOptOut


@pytest.fixture
def configured(app):
    app.config.update(twilio_config(None))
    return app


def _queued(phone: str = "+8613912345678", state: str = "queued", sid: str | None = None):
    campaign = gen_campaign()
    [(invitation, message)] = create_sms_invitations(
        campaign, gen_group("party"), campaign.units[0], [gen_contact("周七", phone=phone)]
    )
    message.state = state
    message.twilio_sid = sid
    db.session.commit()
    return message


def _state(message_id: int) -> str:
    db.session.expire_all()
    return db.session.get(OutboundMessage, message_id).state


SID = "SM" + "a" * 32


def test_status_callback_moves_forward_only(configured, client):
    message = _queued(state="sent", sid=SID)
    reply = signed_post(client, "/twilio/status", {"MessageSid": SID, "MessageStatus": "delivered"})
    assert reply.status_code == 204
    assert _state(message.id) == "delivered"
    late = signed_post(client, "/twilio/status", {"MessageSid": SID, "MessageStatus": "sent"})
    assert late.status_code == 204
    assert _state(message.id) == "delivered"


@pytest.mark.parametrize("status", ["undelivered", "failed"])
def test_status_callback_failures_are_kept(configured, client, status):
    message = _queued(state="sent", sid=SID)
    signed_post(
        client,
        "/twilio/status",
        {"MessageSid": SID, "MessageStatus": status, "ErrorCode": "30003"},
    )
    db.session.expire_all()
    row = db.session.get(OutboundMessage, message.id)
    assert row.state == status and "30003" in row.last_error


def test_status_of_an_unknown_sid_changes_nothing(configured, client):
    message = _queued(state="sent", sid=SID)
    other = "SM" + "b" * 32
    reply = signed_post(client, "/twilio/status", {"MessageSid": other, "MessageStatus": "failed"})
    assert reply.status_code == 204 and _state(message.id) == "sent"


def test_unsigned_and_wrongly_signed_requests_are_refused(configured, client):
    message = _queued(state="sent", sid=SID)
    data = {"MessageSid": SID, "MessageStatus": "failed"}
    assert client.post("/twilio/status", data=data).status_code == 403
    wrong_key = signed_post(client, "/twilio/status", data, token="not-the-token")
    assert wrong_key.status_code == 403
    other_params = signed_post(
        client, "/twilio/status", data, sign={"MessageSid": SID, "MessageStatus": "delivered"}
    )
    assert other_params.status_code == 403
    other_url = client.post(
        "/twilio/status",
        data=data,
        headers={
            "X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(
                BASE + "/twilio/inbound", data
            )
        },
    )
    assert other_url.status_code == 403
    assert _state(message.id) == "sent"


def test_without_an_auth_token_nothing_is_accepted(app, client):
    message = _queued()
    reply = signed_post(client, "/twilio/inbound", {"From": message.to_phone, "Body": "TD"})
    assert reply.status_code == 403
    assert db.session.execute(select(func.count()).select_from(SmsOptOut)).scalar() == 0
    assert _state(message.id) == "queued"


@pytest.mark.parametrize(
    "word",
    [
        "STOP",
        "stop",
        " TD ",
        "td",
        "退订",
        "Unsubscribe",
        "T D",
        "TD ",
        # As Chinese input methods send them: full-width letters and spaces, brackets, marks.
        "ＴＤ",
        "Ｓｔｏｐ",
        "\u3000ｔｄ\u3000",
        "【退订】",
        "「TD」",
        "～退订～",
        "~TD~",
        "退订。",
        "Stop!",
        "【 退 订 】",
    ],
)
def test_stop_words_opt_out_everywhere(configured, client, word):
    message = _queued()
    sent = _queued(state="sent", sid=SID)  # the same person in another campaign
    assert sent.to_phone == message.to_phone

    reply = signed_post(client, "/twilio/inbound", {"From": message.to_phone, "Body": word})

    assert reply.status_code == 200 and reply.mimetype == "text/xml"
    assert "<Message>" in reply.get_data(as_text=True)
    assert _state(message.id) == "cancelled"
    assert _state(sent.id) == "sent"
    assert sms.is_opted_out(message.to_phone)
    hashes = db.session.execute(select(SmsOptOut.phone_hash)).scalars().all()
    assert hashes == [sms.phone_hash(message.to_phone)]


@pytest.mark.parametrize("body", ["谢谢", "请问怎么退订？", "【不要退订】", "T.D"])
def test_other_messages_do_not_opt_out(configured, client, body):
    message = _queued()
    reply = signed_post(client, "/twilio/inbound", {"From": message.to_phone, "Body": body})
    assert reply.status_code == 200
    assert "<Message>" not in reply.get_data(as_text=True)
    assert _state(message.id) == "queued" and not sms.is_opted_out(message.to_phone)


def test_unsigned_stop_is_refused(configured, client):
    message = _queued()
    reply = client.post("/twilio/inbound", data={"From": message.to_phone, "Body": "STOP"})
    assert reply.status_code == 403
    assert _state(message.id) == "queued" and not sms.is_opted_out(message.to_phone)


def test_webhooks_need_no_csrf_token(app, configured):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    message = _queued(state="sent", sid=SID)
    reply = signed_post(client, "/twilio/status", {"MessageSid": SID, "MessageStatus": "delivered"})
    assert reply.status_code == 204 and _state(message.id) == "delivered"
