"""A card's first page is rendered once and kept; each visitor gets their own tokens (#15).

Rendering the card (its template, its form's fields) cost more than the rest of
its GET; survey.respond.kept_pages keeps it per app with a mark where the style
nonce, the CSRF token and the submission key were. What a visitor must still get:
their own tokens, which the POST then accepts, and what changed since.
"""

from __future__ import annotations

import re

from flask import g
from respondent import (
    CARD,
    form_data,
    instrument,
    point_campaign,
    responses,
    scrape,
    valid_answers,
)

from survey.extensions import db

TOKENS = (
    r'name="csrf_token"[^>]*value="[^"]+"',
    r'name="submission_key"[^>]*value="[^"]+"',
    r'nonce="[^"]+"',
)


def _without_tokens(html: str) -> str:
    for pattern in TOKENS:
        html = re.sub(pattern, "TOKEN", html)
    return html


def _visit(app, url: str):  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)  # a new visitor's token, not the last one's (tests/factories.py)
    client = app.test_client()
    page = client.get(url)
    assert page.status_code == 200
    assert page.headers["Cache-Control"].startswith("no-store")
    return client, page.get_data(as_text=True)


def test_two_visitors_get_the_same_card_with_their_own_tokens_and_both_can_send_it(app):
    app.config["SURVEY_POINT_RATE_LIMIT"] = "1000 per minute"
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    first, first_html = _visit(app, url)
    second, second_html = _visit(app, url)
    assert _without_tokens(first_html) == _without_tokens(second_html)
    for name in ("csrf_token", "submission_key"):
        assert scrape(first_html, name) != scrape(second_html, name)
    answers = valid_answers(instrument(CARD))
    for client, html in ((second, second_html), (first, first_html)):
        data = form_data(answers, scrape(html, "submission_key"))
        data["csrf_token"] = scrape(html, "csrf_token")
        sent = client.post(url, data=data)
        assert sent.status_code == 200, sent.get_data(as_text=True)
    assert len(responses()) == 2


def test_the_kept_page_carries_the_request_s_style_nonce(app):
    _campaign, point = point_campaign()
    _visit(app, f"/p/{point.code}")
    g.pop("csrf_token", None)
    page = app.test_client().get(f"/p/{point.code}")
    nonce = re.search(r'<style nonce="([^"]+)"', page.get_data(as_text=True))
    assert nonce is not None
    assert f"'nonce-{nonce.group(1)}'" in page.headers["Content-Security-Policy"]


def test_a_renamed_unit_or_point_shows_on_the_next_card(app):
    _campaign, point = point_campaign()
    _visit(app, f"/p/{point.code}")
    point.unit.name = "新名称服务中心"
    point.name = "三号窗口"
    db.session.commit()
    _client, html = _visit(app, f"/p/{point.code}")
    assert "新名称服务中心" in html and "三号窗口" in html


def test_each_language_has_its_own_kept_card(app):
    _campaign, point = point_campaign()
    _client, chinese = _visit(app, f"/p/{point.code}")
    _client, english = _visit(app, f"/p/{point.code}?lang=en")
    assert 'lang="en"' in english and 'lang="zh-Hans"' in chinese
    assert _without_tokens(chinese) != _without_tokens(english)
