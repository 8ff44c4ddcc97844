"""A card's POST is checked for its CSRF token by the app (CSRFProtect), not by its form.

The answer form has no CSRF field of its own (survey.web.answer_form.AnswerForm):
the page carries the session's token, and the app refuses a POST without it,
or with another session's, before anything is stored.
"""

from __future__ import annotations

import re

from factories import csrf_token
from respondent import CARD, counts, form_data, instrument, point_campaign, valid_answers


def _card(client, url: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The page's CSRF token and submission key, as the browser gets them."""
    token = csrf_token(client, url)
    page = client.get(url).get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page)
    assert key, page
    return token, key.group(1)


def test_the_card_page_carries_the_sessions_token_and_a_post_with_it_is_stored(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    token, key = _card(client, url)
    page = client.get(url).get_data(as_text=True)
    assert page.count('name="csrf_token"') == 1
    answers = valid_answers(instrument(CARD))
    sent = client.post(url, data=form_data(answers, key, csrf_token=token))
    assert sent.status_code == 200, sent.get_data(as_text=True)
    assert counts()["response"] == 1


def test_a_card_without_its_token_or_with_anothers_is_refused_and_nothing_stored(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    _token, key = _card(client, url)
    answers = valid_answers(instrument(CARD))
    missing = client.post(url, data=form_data(answers, key))
    assert missing.status_code == 400
    other = app.test_client()
    others_token, _other_key = _card(other, url)
    forged = client.post(url, data=form_data(answers, key, csrf_token=others_token))
    assert forged.status_code == 400
    assert counts()["response"] == 0
