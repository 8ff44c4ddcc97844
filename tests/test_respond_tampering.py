"""Tampered input gets a clear answer and changes nothing (row counts before and after)."""

from __future__ import annotations

import pytest
from factories import gen_campaign, gen_invitation, gen_ticket
from respondent import (
    CARD,
    STAKEHOLDER,
    counts,
    enrol_tablet,
    form_data,
    instrument,
    open_card,
    point_campaign,
    scrape,
    valid_answers,
)

from survey.extensions import db
from survey.models import point_by_code
from survey.web.answer_form import field_name

STAFF = "staff-survey"


@pytest.fixture
def card(rapp, client):  # noqa: F811
    """A QR card opened in the client: (url, submission key, valid answers)."""
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    return url, open_card(client, url), valid_answers(instrument(CARD))


def _refused(client, url, data, status):
    before = counts()
    page = client.post(url, data=data)
    assert page.status_code == status, page.get_data(as_text=True)[:2000]
    assert counts() == before
    return page.get_data(as_text=True)


def test_option_not_offered(client, card):
    url, key, answers = card
    answers["overall"] = "excellent-beyond-words"
    html = _refused(client, url, form_data(answers, key), 422)
    assert 'class="error"' in html


def test_multi_option_not_offered(client, rapp):  # noqa: F811
    """A multi question answered with an option it does not offer stores nothing."""
    inst = instrument(STAFF)
    question = next(q for q in inst.questions if q.type == "multi")
    campaign = gen_campaign()
    _inv, token = gen_invitation(campaign, group="staff")
    db.session.commit()
    url = f"/i/{token}"
    html = client.get(url).get_data(as_text=True)
    # Answer the pages before the multi question's page, as a respondent would.
    for page in inst.pages:
        if question in page.questions:
            break
        data = form_data(
            valid_answers(inst, list(page.questions)),
            scrape(html, "submission_key"),
            page=page.id,
            action="next",
        )
        html = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    answers = valid_answers(inst, list(page.questions))
    answers[question.id] = [question.options[0].value, "not-an-option"]
    data = form_data(answers, scrape(html, "submission_key"), page=page.id, action="next")
    _refused(client, url, data, 422)


def test_text_longer_than_allowed(client, card, rapp):  # noqa: F811
    url, key, answers = card
    inst = instrument(CARD)
    text_q = next(q for q in inst.questions if q.type == "text")
    limit = min(text_q.max_length or rapp.config["SURVEY_MAX_TEXT"], rapp.config["SURVEY_MAX_TEXT"])
    answers[text_q.id] = "长" * (limit + 1)
    _refused(client, url, form_data(answers, key), 422)
    answers[text_q.id] = "长" * limit
    assert client.post(url, data=form_data(answers, key)).status_code == 200


def test_hard_cap_on_text_even_without_max_length(client, card, rapp):  # noqa: F811
    url, key, answers = card
    rapp.config["SURVEY_MAX_TEXT"] = 10
    inst = instrument(CARD)
    text_q = next(q for q in inst.questions if q.type == "text")
    answers[text_q.id] = "x" * 11
    _refused(client, url, form_data(answers, key), 422)


def test_unknown_field_name(client, card):
    url, key, answers = card
    data = form_data(answers, key)
    data["q_is_admin"] = "1"
    html = _refused(client, url, data, 400)
    assert "未保存任何内容" in html  # "Nothing was saved", in the default zh_Hans
    data = form_data(answers, key)
    data["overall"] = answers["overall"]  # a question id without the form's prefix
    _refused(client, url, data, 400)


def test_single_answer_posted_twice(client, card):
    url, key, answers = card
    inst = instrument(CARD)
    question = inst.question("overall")
    data = form_data(answers, key)
    data[field_name("overall")] = [o.value for o in question.options[:2]]
    _refused(client, url, data, 400)


def test_missing_or_forged_submission_key(client, card):
    url, key, answers = card
    _refused(client, url, form_data(answers, ""), 400)
    _refused(client, url, form_data(answers, "A" * 22), 400)
    forged = key[:-3] + ("AAA" if not key.endswith("AAA") else "BBB")
    _refused(client, url, form_data(answers, forged), 400)
    _refused(client, url, form_data(answers, "k" * 500), 400)


def test_form_of_another_point_or_campaign(client, card):
    url, key, answers = card
    _campaign, other_point = point_campaign()
    _refused(client, f"/p/{other_point.code}", form_data(answers, key), 400)
    # The QR card's form posted to the same point's kiosk, on its enrolled tablet, is
    # another card too (in any other browser /k/ is the QR card itself).
    enrol_tablet(client, point_by_code(url.removeprefix("/p/")))
    _refused(client, url.replace("/p/", "/k/"), form_data(answers, key), 400)
    # And to a ticket of another campaign.
    _ticket, token = gen_ticket()
    db.session.commit()
    _refused(client, f"/t/{token}", form_data(answers, key), 400)


def test_ticket_form_posted_to_another_ticket(client, rapp):  # noqa: F811
    campaign = gen_campaign()
    _t1, token1 = gen_ticket(campaign)
    _t2, token2 = gen_ticket(campaign)
    db.session.commit()
    key = open_card(client, f"/t/{token1}")
    _refused(client, f"/t/{token2}", form_data(valid_answers(instrument(CARD)), key), 400)


def test_invitation_form_of_another_invitation(client, rapp):  # noqa: F811
    campaign = gen_campaign()
    _i1, token1 = gen_invitation(campaign, group="deputy")
    _i2, token2 = gen_invitation(gen_campaign(), group="deputy")
    db.session.commit()
    inst = instrument(STAKEHOLDER)
    html = client.get(f"/i/{token1}").get_data(as_text=True)
    page = inst.pages[0]
    data = form_data(
        valid_answers(inst, list(page.questions)),
        scrape(html, "submission_key"),
        page=page.id,
        action="next",
    )
    _refused(client, f"/i/{token2}", data, 400)
    data["page"] = "no-such-page"
    _refused(client, f"/i/{token1}", data, 400)
    data["page"], data["action"] = page.id, "delete-everything"
    _refused(client, f"/i/{token1}", data, 400)


def test_bad_phone_numbers(client, card):
    url, key, _answers = card
    inst = instrument(CARD)
    phone_q = next(q for q in inst.questions if q.type == "phone")
    source = phone_q.show_if.question
    for bad in ("call me", "1234", "1" * 21, "+86 138<script>", "１３８００１３８０００"):
        answers = valid_answers(inst, **{source: phone_q.show_if.any_of[0]})
        answers[phone_q.id] = bad
        _refused(client, url, form_data(answers, key), 422)


def test_wrong_csrf_token_is_400(app, client):
    app.config["SURVEY_POINT_RATE_LIMIT"] = "1000 per minute"
    _campaign, point = point_campaign()
    url = f"/p/{point.code}"
    key = open_card(client, url)
    data = form_data(valid_answers(instrument(CARD)), key, csrf_token="forged")
    _refused(client, url, data, 400)


def test_numbers_out_of_range_and_not_finite(app, client, tmp_path):
    """A number question (from a small instrument file of the test's own)."""
    numbered = [
        (i, q)
        for i, inst in ((i, instrument(i)) for i in (CARD, STAKEHOLDER, "staff-survey"))
        for q in inst.questions
        if q.type == "number"
    ]
    if not numbered:
        pytest.skip("no shipped instrument has a number question")
    instrument_id, question = numbered[0]
    app.config["WTF_CSRF_ENABLED"] = False
    group = {"staff-survey": "staff", STAKEHOLDER: "deputy"}.get(instrument_id)
    if group is None:
        pytest.skip("number question on the card")
    campaign = gen_campaign()
    _inv, token = gen_invitation(campaign, group=group)
    db.session.commit()
    inst = instrument(instrument_id)
    page = next(p for p in inst.pages if question in p.questions)
    if page is not inst.pages[0]:
        pytest.skip("the number question is not on the first page")
    url = f"/i/{token}"
    html = client.get(url).get_data(as_text=True)
    key = scrape(html, "submission_key")
    bad_values = ["nan", "inf", "1e999", "abc"]
    if question.max is not None:
        bad_values.append(str(question.max + 1))
    if question.min is not None:
        bad_values.append(str(question.min - 1))
    for bad in bad_values:
        answers = valid_answers(inst, list(page.questions))
        data = form_data(answers, key, page=page.id, action="next")
        data[field_name(question.id)] = bad
        _refused(client, url, data, 422)
