"""Kiosk mode only on a device an administrator enrolled (issue 10: inputs not to be stuffed).

What an administrator, a tablet and an attacker do, through the Flask test client:
the enrolment code made on /admin/devices or by the command line and typed at
/device/enrol; a browser that merely opens /k/<point> getting the public card
with its limits; revocation, a cookie for another point, a forged cookie.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import time_machine
from factories import csrf_token, gen_service_point, gen_user, login
from respondent import (
    CARD,
    counts,
    enrol_tablet,
    form_data,
    instrument,
    point_campaign,
    post_card,
    responses,
    valid_answers,
)
from sqlalchemy import select

from survey.channels.devices import DEVICE_COOKIE, create_device
from survey.extensions import db
from survey.models import AuditEvent, Device, utcnow


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def _device_cookie(client) -> str | None:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie(DEVICE_COOKIE)
    return cookie.value if cookie is not None else None


def test_an_unenrolled_browser_at_k_gets_the_public_card_with_its_limits(rapp, client):
    rapp.config["SURVEY_POINT_RATE_LIMIT"] = "3 per minute"
    rapp.config["SURVEY_BURST_COUNT"] = 2
    _campaign, point = point_campaign()
    url = f"/k/{point.code}"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'http-equiv="refresh"' not in html and "next-countdown" not in html
    statuses = [post_card(client, url)[0].status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    rows = responses()
    # Counted as what they are, public QR cards, and burst-checked as such.
    assert [r.channel for r in rows] == ["qr", "qr", "qr"]
    assert [r.device_id for r in rows] == [None, None, None]
    assert [r.flagged for r in rows] == [True, True, True]
    thanks = client.post(url, data={})  # nothing to take; no kiosk restart either way
    assert "next-countdown" not in thanks.get_data(as_text=True)


def test_admin_enrols_a_tablet_with_a_one_time_code_shown_once(app, client):
    _campaign, point = point_campaign()
    admin = gen_user("admin")
    login(client, admin)
    made = client.post(
        "/admin/devices",
        data={
            "csrf_token": csrf_token(client, "/admin/devices"),
            "point_id": point.id,
            "name": "3号窗口评价器",
        },
    )
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    code = re.search(r"<code>([2-9A-Z]{5}-[2-9A-Z]{5})</code>", html).group(1)
    [device] = db.session.execute(select(Device)).scalars().all()
    assert device.name == "3号窗口评价器" and device.state() == "waiting"
    assert code.replace("-", "") not in (device.code_hash or "")
    # Shown once: the next visit to the page does not show it again.
    assert code not in client.get("/admin/devices").get_data(as_text=True)
    [created] = _audit("device.create")
    assert created.user_id == admin.id and json.loads(created.after)["name"] == "3号窗口评价器"

    tablet = app.test_client()
    form = tablet.get("/device/enrol?lang=en")
    assert form.status_code == 200 and "Enrolment code" in form.get_data(as_text=True)
    typed = code.lower().replace("-", " ")  # as a person may type it
    done = tablet.post(
        "/device/enrol",
        data={"code": typed, "csrf_token": csrf_token(tablet, "/device/enrol")},
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "3号窗口评价器" in done.get_data(as_text=True)
    set_cookie = next(c for c in done.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE))
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Max-Age=" in set_cookie
    db.session.expire_all()
    assert device.state() == "enrolled" and device.code_hash is None
    [enrolled] = _audit("device.enrol")
    assert enrolled.actor == f"device:{device.id}"

    kiosk = tablet.get(f"/k/{point.code}")
    assert kiosk.status_code == 200
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', kiosk.text).group(1)
    answers = valid_answers(instrument(CARD))
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', kiosk.text).group(1)
    thanks = tablet.post(f"/k/{point.code}", data=form_data(answers, key, csrf_token=csrf))
    assert thanks.status_code == 200
    assert f'data-href="/k/{point.code}"' in thanks.get_data(as_text=True)
    [response] = responses()
    assert response.channel == "kiosk" and response.device_id == device.id

    # The same code a second time, on another browser: refused, nothing changes.
    other = app.test_client()
    again = other.post(
        "/device/enrol", data={"code": code, "csrf_token": csrf_token(other, "/device/enrol")}
    )
    assert again.status_code == 422
    assert "not valid" in again.get_data(as_text=True) or "无效" in again.get_data(as_text=True)
    assert _device_cookie(other) is None
    assert len(_audit("device.enrol")) == 1


def test_wrong_and_expired_codes_change_nothing_and_speak_the_readers_language(rapp, client):
    _campaign, point = point_campaign()
    device, code = create_device(point, "平板", by=None)
    db.session.commit()
    wrong = client.post("/device/enrol?lang=en", data={"code": "AAAAA-AAAAA"})
    assert wrong.status_code == 422
    assert "This code is not valid" in wrong.get_data(as_text=True)
    empty = client.post("/device/enrol?lang=zh_Hant", data={"code": ""})
    assert empty.status_code == 422 and "請輸入登記碼" in empty.get_data(as_text=True)
    assert "<title>錯誤：" in empty.text and 'aria-describedby="e-code"' in empty.text
    minutes = rapp.config["SURVEY_DEVICE_CODE_MINUTES"]
    with time_machine.travel(utcnow() + dt.timedelta(minutes=minutes, seconds=1), tick=False):
        late = client.post("/device/enrol?lang=zh_Hans", data={"code": code})
        assert late.status_code == 422 and "无效" in late.get_data(as_text=True)
        db.session.expire_all()
        assert device.state() == "expired"
    assert _device_cookie(client) is None
    assert device.enrolled_at is None and _audit("device.enrol") == []


def test_enrolment_attempts_are_rate_limited(rapp, client):
    rapp.config["SURVEY_DEVICE_ENROL_RATE_LIMIT"] = "3 per hour"
    statuses = [
        client.post("/device/enrol", data={"code": "AAAAA-AAAAA"}).status_code for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]


def test_a_revoked_device_gets_the_public_card(app, client, runner):
    app.config["WTF_CSRF_ENABLED"] = False
    _campaign, point = point_campaign()
    device = enrol_tablet(client, point)
    assert "next-countdown" not in client.get(f"/k/{point.code}").text
    post_card(client, f"/k/{point.code}")
    admin = gen_user("admin")
    staff = app.test_client()
    login(staff, admin)
    revoked = staff.post(f"/admin/devices/{device.id}/revoke", data={})
    assert revoked.status_code == 302
    [event] = _audit("device.revoke")
    assert event.user_id == admin.id
    post_card(client, f"/k/{point.code}")
    assert [(r.channel, r.device_id) for r in responses()] == [
        ("kiosk", device.id),
        ("qr", None),
    ]
    # Revoking twice says so and records nothing more.
    again = runner.invoke(args=["survey", "device", "revoke", str(device.id)])
    assert "already revoked" in again.output and len(_audit("device.revoke")) == 1


def test_a_device_is_a_kiosk_only_at_its_own_point(rapp, client):
    campaign, point = point_campaign()
    elsewhere = gen_service_point(campaign.units[0])
    db.session.commit()
    enrol_tablet(client, point)
    post_card(client, f"/k/{elsewhere.code}")
    post_card(client, f"/k/{point.code}")
    assert [r.channel for r in responses()] == ["qr", "kiosk"]


def test_a_forged_or_copied_cookie_is_not_a_kiosk(rapp, client):
    _campaign, point = point_campaign()
    device = enrol_tablet(client, point)
    genuine = _device_cookie(client)
    assert genuine is not None
    # Another secret under a valid-looking signature is refused, as is a cookie signed elsewhere.
    client.set_cookie(DEVICE_COOKIE, genuine[:-3] + "xyz")
    post_card(client, f"/k/{point.code}")
    client.set_cookie(DEVICE_COOKIE, f"{device.id}.anything")
    post_card(client, f"/k/{point.code}")
    assert [r.channel for r in responses()] == ["qr", "qr"]
    assert counts()["response"] == 2


def test_cli_enrols_lists_and_revokes(rapp, client, runner):
    _campaign, point = point_campaign()
    made = runner.invoke(
        args=["survey", "device", "enrol", "--point", point.code, "--name", "大厅平板"]
    )
    assert made.exit_code == 0, made.output
    code = made.output.strip().splitlines()[-1]
    assert re.fullmatch(r"[2-9A-Z]{5}-[2-9A-Z]{5}", code)
    assert "http://survey.test/device/enrol" in made.output
    assert client.post("/device/enrol", data={"code": code}).status_code == 200
    listed = runner.invoke(args=["survey", "device", "list"])
    assert f"{point.code}\tenrolled\t大厅平板" in listed.output
    [device] = db.session.execute(select(Device)).scalars().all()
    gone = runner.invoke(args=["survey", "device", "revoke", str(device.id)])
    assert gone.exit_code == 0 and "revoked" in gone.output
    assert [
        e.actor.startswith("cli:") for e in _audit("device.create") + _audit("device.revoke")
    ] == [True, True]
    unknown = runner.invoke(args=["survey", "device", "enrol", "--point", "nope", "--name", "x"])
    assert unknown.exit_code == 1 and "no service point" in unknown.output


def test_only_administrators_enrol_devices(app, client):
    for role in ("evaluator", "operator", "handler"):
        staff = app.test_client()
        login(staff, gen_user(role))
        assert staff.get("/admin/devices").status_code == 403
