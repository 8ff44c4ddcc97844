"""The SMS outbox against a fake Twilio, through the real twilio.rest.Client.

What must hold: every queued message is sent exactly once (retries, crashes,
dropped connections, two workers), the request is what Twilio expects, and
opted-out numbers are never written to.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from factories import gen_campaign, gen_contact, gen_group, gen_invitation, gen_unit
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM, twilio_config
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey.channels import sms
from survey.channels.sms import (
    Throttle,
    create_sms_invitations,
    opt_out,
    queue_invitation_sms,
    segments,
    send_due,
)
from survey.channels.sms import worker as sms_worker
from survey.channels.twilio_backend import ConsoleBackend, TwilioBackend, backend_from_config
from survey.extensions import db
from survey.models import Invitation, OutboundMessage, SmsOptOut, utcnow
from survey.tokens import hash_token


@pytest.fixture
def twilio(app, fake_twilio):
    app.config.update(twilio_config(fake_twilio))
    return fake_twilio


def _invite(count: int = 1, *, unit_name: str = "市政务服务中心", language: str | None = None):
    campaign = gen_campaign([gen_unit(name=unit_name)])
    contacts = [
        gen_contact(f"代表{i}", phone=f"+86139{i:08d}") for i in range(count)
    ]
    for contact in contacts:
        contact.language = language
    created = create_sms_invitations(campaign, gen_group("deputy"), campaign.units[0], contacts)
    db.session.commit()
    return created


def _rows() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboundMessage).order_by(OutboundMessage.id)).scalars())


def _backend() -> TwilioBackend:
    backend = backend_from_config(current_app.config)
    assert isinstance(backend, TwilioBackend)
    return backend


def test_send_once_with_the_request_twilio_expects(twilio):
    [(invitation, message)] = _invite(language="en")
    assert message is not None and message.link is not None
    token = message.link.rsplit("/", 1)[1]
    assert hash_token(token) == invitation.token_hash
    assert message.link in message.body and "市政务服务中心" in message.body  # who is asking

    report = send_due(_backend(), limit=10)

    assert report.sent == 1
    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.form["To"] == "+8613900000000"
    assert request.form["From"] == FROM
    assert request.form["Body"] == message.body
    assert request.form["StatusCallback"] == "http://survey.test/twilio/status"
    [row] = _rows()
    assert row.state == "sent" and row.twilio_sid == request.sid and row.attempts == 1
    assert row.sent_at is not None and row.claimed_until is None

    again = send_due(_backend(), limit=10, now=utcnow() + dt.timedelta(days=1))
    assert again.handled == 0 and len(twilio.requests) == 1


def test_messaging_service_instead_of_a_number(app, twilio):
    app.config.update(TWILIO_FROM="", TWILIO_MESSAGING_SERVICE_SID="MG" + "2" * 32)
    _invite()
    send_due(_backend(), limit=10)
    [request] = twilio.requests
    assert request.form["MessagingServiceSid"] == "MG" + "2" * 32
    assert "From" not in request.form


def test_retry_with_backoff_after_a_500(twilio):
    _invite()
    start = utcnow()
    twilio.fail_next(1, status=500)

    first = send_due(_backend(), limit=10, now=start)
    assert first.retried == 1 and first.sent == 0
    [row] = _rows()
    assert row.state == "queued" and row.attempts == 1
    assert row.next_attempt_at == start + dt.timedelta(seconds=30)
    assert "500" in (row.last_error or "")
    # A 5xx may hide a created message: the next attempt looks before sending.
    assert row.uncertain_since == start

    early = send_due(_backend(), limit=10, now=start + dt.timedelta(seconds=29))
    assert early.handled == 0

    later = send_due(_backend(), limit=10, now=start + dt.timedelta(seconds=31))
    assert later.sent == 1
    methods = [r.method for r in twilio.requests]
    assert methods == ["POST", "GET", "POST"]
    assert twilio.requests[1].query["To"] == "+8613900000000"
    assert len(twilio.created()) == 1
    [row] = _rows()
    assert row.state == "sent" and row.attempts == 2 and row.uncertain_since is None
    assert row.twilio_sid == twilio.created()[0].sid


def test_backoff_doubles_and_is_capped():
    assert [sms.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert sms.backoff(20).total_seconds() == 3600


def test_gives_up_after_max_attempts_as_failed(app, twilio):
    app.config["SURVEY_SMS_MAX_ATTEMPTS"] = 3
    _invite()
    twilio.fail_next(10, status=429)
    now = utcnow()
    states = []
    for _ in range(4):
        send_due(_backend(), limit=10, now=now)
        [row] = _rows()
        states.append(row.state)
        now += dt.timedelta(hours=2)
    assert states == ["queued", "queued", "failed", "failed"]
    assert row.attempts == 3
    assert [r.method for r in twilio.requests] == ["POST"] * 3
    assert twilio.created() == []


def test_a_permanent_refusal_is_not_retried(twilio):
    _invite()
    twilio.fail_next(1, status=400)
    report = send_due(_backend(), limit=10)
    assert report.failed == 1
    [row] = _rows()
    assert row.state == "failed" and row.attempts == 1


def test_500s_to_the_end_fail_after_a_conclusive_look_up(app, twilio):
    app.config["SURVEY_SMS_MAX_ATTEMPTS"] = 2
    _invite()
    twilio.fail_next(1, status=500)
    now = utcnow()
    send_due(_backend(), limit=10, now=now)
    twilio.fail_next(1, status=503)
    report = send_due(_backend(), limit=10, now=now + dt.timedelta(minutes=5))
    assert report.failed == 1
    [row] = _rows()
    assert row.state == "failed"
    assert [r.method for r in twilio.requests] == ["POST", "GET", "POST", "GET"]
    assert twilio.created() == []


def test_crash_between_twilio_and_commit_neither_duplicates_nor_loses(app, twilio, monkeypatch):
    _invite()
    start = utcnow()

    def crash(*_args, **_kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(sms_worker, "_record_sent", crash)
    with pytest.raises(RuntimeError):
        send_due(_backend(), limit=10, now=start)
    db.session.rollback()
    monkeypatch.undo()
    assert len(twilio.created()) == 1
    [row] = _rows()
    assert row.state == "sending" and row.twilio_sid is None

    # Another worker while the lease runs: the row is not touched.
    during = send_due(_backend(), limit=10, now=start + dt.timedelta(seconds=60))
    assert during.handled == 0 and during.recovered == 0

    lease = dt.timedelta(seconds=app.config["SURVEY_SMS_LEASE_SECONDS"])
    after = send_due(_backend(), limit=10, now=start + lease + dt.timedelta(seconds=1))
    assert after.recovered == 1 and after.found == 1 and after.sent == 0
    assert len(twilio.created()) == 1
    [row] = _rows()
    assert row.state == "sent" and row.twilio_sid == twilio.created()[0].sid


@pytest.mark.parametrize("after_create", [True, False])
def test_dropped_connection_is_looked_up_before_resending(twilio, after_create):
    _invite()
    twilio.drop_next(1, after_create=after_create)
    start = utcnow()
    first = send_due(_backend(), limit=10, now=start)
    assert first.retried == 1
    [row] = _rows()
    assert row.state == "queued" and row.uncertain_since == start

    second = send_due(_backend(), limit=10, now=start + dt.timedelta(minutes=1))
    assert len(twilio.created()) == 1
    [row] = _rows()
    assert row.state == "sent" and row.twilio_sid == twilio.created()[0].sid
    if after_create:
        assert (second.found, second.sent) == (1, 0)
    else:
        assert (second.found, second.sent) == (0, 1)


def test_dropped_connections_to_the_end_are_unknown_not_failed(app, twilio):
    app.config["SURVEY_SMS_MAX_ATTEMPTS"] = 1
    _invite()
    twilio.drop_next(1, after_create=False)
    report = send_due(_backend(), limit=10)
    assert report.unknown == 1
    [row] = _rows()
    assert row.state == "unknown"
    later = send_due(_backend(), limit=10, now=utcnow() + dt.timedelta(days=1))
    assert later.handled == 0 and len([r for r in twilio.requests if r.method == "POST"]) == 1


def _worker(app, results, index):
    with app.app_context():
        try:
            results[index] = send_due(backend_from_config(app.config), limit=100)
        finally:
            db.session.remove()


def test_two_workers_send_each_message_exactly_once(app, twilio):
    created = _invite(50)
    expected = {message.body for _invitation, message in created}
    results: list = [None, None]
    threads = [threading.Thread(target=_worker, args=(app, results, i)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(result is not None for result in results), "a worker died"
    bodies = [r.form["Body"] for r in twilio.requests if r.method == "POST"]
    assert len(bodies) == 50 and set(bodies) == expected
    assert results[0].sent + results[1].sent == 50
    rows = _rows()
    assert {row.state for row in rows} == {"sent"}
    assert len({row.twilio_sid for row in rows}) == 50
    assert all(row.attempts == 1 for row in rows)


def test_opted_out_numbers_are_never_sent_to(twilio):
    [(_inv, first), (_inv2, second)] = _invite(2)
    # Opted out after queuing, bypassing opt_out(): the send-time check alone must hold.
    db.session.add(SmsOptOut(phone_hash=sms.phone_hash(first.to_phone)))
    db.session.commit()
    report = send_due(_backend(), limit=10)
    assert (report.cancelled, report.sent) == (1, 1)
    assert [r.form["To"] for r in twilio.requests] == [second.to_phone]
    rows = {row.id: row for row in _rows()}
    assert rows[first.id].state == "cancelled" and rows[first.id].last_error == "opted out"


def test_opt_out_cancels_queued_messages_and_blocks_new_ones(app):
    [(_inv, message)] = _invite()
    phone = message.to_phone
    assert opt_out(phone) == 1
    assert opt_out(phone) == 0  # twice is harmless
    [row] = _rows()
    assert row.state == "cancelled"
    stored = db.session.execute(select(SmsOptOut.phone_hash)).scalars().all()
    assert stored == [sms.phone_hash(phone)] and phone not in stored[0]
    assert _invite(1)[0][1] is None  # the same number, invited again: nothing queued


def test_answered_invitations_are_not_messaged(twilio):
    [(invitation, _message)] = _invite()
    invitation.status = "completed"
    db.session.commit()
    report = send_due(_backend(), limit=10)
    assert report.cancelled == 1 and twilio.requests == []


def test_one_message_per_invitation_and_kind(app):
    [(invitation, message)] = _invite()
    assert queue_invitation_sms(invitation, "x" * 22) is message
    db.session.add(
        OutboundMessage(
            invitation_id=invitation.id,
            kind="invitation",
            to_phone=message.to_phone,
            body="again",
            language="zh_Hans",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_no_usable_number_no_message(app):
    campaign = gen_campaign()
    contacts = [gen_contact("甲", phone=None), gen_contact("乙", phone="010-1234")]
    created = create_sms_invitations(campaign, gen_group("expert"), campaign.units[0], contacts)
    db.session.commit()
    assert [message for _inv, message in created] == [None, None]
    assert all(inv.channel == "sms" for inv, _m in created)


def test_a_long_unit_name_is_still_named(twilio):
    """Who is asking is said in every message, even when it takes another segment."""
    [(_inv, message)] = _invite(unit_name="某" * 80, language="en")
    assert "某" * 80 in message.body and message.link in message.body
    assert segments(message.body) == 3


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("0086-138-0013-8000", "+8613800138000"),
        ("+1 415 555 0100", "+14155550100"),
        ("010-12345678", None),
        ("+86 10 1234 5678", None),  # a landline, even in international form, takes no SMS
        ("１３８ ００１３ ８０００", "+8613800138000"),  # full-width digits, as typed in Chinese
        ("+86 12345", None),
        ("", None),
        (None, None),
    ],
)
def test_phone_numbers_to_e164(raw, expected):
    assert sms.sms_number(raw) == expected


def test_segments():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("中" * 70) == 1 and segments("中" * 71) == 2
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2


def test_throttle_spaces_sends():
    clock = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    throttle = Throttle(4, clock=lambda: clock[0], sleep=sleep)
    for _ in range(3):
        throttle.wait()
        clock[0] += 0.05
    assert slept == pytest.approx([0.2, 0.2])


def test_rate_limit_applies_to_send_due(app, twilio):
    _invite(3)
    slept: list[float] = []
    clock = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    send_due(_backend(), limit=10, throttle=Throttle(2, clock=lambda: clock[0], sleep=sleep))
    assert slept == pytest.approx([0.5, 0.5])
    assert len(twilio.created()) == 3


def test_console_backend_without_credentials(app, runner, caplog, monkeypatch):
    assert isinstance(backend_from_config(app.config), ConsoleBackend)
    # Alembic's logging setup in the migrating fixture disables loggers that existed then.
    monkeypatch.setattr(logging.getLogger("survey.channels.twilio_backend"), "disabled", False)
    [(_inv, message)] = _invite()
    with caplog.at_level("INFO", logger="survey.channels.twilio_backend"):
        result = runner.invoke(args=["survey", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    [row] = _rows()
    assert row.state == "sent" and row.twilio_sid.startswith("CONSOLE")
    assert message.body in caplog.text


def test_sms_invite_command_reissues_unsent_tokens(app, runner):
    campaign = gen_campaign()
    contact = gen_contact("李四", phone="13900001111")
    invitation, old_token = gen_invitation(campaign, "deputy", contact=contact, channel="sms")
    gen_invitation(campaign, "deputy", contact=gen_contact("王五", None), channel="sms")
    gen_invitation(campaign, "deputy", contact=gen_contact("赵六"), channel="link")
    db.session.commit()

    result = runner.invoke(
        args=["survey", "sms-invite", "--campaign", campaign.code, "--group", "deputy"]
    )
    assert result.exit_code == 0, result.output
    assert "queued 1 " in result.output
    [row] = _rows()
    assert row.invitation_id == invitation.id and row.to_phone == "+8613900001111"
    new_token = row.link.rsplit("/", 1)[1]
    refreshed = db.session.get(Invitation, invitation.id)
    assert refreshed.token_hash == hash_token(new_token) != hash_token(old_token)

    again = runner.invoke(
        args=["survey", "sms-invite", "--campaign", campaign.code, "--group", "deputy"]
    )
    assert "queued 0 " in again.output and len(_rows()) == 1


def test_sms_invite_command_rejects_unknown_campaign(runner):
    result = runner.invoke(args=["survey", "sms-invite", "--campaign", "nope", "--group", "x"])
    assert result.exit_code != 0 and "no campaign" in result.output


def test_redact_expired_blanks_links(app):
    [(invitation, message)] = _invite()
    message.state = "delivered"
    invitation.expires_at = utcnow() - dt.timedelta(days=40)
    db.session.commit()
    assert sms.redact_expired() == 1
    [row] = _rows()
    assert row.body == "" and row.link is None
