"""Staff sessions end on the server: at sign-out (every copy of the cookie) and after idle time."""

from __future__ import annotations

import datetime as dt

import time_machine
from factories import csrf_token, gen_user, login
from flask import Flask
from flask.testing import FlaskClient

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_copy_of_the_session_cookie_is_dead_after_sign_out(
    app: Flask, client: FlaskClient
) -> None:
    login(client, gen_user("evaluator"))
    copied = _session_cookie(client)
    assert client.get("/evaluate/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/evaluate/")})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    page = thief.get("/evaluate/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_signing_in_again_after_sign_out_works(client: FlaskClient) -> None:
    user = gen_user("evaluator")
    login(client, user)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/evaluate/")})
    login(client, user)
    assert client.get("/evaluate/").status_code == 200


def test_a_staff_session_idle_longer_than_the_setting_is_signed_out(
    app: Flask, client: FlaskClient
) -> None:
    app.config["SURVEY_STAFF_IDLE_MINUTES"] = 30
    with time_machine.travel(NOW, tick=False) as clock:
        login(client, gen_user("evaluator"))
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/evaluate/").status_code == 200  # in use: the clock restarts
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/evaluate/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        page = client.get("/evaluate/")
        assert page.status_code == 302 and "/login" in page.headers["Location"]
