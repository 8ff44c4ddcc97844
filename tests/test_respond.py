"""The respondent's path through the Flask test client: QR card, kiosk, ticket, invitation.

Option values and texts are read from the shipped instrument files, never
copied here, so the tests follow the files. The helpers at the top are shared
with the other tests/test_respond_*.py modules.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from factories import gen_campaign, gen_invitation, gen_service_point, gen_ticket, gen_unit
from respondent import (
    CARD,
    STAKEHOLDER,
    counts,
    enrol_tablet,
    first_option,
    form_data,
    input_tag,
    instrument,
    open_card,
    point_campaign,
    post_card,
    post_page,
    responses,
    satisfied_value,
    scrape,
    valid_answers,
)
from sqlalchemy import event, select

from survey.extensions import db
from survey.instruments import localized
from survey.instruments.store import current_version
from survey.models import (
    CallbackRequest,
    utcnow,
)
from survey.responses.scoring import indicator_scores
from survey.web.answer_form import field_name

# --- the QR card -------------------------------------------------------------------------------


def test_point_card_is_light_numbered_and_in_the_default_language(rapp, client):
    _campaign, point = point_campaign()
    page = client.get(f"/p/{point.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    inst = instrument(CARD)
    overall = inst.question("overall")
    assert localized(overall.text, "zh_Hans", inst.languages[0]) in html
    assert localized(inst.title, "zh_Hans", inst.languages[0]) in html
    assert 'lang="zh-Hans"' in html
    assert "1. " in html and f"{len(inst.questions)}. " in html
    assert len(page.data) < 30_000
    assert "<script" not in html and "src=" not in html
    assert not re.search(r'(href|src|action)="https?://', html)
    assert page.headers["Cache-Control"] == "no-store"
    # Every option of the first question is a radio button that works without JavaScript.
    for option in overall.options:
        assert f'value="{option.value}"' in html


def test_point_card_stores_one_scored_response(rapp, client):
    campaign, point = point_campaign()
    before = utcnow()
    page, answers, key = post_card(client, f"/p/{point.code}")
    assert page.status_code == 200
    assert "submission_key" not in page.get_data(as_text=True)
    [response] = responses()
    inst, version = current_version(CARD)
    assert response.channel == "qr"
    assert response.campaign_id == campaign.id
    assert response.unit_id == point.unit_id
    assert response.service_point_id == point.id
    assert response.group.code == "service_user"
    assert response.instrument_version_id == version.id
    assert response.language == "zh_Hans"
    assert response.submission_key == key
    assert response.submitted_at is not None and response.submitted_at >= before
    assert response.started_at <= response.submitted_at
    assert response.flagged is False
    stored = {a.question_id: a for a in response.answers}
    expected = {qid: v for qid, v in answers.items() if inst.question(qid).type != "phone"}
    assert set(stored) == set(expected)
    for qid, value in expected.items():
        question = inst.question(qid)
        if question.type == "multi":
            continue
        if question.type == "number":
            assert stored[qid].number == value
        else:
            assert stored[qid].value == value
        assert stored[qid].score == question.score_of(value)
    item_scores = {a.question_id: a.score for a in response.answers}
    assert {s.indicator: s.score for s in response.scores} == pytest.approx(
        indicator_scores(inst, item_scores)
    )
    assert response.scores, "the card feeds at least one indicator"
    assert counts()["callback"] == 0


def test_call_back_number_goes_to_the_contact_side_only_when_asked(rapp, client):
    _campaign, point = point_campaign()
    inst = instrument(CARD)
    phone_q = next(q for q in inst.questions if q.type == "phone")
    source = inst.question(phone_q.show_if.question)
    unhappy = next(v for v in phone_q.show_if.any_of)
    url = f"/p/{point.code}"

    # Condition met: the number is kept as a CallbackRequest, never as an Answer.
    key = open_card(client, url)
    answers = valid_answers(inst, **{source.id: unhappy, phone_q.id: "138 0013 8000"})
    assert phone_q.id in answers
    assert client.post(url, data=form_data(answers, key)).status_code == 200
    [response] = responses()
    callback = db.session.execute(select(CallbackRequest)).scalar_one()
    assert callback.response_id == response.id and callback.phone == "138 0013 8000"
    assert phone_q.id not in {a.question_id for a in response.answers}

    # Condition not met: a number posted anyway is discarded.
    key = open_card(client, url)
    answers = valid_answers(inst, **{source.id: satisfied_value(source)})
    data = form_data(answers, key, **{field_name(phone_q.id): "13800138000"})
    assert client.post(url, data=data).status_code == 200
    assert counts()["response"] == 2 and counts()["callback"] == 1


def test_conditional_question_on_the_same_page_is_shown_with_a_hint_not_required(rapp, client):
    _campaign, point = point_campaign()
    inst = instrument(CARD)
    phone_q = next(q for q in inst.questions if q.type == "phone")
    html = client.get(f"/p/{point.code}?lang=en").get_data(as_text=True)
    tag = input_tag(html, field_name(phone_q.id))
    assert "required" not in tag
    assert 'type="tel"' in tag
    source = inst.question(phone_q.show_if.question)
    option = source.option(phone_q.show_if.any_of[0])
    name = field_name(phone_q.id)
    hint = re.search(rf'<p class="hint" id="h-{name}">([^<]*)</p>', html)
    assert hint is not None and localized(option.text, "en", inst.languages[0]) in hint.group(1)
    # Tied to its question, so a screen reader reads it with the field (WCAG 1.3.1).
    assert re.search(rf'<fieldset id="f-{name}" aria-describedby="h-{name}[ "]', html)
    assert re.search(rf'aria-describedby="h-{name}[^"]*"', tag)


def test_missing_required_answer_keeps_what_was_entered(rapp, client):
    _campaign, point = point_campaign()
    inst = instrument(CARD)
    url = f"/p/{point.code}?lang=en"
    key = open_card(client, url)
    answers = valid_answers(inst, comment="排队时间太长了")
    required = next(q for q in inst.questions if q.required and q.show_if is None)
    del answers[required.id]
    before = counts()
    page = client.post(url, data=form_data(answers, key))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert counts() == before
    assert "排队时间太长了" in html
    assert 'class="error"' in html
    # The error sits with the unanswered question, and the key is kept for the retry.
    block = html[html.index(f'id="f-{field_name(required.id)}"') :]
    assert block.index('class="error"') < block.index("</fieldset>")
    assert scrape(html, "submission_key") == key


@pytest.mark.parametrize(
    ("how", "lang"),
    [
        ({"query_string": {"lang": "en"}}, "en"),
        ({"headers": {"Accept-Language": "zh-TW,zh;q=0.8"}}, "zh_Hant"),
        ({"headers": {"Accept-Language": "en-GB,en;q=0.9"}}, "en"),
        ({}, "zh_Hans"),
    ],
)
def test_language_of_the_card_and_of_the_response(rapp, client, how, lang):
    _campaign, point = point_campaign()
    inst = instrument(CARD)
    url = f"/p/{point.code}"
    page = client.get(url, **how)
    html = page.get_data(as_text=True)
    text = localized(inst.question("overall").text, lang, inst.languages[0])
    assert text in html
    others = {"zh_Hans", "zh_Hant", "en"} - {lang}
    for other in others:
        other_text = localized(inst.question("overall").text, other, inst.languages[0])
        if other_text not in text:
            assert other_text not in html
    key = scrape(html, "submission_key")
    post = client.post(url, data=form_data(valid_answers(inst), key), **how)
    assert post.status_code == 200
    assert responses()[0].language == lang


def test_language_cookie_is_remembered(rapp, client):
    _campaign, point = point_campaign()
    inst = instrument(CARD)
    client.get(f"/p/{point.code}?lang=zh_Hant")
    html = client.get(f"/p/{point.code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert localized(inst.question("overall").text, "zh_Hant", inst.languages[0]) in html


def test_repeated_post_stores_one_row_and_thanks_twice(rapp, client):
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    key = open_card(client, url)
    data = form_data(valid_answers(instrument(CARD)), key)
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == second.status_code == 200
    # The same page, but for the style's nonce, which is new on every response.
    assert re.sub(rb'nonce="[^"]+"', b"", first.get_data()) == re.sub(
        rb'nonce="[^"]+"', b"", second.get_data()
    )
    assert counts()["response"] == 1


def test_csrf_token_from_the_page_is_accepted_and_a_wrong_one_refused(app, client):
    app.config["SURVEY_POINT_RATE_LIMIT"] = "1000 per minute"
    assert app.config.get("WTF_CSRF_ENABLED", True)
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    html = client.get(url).get_data(as_text=True)
    key, token = scrape(html, "submission_key"), scrape(html, "csrf_token")
    answers = valid_answers(instrument(CARD))

    wrong = client.post(url, data=form_data(answers, key, csrf_token=token[:-4] + "AAAA"))
    assert wrong.status_code == 400
    missing = client.post(url, data=form_data(answers, key))
    assert missing.status_code == 400
    assert counts()["response"] == 0

    right = client.post(url, data=form_data(answers, key, csrf_token=token))
    assert right.status_code == 200
    assert counts()["response"] == 1


def test_rate_limit_answers_429(rapp, client):
    rapp.config["SURVEY_POINT_RATE_LIMIT"] = "2 per minute"
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    statuses = [post_card(client, url)[0].status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert counts()["response"] == 2
    # Reading the card is not limited.
    assert client.get(url).status_code == 200


def test_burst_from_one_client_is_kept_but_flagged_from_its_first_card(rapp, client):
    rapp.config["SURVEY_BURST_COUNT"] = 2
    rapp.config["SURVEY_BURST_WINDOW_SECONDS"] = 600
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    for _ in range(3):
        assert post_card(client, url)[0].status_code == 200
    other = rapp.test_client()
    key = open_card(other, url)
    data = form_data(valid_answers(instrument(CARD)), key)
    assert other.post(url, data=data, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    rows = responses()
    # Past its allowance, the client's cards of the window are one burst, the first ones too.
    assert [r.flagged for r in rows] == [True, True, True, False]
    assert rows[0].burst_id == rows[2].burst_id is not None and rows[3].burst_id is None
    assert len({r.client_hash for r in rows[:3]}) == 1
    assert rows[3].client_hash != rows[0].client_hash
    assert all(re.fullmatch(r"[0-9a-f]{64}", r.client_hash) for r in rows)
    assert all("127.0.0.1" not in r.client_hash for r in rows)


def test_burst_window_forgets_old_cards(rapp, client):
    rapp.config["SURVEY_BURST_COUNT"] = 1
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    post_card(client, url)
    old = responses()[0]
    window = rapp.config["SURVEY_BURST_WINDOW_SECONDS"]
    old.submitted_at = utcnow() - dt.timedelta(seconds=window + 5)
    db.session.commit()
    post_card(client, url)
    assert [r.flagged for r in responses()] == [False, False]
    post_card(client, url)
    assert [r.flagged for r in responses()] == [False, True, True]


def test_cap_at_target_thanks_and_stores_nothing(rapp, client):
    _campaign, point = point_campaign(
        cap_at_target=True, groups={"service_user": {"target": 1}, "deputy": {}}
    )
    url = f"/p/{point.code}"
    key = open_card(client, url)  # opened before the group filled up
    assert post_card(client, url)[0].status_code == 200
    full = client.get(url)
    assert full.status_code == 200
    assert "submission_key" not in full.get_data(as_text=True)
    late = client.post(url, data=form_data(valid_answers(instrument(CARD)), key))
    assert late.status_code == 200
    assert "submission_key" not in late.get_data(as_text=True)
    assert counts()["response"] == 1


def test_no_cap_without_cap_at_target(rapp, client):
    _campaign, point = point_campaign(groups={"service_user": {"target": 1}})
    url = f"/p/{point.code}"
    assert post_card(client, url)[0].status_code == 200
    assert post_card(client, url)[0].status_code == 200
    assert counts()["response"] == 2


# --- kiosk -------------------------------------------------------------------------------------


def test_kiosk_thanks_then_shows_a_fresh_card_and_forgets_the_person(rapp, client):
    _campaign, point = point_campaign()
    device = enrol_tablet(client, point)
    url = f"/k/{point.code}"
    first_key = open_card(client, url + "?lang=en")
    data = form_data(valid_answers(instrument(CARD)), first_key)
    thanks = client.post(url + "?lang=en", data=data)
    html = thanks.get_data(as_text=True)
    assert thanks.status_code == 200
    # A countdown to the next card that a tap or key stops (WCAG 2.2.1), never a refresh.
    assert 'http-equiv="refresh"' not in html
    assert f'id="next-countdown" hidden data-seconds="60" data-href="{url}"' in html
    assert 'src="/static/kiosk.js"' in html
    # No language links here: one would set a language for the next person.
    assert "?lang=" not in html and "/thanks?lang" not in html
    assert f'href="{url}"' in html
    cookies = thanks.headers.getlist("Set-Cookie")
    assert any(c.startswith("lang=;") for c in cookies), cookies
    assert thanks.headers["Cache-Control"] == "no-store"
    [response] = responses()
    assert response.channel == "kiosk" and response.service_point_id == point.id
    assert response.device_id == device.id
    assert response.language == "en"
    # The next person gets a new, empty card in the default language.
    client.delete_cookie("lang")
    fresh = client.get(url)
    fresh_html = fresh.get_data(as_text=True)
    assert fresh.status_code == 200
    assert scrape(fresh_html, "submission_key") != first_key
    assert 'lang="zh-Hans"' in fresh_html
    assert "checked" not in fresh_html


# --- tickets -----------------------------------------------------------------------------------


def test_ticket_answers_once(rapp, client):
    campaign = gen_campaign()
    ticket, token = gen_ticket(campaign)
    db.session.commit()
    url = f"/t/{token}"
    key = open_card(client, url)
    data = form_data(valid_answers(instrument(CARD)), key)
    assert client.post(url, data=data).status_code == 200
    # The same POST again (a retry) thanks again and stores nothing.
    assert client.post(url, data=data).status_code == 200
    [response] = responses()
    assert response.ticket_id == ticket.id and response.channel == "ticket"
    assert response.service_point_id == ticket.service_point_id
    db.session.refresh(ticket)
    assert ticket.used_at is not None
    again = client.get(url, query_string={"lang": "en"})
    assert again.status_code == 409
    assert "submission_key" not in again.get_data(as_text=True)
    other_key = "x" * 22
    late = client.post(url, data=form_data(valid_answers(instrument(CARD)), other_key))
    assert late.status_code == 409
    assert counts()["response"] == 1


def test_expired_ticket_is_410(rapp, client):
    ticket, token = gen_ticket()
    ticket.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/t/{token}").status_code == 410
    assert client.post(f"/t/{token}", data={"submission_key": "k"}).status_code == 410
    assert counts()["response"] == 0


@pytest.mark.parametrize("prefix", ["t", "i"])
def test_unknown_and_malformed_tokens_are_404_and_malformed_never_reach_the_db(
    rapp, client, prefix
):
    gen_campaign()
    db.session.commit()
    assert client.get(f"/{prefix}/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for bad in ("short", "A" * 23, "AAAAAAAAAAAAAAAAAAAA%21%21", "A" * 300):
            page = client.get(f"/{prefix}/{bad}")
            assert page.status_code == 404
            assert page.headers["Content-Type"].startswith("text/html")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements == []


def test_unknown_point_is_404(rapp, client):
    assert client.get("/p/nope").status_code == 404
    assert client.get("/k/nope").status_code == 404


def test_campaign_not_open_is_410(rapp, client):
    campaign, point = point_campaign()
    invitation, token = gen_invitation(campaign)
    ticket, ticket_token = gen_ticket(campaign, point)
    campaign.opens_at = utcnow() + dt.timedelta(days=2)
    db.session.commit()
    for url in (f"/p/{point.code}", f"/k/{point.code}", f"/t/{ticket_token}", f"/i/{token}"):
        assert client.get(url).status_code == 410, url
    campaign.opens_at = utcnow() - dt.timedelta(days=30)
    campaign.closes_at = utcnow() - dt.timedelta(days=1)
    invitation.expires_at = utcnow() + dt.timedelta(days=1)
    ticket.expires_at = utcnow() + dt.timedelta(days=1)
    db.session.commit()
    for url in (f"/p/{point.code}", f"/t/{ticket_token}", f"/i/{token}"):
        assert client.get(url).status_code == 410, url
    assert counts()["response"] == 0


def test_point_opens_the_card_of_the_campaign_open_now(rapp, client):
    unit = gen_unit()
    point = gen_service_point(unit)
    today = utcnow().date()
    old = gen_campaign(
        [unit],
        period_start=today - dt.timedelta(days=400),
        period_end=today - dt.timedelta(days=40),
    )
    current = gen_campaign([unit])
    db.session.commit()
    post_card(client, f"/p/{point.code}")
    [response] = responses()
    assert response.campaign_id == current.id != old.id


# --- invitations -------------------------------------------------------------------------------


def test_invitation_saves_each_page_and_resumes_in_a_new_client(rapp, client):
    campaign = gen_campaign()
    invitation, token = gen_invitation(campaign, group="deputy", channel="sms")
    db.session.commit()
    inst, version = current_version(STAKEHOLDER)
    assert len(inst.pages) >= 2, "the stakeholder evaluation has several pages"
    url = f"/i/{token}"

    html = client.get(url).get_data(as_text=True)
    assert scrape(html, "page") == inst.pages[0].id
    assert f'<progress value="1" max="{len(inst.pages)}">' in html
    first_question = inst.pages[0].questions[0]
    chosen = first_option(first_question) if first_question.options else None
    given = {first_question.id: chosen} if chosen else {}
    saved, page1, answers1 = post_page(client, url, html, inst, **given)
    assert saved.status_code == 303
    [draft] = responses()
    assert draft.submitted_at is None
    assert draft.invitation_id == invitation.id and draft.channel == "sms"
    assert draft.current_page == inst.pages[1].id
    assert draft.instrument_version_id == version.id
    db.session.refresh(invitation)
    assert invitation.status == "started"
    stored = {a.question_id for a in draft.answers}
    assert stored == {q for q in answers1 if inst.question(q).type != "phone"}

    # A new browser (no cookies) with the same link resumes at the page reached.
    other = rapp.test_client()
    html2 = other.get(url).get_data(as_text=True)
    assert scrape(html2, "page") == inst.pages[1].id
    assert f'<progress value="2" max="{len(inst.pages)}">' in html2

    # Back returns to page 1 with the earlier answers filled in.
    back, _page, _a = post_page(other, url, html2, inst, action="back")
    assert back.status_code == 303
    assert f"page={inst.pages[0].id}" in back.headers["Location"]
    html1 = other.get(back.headers["Location"]).get_data(as_text=True)
    assert scrape(html1, "page") == inst.pages[0].id
    if chosen:
        assert "checked" in input_tag(html1, field_name(first_question.id), chosen)
    # Going back does not lose the page reached.
    assert scrape(other.get(url).get_data(as_text=True), "page") == inst.pages[1].id

    # Forward to the end.
    html = other.get(url).get_data(as_text=True)
    all_answers = dict(answers1)
    for _ in range(len(inst.pages) + 2):
        page_id = scrape(html, "page")
        is_last = page_id == inst.pages[-1].id
        posted, _page, answers = post_page(
            other, url, html, inst, action="submit" if is_last else "next"
        )
        all_answers.update(answers)
        if posted.status_code == 200:
            break
        assert posted.status_code == 303, posted.get_data(as_text=True)
        html = other.get(posted.headers["Location"]).get_data(as_text=True)
    [response] = responses()
    assert response.submitted_at is not None
    assert response.submission_key is not None
    db.session.refresh(invitation)
    assert invitation.status == "completed"
    assert {a.question_id for a in response.answers} == {
        q for q in all_answers if inst.question(q).type != "phone"
    }
    assert response.scores
    # One response per invitation: afterwards a polite "already answered".
    assert other.get(url).status_code == 409
    assert client.get(url).status_code == 409


def test_invitation_page_cannot_skip_ahead(rapp, client):
    campaign = gen_campaign()
    _invitation, token = gen_invitation(campaign, group="expert")
    db.session.commit()
    inst = instrument(STAKEHOLDER)
    url = f"/i/{token}"
    html = client.get(url, query_string={"page": inst.pages[-1].id}).get_data(as_text=True)
    assert scrape(html, "page") == inst.pages[0].id
    key = scrape(html, "submission_key")
    last = inst.pages[-1]
    data = form_data(valid_answers(inst, list(last.questions)), key, page=last.id, action="submit")
    before = counts()
    assert client.post(url, data=data).status_code == 400
    assert counts() == before


def test_expired_withdrawn_and_unknown_invitations(rapp, client):
    campaign = gen_campaign()
    expired, token_expired = gen_invitation(campaign)
    expired.expires_at = utcnow() - dt.timedelta(hours=1)
    withdrawn, token_withdrawn = gen_invitation(campaign)
    withdrawn.status = "withdrawn"
    db.session.commit()
    assert client.get(f"/i/{token_expired}").status_code == 410
    assert client.get(f"/i/{token_withdrawn}").status_code == 410
    assert client.get("/i/BBBBBBBBBBBBBBBBBBBBBB").status_code == 404


def test_invitation_in_english_shows_english_instrument_texts(rapp, client):
    campaign = gen_campaign()
    _invitation, token = gen_invitation(campaign, group="cppcc")
    db.session.commit()
    inst = instrument(STAKEHOLDER)
    html = client.get(f"/i/{token}?lang=en").get_data(as_text=True)
    question = inst.pages[0].questions[0]
    assert localized(question.text, "en", inst.languages[0]) in html
    assert localized(inst.title, "en", inst.languages[0]) in html


def test_invitation_speaks_the_language_it_was_sent_in_until_another_is_chosen(rapp, client):
    campaign = gen_campaign()
    _invitation, token = gen_invitation(campaign, group="retiree", language="zh_Hant")
    db.session.commit()
    inst = instrument(STAKEHOLDER)
    question = inst.pages[0].questions[0]
    html = client.get(f"/i/{token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="zh-Hant"' in html
    assert localized(question.text, "zh_Hant", inst.languages[0]) in html
    html = client.get(f"/i/{token}?lang=en").get_data(as_text=True)
    assert localized(question.text, "en", inst.languages[0]) in html
