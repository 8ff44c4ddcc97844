"""What a visitor's browser is told to store: nothing it does not need, and a login still guarded.

A public card's session holds its CSRF token and nothing of a login. Flask-Login's
context processor loaded the user for every page a template rendered, and its
"strong" session protection took such a session (not empty, no login mark) for a
stolen one: every rendered page then re-signed the session and told the browser
to delete a remember-me cookie this app never sets. The user is now loaded only
where something asks for it; a real login is still dropped when its cookie is
replayed from another browser.
"""

from __future__ import annotations

import re

from factories import gen_campaign, gen_service_point, gen_user, login
from flask import Flask

from survey.extensions import db

HIDDEN = re.compile(r'name="(csrf_token|submission_key)"[^>]*value="([^"]+)"')


def _cookies(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.getlist("Set-Cookie")


def test_a_card_never_asks_to_delete_a_remember_me_cookie(app: Flask) -> None:
    campaign = gen_campaign()
    gen_service_point(campaign.units[0], code="zwfw")
    db.session.commit()
    client = app.test_client()
    page = client.get("/p/zwfw")
    assert not any(c.startswith("remember_token=") for c in _cookies(page))
    hidden = dict(HIDDEN.findall(page.get_data(as_text=True)))
    assert set(hidden) == {"csrf_token", "submission_key"}
    # Sent with nothing answered: the card comes back with its errors (rendered afresh).
    again = client.post("/p/zwfw", data=hidden)
    assert again.status_code == 422
    assert _cookies(again) == []  # the session is unchanged: not signed and sent again
    signin = client.get("/login")
    assert not any(c.startswith("remember_token=") for c in _cookies(signin))


def test_staff_pages_still_know_who_is_signed_in(app: Flask) -> None:
    client = app.test_client()
    login(client, gen_user("admin", username="ada"))
    page = client.get("/evaluate/")
    assert page.status_code == 200
    assert "ada" in page.get_data(as_text=True)  # the navigation names the user


def test_a_login_replayed_from_another_browser_is_dropped(app: Flask) -> None:
    own = app.test_client()
    login(own, gen_user("admin"))
    assert own.get("/evaluate/").status_code == 200
    stolen = app.test_client()
    cookie = own.get_cookie("session")
    assert cookie is not None
    stolen.set_cookie("session", cookie.value)
    elsewhere = stolen.get("/evaluate/", headers={"User-Agent": "another browser"})
    assert elsewhere.status_code == 302 and "/login" in elsewhere.headers["Location"]
    assert own.get("/evaluate/").status_code == 200
