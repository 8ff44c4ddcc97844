"""WCAG 2.1 AA in the HTML itself: what axe-core cannot see from one page state.

The browser tests (test_accessibility_browser.py) run axe-core on the pages;
these check, through the Flask test client, that a refused form says so in its
title and a focused summary whose links lead to each question, that each error
is tied to its question, that language links speak their own language, and
that no table has a header without a name.
"""

from __future__ import annotations

import re
from pathlib import Path

from factories import DEFAULT_PASSWORD, csrf_token, gen_user
from respondent import (
    CARD,
    form_data,
    instrument,
    open_card,
    point_campaign,
    valid_answers,
)

from survey.extensions import db
from survey.web.answer_form import field_name

TEMPLATES = Path(__file__).resolve().parent.parent / "survey" / "templates"


def _title(html: str) -> str:
    found = re.search(r"<title>([^<]*)</title>", html)
    assert found is not None
    return found.group(1)


def test_a_refused_card_focuses_a_summary_that_links_to_each_question(rapp, client):
    _campaign, point = point_campaign()
    inst = instrument(CARD)
    url = f"/p/{point.code}?lang=en"
    key = open_card(client, url)
    answers = valid_answers(inst)
    required = [q for q in inst.questions if q.required and q.show_if is None][:2]
    for question in required:
        del answers[question.id]
    page = client.post(url, data=form_data(answers, key))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert _title(html).startswith("Error: ")
    summary = re.search(r'<div class="errors" id="error-summary"([^>]*)>(.*?)</div>', html, re.S)
    assert summary is not None
    assert 'tabindex="-1"' in summary.group(1) and "autofocus" in summary.group(1)
    assert 'role="alert"' in summary.group(1)
    assert html.count("autofocus") == 1
    for question in required:
        name = field_name(question.id)
        assert f'href="#f-{name}"' in summary.group(2)
        fieldset = re.search(rf'<fieldset id="f-{name}"([^>]*)>(.*?)</fieldset>', html, re.S)
        assert fieldset is not None
        described = re.search(r'aria-describedby="([^"]*)"', fieldset.group(1))
        assert described is not None and f"e-{name}" in described.group(1).split()
        assert f'<p class="error" id="e-{name}">' in fieldset.group(2)
        inputs = re.findall(r"<input[^>]*>", fieldset.group(2))
        assert inputs and all('aria-invalid="true"' in tag for tag in inputs)
    # The questions answered are not marked.
    answered = field_name(next(iter(answers)))
    assert not re.search(rf'<input[^>]*aria-invalid[^>]*name="{answered}"', html)


def test_a_card_without_errors_has_no_summary_and_its_plain_title(rapp, client):
    _campaign, point = point_campaign()
    html = client.get(f"/p/{point.code}?lang=zh_Hant").get_data(as_text=True)
    assert "error-summary" not in html and "aria-invalid" not in html
    assert not _title(html).startswith("錯誤")


def test_the_error_title_in_chinese(rapp, client):
    _campaign, point = point_campaign()
    url = f"/p/{point.code}?lang=zh_Hans"
    key = open_card(client, url)
    html = client.post(url, data=form_data({}, key)).get_data(as_text=True)
    assert _title(html).startswith("错误：")
    assert "出现问题" in html


def test_language_links_speak_their_own_language(rapp, client):
    _campaign, point = point_campaign()
    html = client.get(f"/p/{point.code}?lang=en").get_data(as_text=True)
    assert '<a href="?lang=zh_Hans" hreflang="zh-Hans" lang="zh-Hans">简体</a>' in html
    assert '<a href="?lang=zh_Hant" hreflang="zh-Hant" lang="zh-Hant">繁體</a>' in html
    staff = client.get("/login?lang=zh_Hans").get_data(as_text=True)
    assert 'hreflang="en" lang="en">English</a>' in staff


def test_the_thank_you_pages_language_links_keep_the_thank_you(rapp, client):
    _campaign, point = point_campaign()
    url = f"/p/{point.code}?lang=zh_Hans"
    key = open_card(client, url)
    thanks = client.post(url, data=form_data(valid_answers(instrument(CARD)), key))
    html = thanks.get_data(as_text=True)
    assert thanks.status_code == 200
    # Not "?lang=en" on the card's address: that opened a fresh card.
    assert "?lang=" not in html.replace("/thanks?lang=", "")
    assert 'href="/thanks?lang=en" hreflang="en" lang="en"' in html
    english = client.get("/thanks?lang=en")
    assert english.status_code == 200
    assert "Your answers have been received" in english.get_data(as_text=True)
    assert 'href="/thanks?lang=zh_Hant"' in english.get_data(as_text=True)
    assert client.head("/thanks").status_code == 200


def test_a_failed_sign_in_is_announced_and_focused(app, client):
    user = gen_user("evaluator")
    db.session.commit()
    token = csrf_token(client, "/login?lang=en")
    page = client.post(
        "/login?lang=en",
        data={"csrf_token": token, "username": user.username, "password": DEFAULT_PASSWORD + "x"},
    )
    html = page.get_data(as_text=True)
    assert _title(html).startswith("Error: Sign in")
    summary = re.search(
        r'<div class="error-summary" id="error-summary"([^>]*)>(.*?)</div>', html, re.S
    )
    assert summary is not None
    assert 'role="alert"' in summary.group(1) and "autofocus" in summary.group(1)
    assert "Wrong username or password." in summary.group(2)
    assert html.count("autofocus") == 1  # not on the username any more

    blank = {"csrf_token": token, "username": "", "password": ""}
    empty = client.post("/login?lang=en", data=blank)
    html = empty.get_data(as_text=True)
    assert 'href="#username"' in html and 'href="#password"' in html
    username = re.search(r'<input[^>]*id="username"[^>]*>', html)
    assert username is not None
    assert 'aria-invalid="true"' in username.group(0)
    assert 'aria-describedby="e-username"' in username.group(0)
    assert '<p class="error" id="e-username">' in html


def test_the_sign_in_page_focuses_the_username_when_nothing_failed(client):
    html = client.get("/login?lang=en").get_data(as_text=True)
    username = re.search(r'<input[^>]*id="username"[^>]*>', html)
    assert username is not None and "autofocus" in username.group(0)
    assert "error-summary" not in html


def test_no_table_header_is_empty():
    """A header cell without text leaves a screen reader's column unnamed (WCAG 1.3.1)."""
    empty = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in re.finditer(r"<th\b[^>]*>\s*</th>", path.read_text(encoding="utf-8"))
    ]
    assert empty == []
