"""Security headers on every page, a strict policy with no inline script, no-store on staff pages.

Also: cookies are Secure when the public address is https (or when told), and
HSTS is sent on https requests only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import conftest
import pytest
from factories import gen_campaign, gen_invitation, gen_service_point, gen_ticket, gen_user, login
from flask import Flask
from flask.testing import FlaskClient

from survey import create_app
from survey.extensions import db

TEMPLATES = Path(__file__).resolve().parent.parent / "survey" / "templates"


class _Inline(HTMLParser):
    """Inline script (a <script> without src, an on* attribute) and the <style> nonces."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str] = []
        self.style_nonces: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and not named.get("src"):
            self.inline_scripts.append(tag)
        self.inline_scripts.extend(name for name, _ in attrs if name.startswith("on"))
        if tag == "style":
            self.style_nonces.append(named.get("nonce"))
        if "style" in named:
            self.inline_scripts.append(f"style attribute on <{tag}>")


def _policy(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


@pytest.fixture
def addresses(rapp: Flask) -> list[str]:
    campaign = gen_campaign()
    point = gen_service_point(campaign.units[0], code="zwfw")
    _ticket, ticket = gen_ticket(campaign, point)
    _invitation, token = gen_invitation(campaign, "deputy")
    db.session.commit()
    return ["/", "/p/zwfw", "/k/zwfw", f"/t/{ticket}", f"/i/{token}", "/f/nope", "/login"]


def test_respondent_pages_carry_a_strict_policy_and_no_inline_script(
    rapp: Flask, addresses: list[str]
) -> None:
    client = rapp.test_client()
    for address in addresses:
        page = client.get(address)
        headers = page.headers
        policy = _policy(headers["Content-Security-Policy"])
        assert policy["script-src"] == "'self'", address
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers  # plain http
        found = _Inline()
        found.feed(page.get_data(as_text=True))
        assert found.inline_scripts == [], address
        nonce = re.search(r"'nonce-([^']+)'", policy["style-src"])
        if address != "/login":  # the staff look has a stylesheet and no <style>
            assert nonce and found.style_nonces and set(found.style_nonces) == {nonce.group(1)}


def test_no_template_has_inline_script_or_a_style_attribute() -> None:
    """Staff pages too: what the policy would block must not be written at all."""
    problems = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            problems.append(f"{template.name}: inline <script>")
        if re.search(r"\son[a-z]+=\"", text):
            problems.append(f"{template.name}: on* handler")
        if re.search(r"\sstyle=\"", text):
            problems.append(f"{template.name}: style attribute")
        if "<style>" in text:
            problems.append(f"{template.name}: <style> without the nonce")
    assert problems == []


def test_https_requests_get_hsts(rapp: Flask) -> None:
    page = rapp.test_client().get("/", base_url="https://survey.test")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_staff_pages_are_never_stored(client: FlaskClient) -> None:
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    login(client, gen_user("admin"))
    for address in ("/evaluate/", "/evaluate/fieldwork", "/evaluate/no-such-page"):
        assert client.get(address).headers["Cache-Control"] == "no-store", address
    with client.get("/static/staff.css") as stylesheet:
        assert "no-store" not in stylesheet.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    "base_url, override, secure",
    [
        ("http://survey.test", "auto", False),
        ("https://pj.example.gov.cn", "auto", True),
        ("https://pj.example.gov.cn", "0", False),
        ("http://survey.test", "1", True),
    ],
)
def test_cookies_are_secure_when_the_public_address_is_https(
    database_url: str, base_url: str, override: str, secure: bool
) -> None:
    app = create_app(
        conftest.test_config(database_url, SURVEY_BASE_URL=base_url, SURVEY_SECURE_COOKIES=override)
    )
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    page = app.test_client().get("/?lang=en")
    cookie = page.headers["Set-Cookie"]
    assert ("; Secure" in cookie) is secure


def test_a_signed_in_session_cookie_is_secure_under_https(app: Flask) -> None:
    app.config["SURVEY_BASE_URL"] = "https://pj.example.gov.cn"
    from survey.web.headers import secure_cookies

    secure_cookies(app)
    client = app.test_client()
    response = login(client, gen_user("evaluator"))
    session_cookie = next(
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")
    )
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
