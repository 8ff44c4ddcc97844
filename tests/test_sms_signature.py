"""Every text message opens with the sender signature 【...】 and names who is asking.

The signature's rule (2 to 12 characters between 【 and 】), a unit's own
signature over its campaign's, the messages as sent through the fake Twilio,
the set-up screens that take a signature, and the console worker of `make run`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from factories import gen_campaign, gen_contact, gen_group, gen_invitation, gen_unit
from fake_twilio import twilio_config
from flask import Flask, current_app
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from test_admin_setup import _campaign_form, _post, _signed_in, setting  # noqa: F401

from survey.channels.links import add_unit_to_link
from survey.channels.sms import (
    SignatureError,
    clean_signature,
    queue_reminders,
    reissue_sms_invitations,
    send_due,
    signature_for,
)
from survey.channels.sms.bodies import rating_body
from survey.channels.twilio_backend import TwilioBackend, backend_from_config
from survey.extensions import db
from survey.models import Campaign, OutboundMessage, Unit, utcnow

ENGLISH = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "en_US.UTF-8"}


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("市评议办", "市评议办"),
        ("【市评议办】", "市评议办"),
        (" 【 市评议办 】 ", "市评议办"),
        ("政务", "政务"),
        ("一二三四五六七八九十一二", "一二三四五六七八九十一二"),
        ("", None),
        ("【】", None),
        (None, None),
    ],
)
def test_a_signature_is_stored_without_its_brackets(raw: str | None, stored: str | None) -> None:
    assert clean_signature(raw) == stored


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("办", "has 1 characters; carriers take 2 to 12"),
        ("一二三四五六七八九十一二三", "has 13 characters"),
        ("市【评议】办", "may not contain brackets"),
        ("[评议办]", "may not contain brackets"),
    ],
)
def test_a_signature_the_carriers_would_refuse_is_refused(raw: str, fragment: str) -> None:
    with pytest.raises(SignatureError, match=fragment.replace("(", r"\(")):
        clean_signature(raw)


def test_a_units_own_signature_signs_messages_about_it_alone(app: Flask) -> None:
    own, plain = gen_unit("zwfw", "省政务服务中心"), gen_unit("rmyy", "市人民医院")
    own.sms_signature = "政务中心"
    campaign = gen_campaign([own, plain])
    campaign.sms_signature = "市评议办"
    assert signature_for(campaign, [own]) == "政务中心"
    assert signature_for(campaign, [plain]) == "市评议办"
    assert signature_for(campaign, [own, plain]) == "市评议办"  # a message about both
    campaign.sms_signature = None
    assert signature_for(campaign, [plain]) is None


# --- the messages, through the fake Twilio -----------------------------------------------------


@pytest.fixture
def twilio(app, fake_twilio):  # type: ignore[no-untyped-def]
    app.config.update(twilio_config(fake_twilio))
    return fake_twilio


def _backend() -> TwilioBackend:
    backend = backend_from_config(current_app.config)
    assert isinstance(backend, TwilioBackend)
    return backend


def _two_unit_sms_link(language: str | None = None) -> tuple[Campaign, list[Unit]]:
    units = [gen_unit("zwfw", "省政务服务中心"), gen_unit("rmyy", "市人民医院")]
    campaign = gen_campaign(units)
    campaign.sms_signature = "市评议办"
    contact = gen_contact("王建国", "+8613900000001")
    contact.language = language
    lead, _token = gen_invitation(campaign, "deputy", units[0], contact=contact, channel="sms")
    add_unit_to_link(lead, units[1])
    db.session.commit()
    return campaign, units


def test_the_invitation_sms_is_signed_and_names_every_unit_of_the_link(twilio) -> None:  # type: ignore[no-untyped-def]
    campaign, _units = _two_unit_sms_link()
    [message] = reissue_sms_invitations(campaign, gen_group("deputy"))
    db.session.commit()
    assert message.body.startswith("【市评议办】")
    assert "省政务服务中心、市人民医院" in message.body and message.link in message.body

    report = send_due(_backend(), limit=10)
    assert report.sent == 1
    [request] = twilio.requests
    assert request.form["Body"] == message.body
    assert request.form["To"] == "+8613900000001"


def test_in_english_the_units_are_listed_the_english_way(twilio) -> None:  # type: ignore[no-untyped-def]
    campaign, _units = _two_unit_sms_link(language="en")
    [message] = reissue_sms_invitations(campaign, gen_group("deputy"))
    assert message.body == (
        f"【市评议办】You are invited to evaluate 省政务服务中心, 市人民医院: {message.link} "
        "Reply TD to opt out"
    )


def test_a_reminder_is_signed_and_names_the_units_still_open(twilio) -> None:  # type: ignore[no-untyped-def]
    campaign, units = _two_unit_sms_link(language="en")
    [message] = reissue_sms_invitations(campaign, gen_group("deputy"))
    db.session.commit()
    send_due(_backend(), limit=10)
    lead = message.invitation
    assert lead is not None
    lead.status = "completed"  # the first unit answered, the second not yet
    db.session.commit()
    later = utcnow() + dt.timedelta(days=30)
    [reminder] = queue_reminders(campaign, now=later)
    assert reminder.body == (
        f"【市评议办】Reminder: your evaluation of 市人民医院 is still open: {message.link} "
        "Reply TD to opt out"
    )
    report = send_due(_backend(), limit=10, now=later)
    assert report.sent == 1, report
    assert [r.form["Body"] for r in twilio.requests][-1] == reminder.body


def test_the_rating_sms_names_the_unit_and_uses_its_signature(app: Flask) -> None:
    unit = gen_unit("zwfw", "省政务服务中心")
    unit.sms_signature = "政务中心"
    campaign = gen_campaign([unit])
    campaign.sms_signature = "市评议办"
    body = rating_body(unit, campaign, "http://survey.test/f/x", "zh_Hans")
    assert body.startswith("【政务中心】") and "省政务服务中心" in body
    long_name = gen_unit("long", "某" * 60)
    body = rating_body(long_name, campaign, "http://survey.test/f/x", "en")
    assert body.startswith("【市评议办】") and "某" * 60 in body  # named, however long


# --- set-up screens ----------------------------------------------------------------------------


def test_the_campaign_form_takes_a_signature_and_refuses_a_bad_one(
    client: FlaskClient,
    app: Flask,
    setting,  # noqa: F811
) -> None:
    _signed_in(client)
    bad = _post(client, "/admin/campaigns/new", _campaign_form(setting, sms_signature="办"))
    assert bad.status_code == 200
    assert "carriers take 2 to 12" in bad.text
    assert db.session.execute(select(Campaign)).first() is None
    data = _campaign_form(setting, sms_signature="【市评议办】")
    good = _post(client, "/admin/campaigns/new", data)
    assert good.status_code == 302
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert campaign.sms_signature == "市评议办"
    assert 'value="市评议办"' in client.get(f"/admin/campaigns/{campaign.id}").text


def test_the_unit_form_takes_a_signature_of_its_own(client: FlaskClient, app: Flask) -> None:
    _signed_in(client)
    bad = _post(
        client, "/admin/units/new", {"code": "gaj", "name": "市公安局", "sms_signature": "一" * 13}
    )
    assert bad.status_code == 200 and "has 13 characters" in bad.text
    assert db.session.execute(select(Unit)).first() is None
    good = _post(
        client, "/admin/units/new", {"code": "gaj", "name": "市公安局", "sms_signature": "市公安局"}
    )
    assert good.status_code == 302
    assert db.session.execute(select(Unit.sms_signature)).scalar_one() == "市公安局"


# --- `make run`: the console worker prints the message and its link ----------------------------


def test_the_console_worker_prints_each_message_with_its_link(
    app: Flask, runner: FlaskCliRunner, twilio
) -> None:  # type: ignore[no-untyped-def]
    campaign, _units = _two_unit_sms_link()
    [message] = reissue_sms_invitations(campaign, gen_group("deputy"))
    db.session.commit()
    result = runner.invoke(args=["survey", "send", "--console", "--once"], env=ENGLISH)
    assert result.exit_code == 0, result.output
    assert f"SMS (not sent) to +86 139****0001: {message.body}" in result.output
    assert message.link in result.output
    assert twilio.requests == []  # --console never sends, even with Twilio configured
    db.session.expire_all()
    assert db.session.get(OutboundMessage, message.id).state == "sent"


def test_make_run_starts_the_console_worker_beside_the_server() -> None:
    makefile = (Path(__file__).parents[1] / "Makefile").read_text(encoding="utf-8")
    run = makefile.split("\nrun:", 2)[2].split("\n\n", 1)[0]
    assert "flask survey send --console" in run and "&" in run
    assert "trap 'kill" in run  # stopped with the server


def test_the_reply_to_td_is_signed_like_the_message_it_answers(twilio, client) -> None:  # type: ignore[no-untyped-def]
    from fake_twilio import signed_post

    campaign, _units = _two_unit_sms_link()
    [message] = reissue_sms_invitations(campaign, gen_group("deputy"))
    db.session.commit()
    reply = signed_post(client, "/twilio/inbound", {"From": message.to_phone, "Body": "退订"})
    assert reply.status_code == 200
    assert "<Message>【市评议办】" in reply.get_data(as_text=True)
    # A number we never wrote to with a signature gets the reply unsigned.
    other = signed_post(client, "/twilio/inbound", {"From": "+8613900000777", "Body": "TD"})
    assert "<Message>【" not in other.get_data(as_text=True)


def test_the_command_sets_a_campaigns_or_a_units_signature(
    app: Flask, runner: FlaskCliRunner
) -> None:
    unit = gen_unit("zwfw", "省政务服务中心")
    campaign = gen_campaign([unit])
    campaign.code = "demo2025"
    db.session.commit()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(args=["survey", "sms-signature", *args], env=ENGLISH)

    done = run("--campaign", "demo2025", "【市评议办】")
    assert done.exit_code == 0 and "【市评议办】" in done.output, done.output
    assert run("--unit", "zwfw", "政务中心").exit_code == 0
    bad = run("--unit", "zwfw", "政")
    assert bad.exit_code == 1 and "carriers take 2 to 12" in bad.output
    db.session.expire_all()
    assert (campaign.sms_signature, unit.sms_signature) == ("市评议办", "政务中心")
    assert run("--unit", "zwfw").exit_code == 0  # removed: the campaign's signs again
    db.session.expire_all()
    assert unit.sms_signature is None
    assert run("zwfw").exit_code != 0  # neither --campaign nor --unit
