"""The phone console through the Flask test client: roles, the script, the interview, outcomes."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from factories import csrf_token, gen_campaign, gen_contact, gen_invitation, gen_user, login
from flask import g
from sqlalchemy import func, select

from survey.channels.phone import DISPOSITIONS, claim_next, enqueue_phone_cases
from survey.extensions import db
from survey.models import Answer, Attempt, CallCase, Response, ResponseScore, utcnow

PHONE = "+8613812345678"


@pytest.fixture(autouse=True)
def _tuesday_morning(calling_hours):  # type: ignore[no-untyped-def]
    """Every test here in calling hours (tests/conftest.py: calling_hours)."""
    yield
MASKED = "+86 138****5678"


def _campaign(**fields):  # type: ignore[no-untyped-def]
    campaign = gen_campaign(groups={"service_user": {"instrument_id": "phone-post-service"}})
    # Calling hours around the clock, so the tests do not depend on the time they run.
    campaign.call_from, campaign.call_until = "00:00", "23:59"
    for name, value in fields.items():
        setattr(campaign, name, value)
    return campaign


def _case(campaign=None, *, name="李四", phone=PHONE):  # type: ignore[no-untyped-def]
    campaign = campaign or _campaign()
    contact = gen_contact(name, phone)
    gen_invitation(campaign, group="service_user", contact=contact, channel="phone")
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()
    return campaign


def _token(client, url):  # type: ignore[no-untyped-def]
    """The page's CSRF token. The test's app context is shared by every client, and
    Flask-WTF caches a token in ``g``: forget it so each client gets its own."""
    g.pop("csrf_token", None)
    return csrf_token(client, url)


def _sign_in(client, role="operator"):  # type: ignore[no-untyped-def]
    user = gen_user(role)
    g.pop("csrf_token", None)
    login(client, user)
    client.get("/operator/?lang=en")
    return user


def _claim(client, campaign):  # type: ignore[no-untyped-def]
    """Press "Next call"; the id of the case it opened."""
    token = _token(client, "/operator/")
    response = client.post(f"/operator/next/{campaign.id}", data={"csrf_token": token})
    assert response.status_code == 303, response.text
    found = re.search(r"/operator/case/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def _answer(client, case_id, question, value, action="next"):  # type: ignore[no-untyped-def]
    page = f"/operator/case/{case_id}?q={question}"
    data = {"csrf_token": _token(client, page), "page": question, "action": action}
    if value is not None:
        data[f"q_{question}"] = value
    return client.post(f"/operator/case/{case_id}/answer", data=data)


def _dispose(client, case_id, code, **fields):  # type: ignore[no-untyped-def]
    data = {"csrf_token": _token(client, f"/operator/case/{case_id}"), "disposition": code}
    data.update(fields)
    return client.post(f"/operator/case/{case_id}/disposition", data=data)


def _fresh(case_id):  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.get(CallCase, case_id)


# --- who may open a case -----------------------------------------------------------------------


def test_only_the_claiming_operator_or_an_admin_opens_a_case(app, client):
    campaign = _case()
    holder = _sign_in(client)
    case_id = _claim(client, campaign)
    assert _fresh(case_id).claimed_by_id == holder.id
    assert client.get(f"/operator/case/{case_id}").status_code == 200

    other = app.test_client()
    _sign_in(other)
    assert other.get(f"/operator/case/{case_id}").status_code == 403
    token = _token(other, "/operator/")
    refused = other.post(
        f"/operator/case/{case_id}/disposition",
        data={"csrf_token": token, "disposition": "no_answer"},
    )
    assert refused.status_code == 403
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 0

    evaluator = app.test_client()
    g.pop("csrf_token", None)
    login(evaluator, gen_user("evaluator"))
    assert evaluator.get(f"/operator/case/{case_id}").status_code == 403
    assert evaluator.get("/operator/").status_code == 403

    admin = app.test_client()
    _sign_in(admin, "admin")
    assert admin.get(f"/operator/case/{case_id}").status_code == 200


def test_numbers_are_masked_in_lists_and_full_on_the_claimed_case(app, client):
    campaign = _case(name="王五")
    _sign_in(client)
    case_id = _claim(client, campaign)
    listing = client.get("/operator/").text
    assert "王五" in listing and MASKED in listing
    assert PHONE not in listing and "13812345678" not in listing
    page = client.get(f"/operator/case/{case_id}").text
    assert PHONE in page and "王五" in page


def test_the_next_call_button_says_why_nothing_is_due(app, client):
    campaign = _case()
    _sign_in(client)
    _claim(client, campaign)  # the only case is now held
    second = app.test_client()
    _sign_in(second)
    token = _token(second, "/operator/")
    response = second.post(
        f"/operator/next/{campaign.id}", data={"csrf_token": token}, follow_redirects=True
    )
    assert "empty" in response.text or "due" in response.text

    now = dt.datetime.now(ZoneInfo(campaign.timezone))
    closed_from = (now + dt.timedelta(hours=2)).strftime("%H:%M")
    closed_until = (now + dt.timedelta(hours=3)).strftime("%H:%M")
    late = _case(_campaign(call_from=closed_from, call_until=closed_until))
    token = _token(second, "/operator/")
    response = second.post(
        f"/operator/next/{late.id}", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Outside calling hours" in response.text
    assert f"{closed_from}" in response.text
    assert (
        db.session.execute(
            select(CallCase.status).where(CallCase.campaign_id == late.id)
        ).scalar_one()
        != "claimed"
    )


def test_working_on_a_case_keeps_it_from_going_stale(app, client):
    """A long interview: each answer saved renews the claim, so nobody else gets the case."""
    campaign = _case()
    holder = _sign_in(client)
    case_id = _claim(client, campaign)
    token = _token(client, "/operator/")  # not the case page: only the answer may renew here
    # The claim was taken 25 minutes ago; without renewal it is stale in 5 minutes.
    _fresh(case_id).claimed_at = utcnow() - dt.timedelta(minutes=25)
    db.session.commit()
    saved = client.post(
        f"/operator/case/{case_id}/answer",
        data={"csrf_token": token, "page": "screen", "action": "next", "q_screen": "yes"},
    )
    assert saved.status_code == 303, saved.text
    later = utcnow() + dt.timedelta(minutes=10)
    assert claim_next(campaign, gen_user("operator"), now=later) is None
    assert _fresh(case_id).claimed_by_id == holder.id


def test_opening_the_case_keeps_it_from_going_stale(app, client):
    campaign = _case()
    holder = _sign_in(client)
    case_id = _claim(client, campaign)
    _fresh(case_id).claimed_at = utcnow() - dt.timedelta(minutes=25)
    db.session.commit()
    assert client.get(f"/operator/case/{case_id}").status_code == 200
    later = utcnow() + dt.timedelta(minutes=10)
    assert claim_next(campaign, gen_user("operator"), now=later) is None
    assert _fresh(case_id).claimed_by_id == holder.id
    # An administrator looking at the case does not renew someone else's claim.
    _fresh(case_id).claimed_at = utcnow() - dt.timedelta(minutes=25)
    db.session.commit()
    admin = app.test_client()
    _sign_in(admin, "admin")
    assert admin.get(f"/operator/case/{case_id}").status_code == 200
    assert _fresh(case_id).claimed_at < utcnow() - dt.timedelta(minutes=20)


# --- the script --------------------------------------------------------------------------------


def test_the_script_shows_read_aloud_notes_and_numbered_options(app, client):
    campaign = _case()
    _sign_in(client)
    case_id = _claim(client, campaign)
    page = client.get(f"/operator/case/{case_id}").text
    # The instrument's read-aloud text and interviewer note, in the instrument's first language.
    assert "请问您最近是否到该单位办理过事项？" in page
    assert "记录为不符合条件" in page
    assert 'data-digit="1"' in page and 'data-digit="2"' in page
    assert "autofocus" in page
    assert 'accesskey="n"' in page  # no answer, as a keyboard shortcut
    assert _answer(client, case_id, "screen", "yes").headers["Location"].endswith("q=overall")
    overall = client.get(f"/operator/case/{case_id}?q=overall").text
    assert "非常满意、满意、基本满意、不满意，还是非常不满意" in overall
    # "Don't know" is numbered but marked as not to be read out.
    assert 'data-digit="6"' in overall and "do not read out" in overall


def _radio_keys(page):  # type: ignore[no-untyped-def]
    """{option value: the digit shown for it and the one the script presses} of the answer form."""
    keys = {}
    for label in re.findall(r'<label class="opt[^"]*">(.*?)</label>', page, re.S):
        shown = re.search(r'<span class="kbd digit">([^<]*)</span>', label).group(1)
        radio = re.search(r"<input[^>]*>", label).group(0)
        value = re.search(r'value="([^"]*)"', radio).group(1)
        pressed = re.search(r'data-digit="([^"]*)"', radio).group(1)
        keys[value] = (shown, pressed)
    return keys


def test_digits_on_a_0_to_10_scale_are_the_scores_themselves(app, client):
    campaign = gen_campaign(groups={"staff": {"instrument_id": "staff-survey"}})
    campaign.call_from, campaign.call_until = "00:00", "23:59"
    gen_invitation(campaign, group="staff", contact=gen_contact("赵六", PHONE), channel="phone")
    db.session.commit()
    enqueue_phone_cases(campaign)
    db.session.commit()
    _sign_in(client)
    case_id = _claim(client, campaign)
    page = client.get(f"/operator/case/{case_id}?q=recommend").text
    assert 'name="page" value="recommend"' in page
    keys = _radio_keys(page)
    # Pressing 8 picks 8 (not the eighth option, 7); 0 picks 0; 10 has no digit (arrow keys).
    assert keys == {str(n): (str(n), str(n)) for n in range(10)} | {"10": ("·", "")}
    assert "For 10, use the arrow keys." in page
    # Other questions keep numbering their options from 1 in the order listed.
    workload = _radio_keys(client.get(f"/operator/case/{case_id}?q=workload").text)
    assert workload == {"manageable": ("1", "1"), "heavy": ("2", "2"), "too_heavy": ("3", "3")}


def test_skip_logic_is_applied_as_answers_are_entered(app, client):
    campaign = _case()
    _sign_in(client)
    case_id = _claim(client, campaign)
    response = _answer(client, case_id, "screen", "no")
    assert response.headers["Location"].endswith("q=end")
    end = client.get(f"/operator/case/{case_id}?q=end").text
    assert "Finish" in end and "Overall satisfaction" not in end
    # Going back and changing the answer opens the follow-up questions again.
    assert _answer(client, case_id, "screen", "yes").headers["Location"].endswith("q=overall")


def test_a_wrong_answer_is_sent_back_and_nothing_is_saved(app, client):
    campaign = _case()
    _sign_in(client)
    case_id = _claim(client, campaign)
    missing = _answer(client, case_id, "screen", None)
    assert missing.status_code == 422
    assert "Please answer this question." in missing.text
    offered = _answer(client, case_id, "screen", "maybe")
    assert offered.status_code == 422
    token = _token(client, f"/operator/case/{case_id}")
    tampered = client.post(
        f"/operator/case/{case_id}/answer",
        data={"csrf_token": token, "page": "screen", "q_screen": "yes", "q_overall": "x"},
    )
    assert tampered.status_code == 400
    assert db.session.execute(select(func.count(Answer.id))).scalar_one() == 0


# --- interviews --------------------------------------------------------------------------------

FULL = [
    ("screen", "yes"),
    ("overall", "very_satisfied"),
    ("attitude", "satisfied"),
    ("efficiency", "dont_know"),
    ("one_visit", "partly"),
    ("comment", "窗口人员很耐心"),
]


def test_a_full_interview_is_one_phone_response_with_its_operator(app, client):
    campaign = _case()
    operator = _sign_in(client)
    case_id = _claim(client, campaign)
    invitation_id = _fresh(case_id).invitation_id
    for question, value in FULL:
        assert _answer(client, case_id, question, value).status_code == 303
    form = {"csrf_token": _token(client, f"/operator/case/{case_id}?q=end"), "q": "end"}
    form["disposition"] = "complete"
    url = f"/operator/case/{case_id}/disposition"
    done = client.post(url, data=form)
    assert done.status_code == 303, done.text
    again = client.post(url, data=form)  # a double Enter: the same outcome, no second row
    assert again.status_code == 303

    responses = db.session.execute(select(Response)).scalars().all()
    assert len(responses) == 1
    response = responses[0]
    assert response.channel == "phone"
    assert response.invitation_id == invitation_id
    assert response.operator_id == operator.id
    assert response.submitted_at is not None
    answers = {a.question_id: a.value for a in response.answers}
    assert answers == dict(FULL)
    scores = {s.indicator: s.score for s in db.session.execute(select(ResponseScore)).scalars()}
    # From the file's scores: very satisfied 100, satisfied 75, partly 50; "don't know" has none.
    assert scores == {
        "satisfaction.overall": 100.0,
        "satisfaction.attitude": 75.0,
        "satisfaction.one_visit": 50.0,
    }
    attempts = db.session.execute(select(Attempt)).scalars().all()
    assert [(a.disposition, a.operator_id) for a in attempts] == [("complete", operator.id)]
    assert attempts[0].aapor_code == DISPOSITIONS["complete"].aapor
    case = _fresh(case_id)
    assert case.status != "claimed" and case.claimed_by_id is None


def test_complete_with_a_required_answer_missing_is_refused(app, client):
    campaign = _case()
    _sign_in(client)
    case_id = _claim(client, campaign)
    _answer(client, case_id, "screen", "yes")
    refused = _dispose(client, case_id, "complete", q="end")
    assert refused.status_code == 422
    assert "not complete" in refused.text
    assert db.session.execute(select(Response.submitted_at)).scalar_one() is None
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 0
    assert _fresh(case_id).status == "claimed"


def test_a_partial_interview_stores_the_answers_given(app, client):
    campaign = _case()
    operator = _sign_in(client)
    case_id = _claim(client, campaign)
    # Three of the six questions asked: the script's threshold (half, with the overall rating).
    _answer(client, case_id, "screen", "yes")
    _answer(client, case_id, "overall", "dissatisfied")
    _answer(client, case_id, "attitude", "satisfied")
    done = _dispose(client, case_id, "partial", notes="挂断了", q="efficiency")
    assert done.status_code == 303, done.text
    response = db.session.execute(select(Response)).scalar_one()
    assert response.channel == "phone" and response.operator_id == operator.id
    assert response.submitted_at is not None
    assert {a.question_id: a.value for a in response.answers} == {
        "screen": "yes",
        "overall": "dissatisfied",
        "attitude": "satisfied",
    }
    assert sorted(s.score for s in response.scores) == [25.0, 75.0]
    attempt = db.session.execute(select(Attempt)).scalar_one()
    assert (attempt.disposition, attempt.notes) == ("partial", "挂断了")


def test_a_partial_without_any_answer_is_refused(app, client):
    campaign = _case()
    _sign_in(client)
    case_id = _claim(client, campaign)
    refused = _dispose(client, case_id, "partial")
    assert refused.status_code == 422
    assert "No answer has been entered yet" in refused.text
    assert db.session.execute(select(func.count(Response.id))).scalar_one() == 0
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 0


# --- outcomes that schedule the case -----------------------------------------------------------


@pytest.mark.parametrize("code", ["no_answer", "busy", "refusal_soft", "refusal_hard"])
def test_a_disposition_schedules_the_case_by_its_rule(app, client, code):
    campaign = _case()
    operator = _sign_in(client)
    case_id = _claim(client, campaign)
    before = utcnow()
    response = _dispose(client, case_id, code, notes="第一次")
    assert response.status_code == 303, response.text
    attempt = db.session.execute(select(Attempt)).scalar_one()
    assert (attempt.disposition, attempt.operator_id, attempt.notes) == (
        code,
        operator.id,
        "第一次",
    )
    case = _fresh(case_id)
    assert case.claimed_by_id is None
    assert case.last_disposition == code
    rule = DISPOSITIONS[code]
    if rule.retry:
        assert case.status == "queued"
        delay = rule.delay if isinstance(rule.delay, dt.timedelta) else dt.timedelta(0)
        assert case.next_try_at is not None
        assert case.next_try_at >= before + delay - dt.timedelta(seconds=5)
    else:
        assert case.status != "queued"
    assert db.session.execute(select(func.count(Response.id))).scalar_one() == 0


def test_a_call_back_is_scheduled_at_the_local_time_typed(app, client):
    campaign = _case()
    _sign_in(client)
    case_id = _claim(client, campaign)
    zone = ZoneInfo(campaign.timezone)
    local = (dt.datetime.now(zone) + dt.timedelta(days=1)).replace(
        hour=15, minute=30, second=0, microsecond=0, tzinfo=None
    )
    response = _dispose(client, case_id, "callback", callback_at=local.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 303, response.text
    expected = local.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
    attempt = db.session.execute(select(Attempt)).scalar_one()
    assert attempt.callback_at == expected
    case = _fresh(case_id)
    assert case.next_try_at == expected and case.is_callback


def test_the_call_back_made_after_the_last_attempt_cannot_book_another(app, client):
    campaign = _case(_campaign(max_attempts=1))
    _sign_in(client)
    case_id = _claim(client, campaign)
    soon = (utcnow() + dt.timedelta(minutes=5)).replace(tzinfo=dt.UTC)
    typed = soon.astimezone(ZoneInfo(campaign.timezone)).strftime("%Y-%m-%dT%H:%M")
    booked = _dispose(client, case_id, "callback", callback_at=typed)
    assert booked.status_code == 303, booked.text
    _fresh(case_id).next_try_at = utcnow() - dt.timedelta(minutes=1)  # the time has come
    db.session.commit()
    assert _claim(client, campaign) == case_id
    page = client.get(f"/operator/case/{case_id}").text
    assert "the call-back asked for on the last of 1 allowed attempts" in page
    again = _dispose(client, case_id, "callback", callback_at=typed)
    assert again.status_code == 422
    assert "No further call-back can be booked" in again.text
    assert (_fresh(case_id).status, _fresh(case_id).attempts) == ("claimed", 1)


def test_a_call_back_time_in_the_past_is_refused_and_nothing_changes(app, client):
    campaign = _case()
    operator = _sign_in(client)
    case_id = _claim(client, campaign)
    zone = ZoneInfo(campaign.timezone)
    past = (dt.datetime.now(zone) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = _dispose(client, case_id, "callback", callback_at=past, notes="下午再打")
    assert refused.status_code == 422
    assert "in the past" in refused.text
    assert "下午再打" in refused.text  # what was typed is kept
    missing = _dispose(client, case_id, "callback")
    assert missing.status_code == 422 and "needs the date and time" in missing.text
    assert db.session.execute(select(func.count(Attempt.id))).scalar_one() == 0
    case = _fresh(case_id)
    assert case.status == "claimed" and case.claimed_by_id == operator.id
    assert case.attempts == 0


def test_attempt_history_shows_local_time_operator_and_outcome(app, client):
    campaign = _case()
    operator = _sign_in(client)
    case_id = _claim(client, campaign)
    _dispose(client, case_id, "busy", notes="占线中")
    case = _fresh(case_id)
    case.next_try_at = None  # due again at once
    db.session.commit()
    assert _claim(client, campaign) == case_id
    page = client.get(f"/operator/case/{case_id}").text
    attempt = db.session.execute(select(Attempt)).scalar_one()
    local = attempt.started_at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(campaign.timezone))
    assert local.strftime("%-I:%M") in page or local.strftime("%H:%M") in page
    assert operator.label() in page
    assert str(DISPOSITIONS["busy"].label) in page and "占线中" in page


def test_evaluators_never_see_the_operator_or_the_contact(app, client):
    campaign = _case(name="赵六")
    operator = _sign_in(client)
    case_id = _claim(client, campaign)
    for question, value in FULL:
        _answer(client, case_id, question, value)
    _dispose(client, case_id, "complete", q="end")
    evaluator = app.test_client()
    g.pop("csrf_token", None)
    login(evaluator, gen_user("evaluator"))
    for url in ("/evaluate/", f"/evaluate/?campaign={campaign.id}"):
        page = evaluator.get(url)
        assert page.status_code == 200
        assert "赵六" not in page.text and "5678" not in page.text
        assert operator.username not in page.text


def test_no_message_button_once_the_campaigns_messages_are_left(app, client):
    campaign = _case(_campaign(max_messages=1))
    _sign_in(client)
    case_id = _claim(client, campaign)
    assert 'value="voicemail_message"' in client.get(f"/operator/case/{case_id}").text
    assert _dispose(client, case_id, "voicemail_message").status_code == 303
    _fresh(case_id).next_try_at = utcnow() - dt.timedelta(minutes=1)  # its retry has come
    db.session.commit()
    assert _claim(client, campaign) == case_id
    page = client.get(f"/operator/case/{case_id}").text
    assert 'value="voicemail_message"' not in page and 'value="voicemail_named"' in page
    refused = _dispose(client, case_id, "voicemail_message")  # a stale page's button
    assert refused.status_code == 422 and "No more messages" in refused.text
    assert _fresh(case_id).attempts == 1
