"""The respondent of a bad review rates the fix on a one-time SMS link (``/f/<token>``).

The path under test: the handler records what was done, one SMS with a
personal link is queued (only to a call-back number left and not opted out),
the outbox worker sends it through the real Twilio client to a fake Twilio, a
delivery report updates it, and the respondent's rating on the link closes the
case, once.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from factories import gen_followup_case, gen_invitation, gen_user, login
from fake_twilio import ACCOUNT_SID, signed_post, twilio_config
from flask import current_app, g
from respondent import (
    CARD,
    form_data,
    instrument,
    open_card,
    point_campaign,
    race,
    scrape,
    valid_answers,
)
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey.channels import sms
from survey.channels.sms import redact_expired, send_due
from survey.channels.twilio_backend import TwilioBackend, backend_from_config
from survey.extensions import db
from survey.models import FollowUpCase, OutboundMessage, utcnow
from survey.tokens import hash_token, new_token

PHONE = "138 0013 8000"
E164 = "+8613800138000"
ACTION = "已电话联系，补办完成"
CANT_CHOOSE = "Choose satisfied, basically satisfied or dissatisfied."


@pytest.fixture
def twilio(rapp, fake_twilio):
    rapp.config.update(twilio_config(fake_twilio))
    return fake_twilio


def _messages() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboundMessage).order_by(OutboundMessage.id)).scalars())


def _case(case_id: int) -> FollowUpCase:
    db.session.expire_all()
    return db.session.get(FollowUpCase, case_id)


def _handler(app, case: FollowUpCase):  # type: ignore[no-untyped-def]
    """A signed-in client of the unit's handler."""
    handler = gen_user("handler", unit_id=case.unit_id)
    client = app.test_client()
    login(client, handler)
    return client


def _remedy(client, case: FollowUpCase, action: str = ACTION) -> None:  # type: ignore[no-untyped-def]
    reply = client.post(f"/evaluate/follow-up/{case.id}/remedy", data={"action": action})
    assert reply.status_code == 302


def _link_path(message: OutboundMessage) -> str:
    assert message.link is not None
    return message.link.removeprefix("http://survey.test")


def _remedied(app, **case_kw) -> tuple[FollowUpCase, OutboundMessage]:  # type: ignore[no-untyped-def]
    case = gen_followup_case(**case_kw)
    _remedy(_handler(app, case), case)
    [message] = _messages()
    return _case(case.id), message


# --- queuing ------------------------------------------------------------------------------------


def test_a_bad_review_from_the_card_gets_one_rating_sms_with_a_working_link(rapp):
    """End to end: the card with a call-back number, the handler's remedy, the link."""
    _campaign, point = point_campaign()
    inst = instrument(CARD)
    phone_question = next(q for q in inst.questions if q.type == "phone")
    respondent = rapp.test_client()
    url = f"/p/{point.code}?lang=zh_Hant"
    key = open_card(respondent, url)
    answers = valid_answers(inst, overall="very_dissatisfied", **{phone_question.id: PHONE})
    assert respondent.post(url, data=form_data(answers, key)).status_code == 200
    [case] = db.session.execute(select(FollowUpCase)).scalars().all()
    assert _messages() == [] and case.rating_token_hash is None

    handler = _handler(rapp, case)
    _remedy(handler, case)

    [message] = _messages()
    case = _case(case.id)
    assert (message.kind, message.state, message.attempts) == ("rating", "queued", 0)
    assert message.followup_case_id == case.id and message.invitation_id is None
    assert message.to_phone == E164
    assert message.language == "zh_Hant" == case.response.language
    assert message.link is not None and message.link in message.body
    token = re.fullmatch(r"http://survey\.test/f/([A-Za-z0-9_-]{22})", message.link)[1]
    assert case.rating_token_hash == hash_token(token)
    assert token not in (case.rating_token_hash or "")

    # The respondent's phone opens the link: in the language of the review, no cookie needed.
    phone = rapp.test_client()
    page = phone.get(_link_path(message))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert '<html lang="zh-Hant">' in page.text
    assert point.unit.name in page.text and ACTION in page.text
    values = re.findall(r'<input[^>]*name="rating"[^>]*value="([a-z_]+)"', page.text)
    assert values == ["satisfied", "basically_satisfied", "dissatisfied"]
    assert "<script" not in page.text  # a plain form: works with JavaScript off
    assert 'name="viewport"' in page.text and 'class="opt"' in page.text  # like the card
    assert 'href="?lang=en"' in page.text and 'href="?lang=zh_Hans"' in page.text

    # Editing what was done later never queues a second message nor changes the link.
    _remedy(handler, case, "补充：已退还多收的费用")
    assert _messages() == [message]
    assert _case(case.id).rating_token_hash == hash_token(token)
    assert "已退还多收的费用" in phone.get(_link_path(message)).text


def test_the_sms_is_in_the_language_of_the_review(rapp):
    case, message = _remedied(rapp, language="en", unit_name="City Service Centre")
    assert message.language == "en"
    assert message.body == (
        f"City Service Centre has acted on your review. Please rate what was done: "
        f"{message.link} Reply TD to opt out"
    )
    assert sms.segments(message.body) == 1


def test_a_long_unit_name_is_still_named_in_the_sms(rapp):
    """Who acted is said in every message, even when it takes another segment."""
    _case_row, message = _remedied(rapp, language="en", unit_name="Bureau " * 20)
    assert message.body == (
        f"{'Bureau ' * 20} has acted on your review. Please rate what was done: "
        f"{message.link} Reply TD to opt out"
    )


def test_no_call_back_number_no_sms(rapp):
    case = gen_followup_case(phone=None)
    _remedy(_handler(rapp, case), case)
    assert _case(case.id).status == "remedied"
    assert _messages() == []
    assert _case(case.id).rating_token_hash is None


def test_an_unusable_number_gets_no_sms(rapp):
    case = gen_followup_case(phone="12345")
    _remedy(_handler(rapp, case), case)
    assert _messages() == [] and _case(case.id).rating_token_hash is None


def test_an_opted_out_number_gets_no_sms(rapp):
    sms.opt_out(E164)
    case = gen_followup_case(phone=PHONE)
    _remedy(_handler(rapp, case), case)
    assert _case(case.id).status == "remedied"
    assert _messages() == [] and _case(case.id).rating_token_hash is None


def test_one_rating_message_per_case_is_a_constraint(rapp):
    case, message = _remedied(rapp)
    db.session.add(
        OutboundMessage(
            followup_case_id=case.id,
            kind="rating",
            to_phone=E164,
            body="again",
            language="zh_Hans",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("owners", ["none", "both"])
def test_a_message_belongs_to_exactly_one_invitation_or_case(rapp, owners):
    case = gen_followup_case()
    invitation, _token = gen_invitation()
    db.session.commit()
    both = owners == "both"
    db.session.add(
        OutboundMessage(
            invitation_id=invitation.id if both else None,
            followup_case_id=case.id if both else None,
            kind="rating",
            to_phone=E164,
            body="x",
            language="zh_Hans",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- sending, delivery, opt-out -----------------------------------------------------------------


def _backend() -> TwilioBackend:
    backend = backend_from_config(current_app.config)
    assert isinstance(backend, TwilioBackend)
    return backend


def test_the_worker_sends_it_through_twilio_and_a_delivery_report_updates_it(twilio, client):
    case, message = _remedied(current_app, language="en", unit_name="City Service Centre")

    report = send_due(_backend(), limit=10)

    assert report.sent == 1
    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form["To"] == E164
    assert request.form["Body"] == message.body
    assert request.form["StatusCallback"] == "http://survey.test/twilio/status"
    [row] = _messages()
    assert row.state == "sent" and row.twilio_sid == request.sid and row.attempts == 1

    reply = signed_post(
        client, "/twilio/status", {"MessageSid": request.sid, "MessageStatus": "delivered"}
    )
    assert reply.status_code == 204
    assert _messages()[0].state == "delivered"

    again = send_due(_backend(), limit=10, now=utcnow() + dt.timedelta(days=1))
    assert again.handled == 0 and len(twilio.requests) == 1
    # The handler sees that the respondent was asked.
    handler = _handler(current_app, case)
    page = handler.get(f"/evaluate/follow-up/{case.id}?lang=en")
    assert "A text message asked the respondent to rate the fix on a link." in page.text


def test_stop_after_queuing_cancels_it(twilio, client):
    _case_row, message = _remedied(current_app)
    reply = signed_post(client, "/twilio/inbound", {"From": E164, "Body": "退订"})
    assert reply.status_code == 200
    [row] = _messages()
    assert (row.state, row.last_error) == ("cancelled", "opted out")
    assert send_due(_backend(), limit=10).handled == 0
    assert twilio.requests == []


def test_a_rating_by_phone_before_sending_cancels_it(twilio):
    case, message = _remedied(current_app)
    handler = _handler(current_app, case)
    handler.post(f"/evaluate/follow-up/{case.id}/rating", data={"rating": "satisfied"})
    assert _case(case.id).rating_channel == "phone"
    report = send_due(_backend(), limit=10)
    assert report.cancelled == 1 and twilio.requests == []
    [row] = _messages()
    assert (row.state, row.last_error) == ("cancelled", "fix already rated")


def test_an_excluded_case_gets_no_rating_sms(twilio):
    case, message = _remedied(current_app)
    evaluator = gen_user("evaluator")
    client = current_app.test_client()
    login(client, evaluator)
    client.post(f"/evaluate/follow-up/{case.id}/exclude", data={"reason": "经核实为误操作"})
    assert _case(case.id).status == "excluded"
    assert send_due(_backend(), limit=10).cancelled == 1
    assert twilio.requests == []
    assert _messages()[0].last_error == "follow-up case excluded"


def test_a_sent_rating_link_is_redacted_after_the_case_closed_and_retention(twilio):
    case, message = _remedied(current_app)
    send_due(_backend(), limit=10)
    days = current_app.config["SURVEY_SMS_RETENTION_DAYS"]
    later = utcnow() + dt.timedelta(days=days + 1)
    assert redact_expired(later) == 0  # the case is still open to a rating: the link is kept
    handler = _handler(current_app, case)
    handler.post(f"/evaluate/follow-up/{case.id}/rating", data={"rating": "satisfied"})
    assert _case(case.id).status == "closed"
    assert redact_expired(utcnow()) == 0  # closed, but the retention period has not passed
    assert redact_expired(later) == 1
    [row] = _messages()
    assert (row.body, row.link, row.state) == ("", None, "sent")


def test_a_case_nobody_rated_closes_when_the_window_is_over(twilio, runner):
    """The periodic sms-redact closes it (no rating, still on time), then its link goes."""
    from survey.followup.cases import followup_indicator

    case, message = _remedied(current_app)
    send_due(_backend(), limit=10)
    recent = gen_followup_case(phone=None)  # remedied just now: inside its window
    handler = _handler(current_app, recent)
    _remedy(handler, recent)
    window = dt.timedelta(days=current_app.config["SURVEY_RATING_DAYS"])
    # The case as it is a window and an hour after it was remedied (on time).
    case.opened_at -= window + dt.timedelta(hours=1)
    case.due_at -= window + dt.timedelta(hours=1)
    case.remedied_at -= window + dt.timedelta(hours=1)
    db.session.commit()
    remedied_at = case.remedied_at
    before = followup_indicator(case.campaign)[case.unit_id]
    assert (before.remedied, before.closed, before.on_time) == (1, 0, 1)
    assert redact_expired(utcnow() + dt.timedelta(days=365)) == 0  # not closed: link kept

    result = runner.invoke(args=["survey", "sms-redact"])

    assert result.exit_code == 0, result.output
    assert "closed 1 follow-up cases nobody rated" in result.output
    case = _case(case.id)
    assert (case.status, case.fix_rating, case.rated_at) == ("closed", None, None)
    assert case.closed_at == remedied_at + window  # when the window ended, not the sweep
    assert case.remedied_at == remedied_at
    assert _case(recent.id).status == "remedied"
    after = followup_indicator(case.campaign)[case.unit_id]
    assert (after.open, after.overdue, after.remedied, after.closed) == (0, 0, 0, 1)
    assert (after.on_time, after.on_time_share) == (1, 1.0)
    page = _handler(current_app, case).get(f"/evaluate/follow-up/{case.id}?lang=en").text
    assert "Closed without a rating: nobody rated what was done within" in page
    assert f"/evaluate/follow-up/{case.id}/rating" not in page
    assert current_app.test_client().get(_link_path(message)).status_code == 410
    assert "closed 0 follow-up cases" in runner.invoke(args=["survey", "sms-redact"]).output

    retention = dt.timedelta(days=current_app.config["SURVEY_SMS_RETENTION_DAYS"])
    assert redact_expired(case.closed_at + retention + dt.timedelta(minutes=1)) == 1
    [row] = _messages()  # the recent case left no number: no message
    assert (row.body, row.link) == ("", None)


# --- the page -----------------------------------------------------------------------------------


def test_rating_on_the_link_closes_the_case_once(rapp):
    case, message = _remedied(rapp)
    phone = rapp.test_client()
    path = _link_path(message) + "?lang=en"

    done = phone.post(path, data={"rating": "basically_satisfied"})

    assert done.status_code == 200
    assert "Your rating has been received." in done.text
    case = _case(case.id)
    assert (case.status, case.fix_rating, case.rating_channel) == (
        "closed",
        "basically_satisfied",
        "link",
    )
    assert case.rated_at is not None and case.closed_at == case.rated_at
    rated_at = case.rated_at

    for reply in (
        phone.post(path, data={"rating": "dissatisfied"}),  # a second submit
        rapp.test_client().get(path),  # the link reused later, from another device
    ):
        assert reply.status_code == 409
        assert "has already been received: Basically satisfied" in reply.text
        assert "nothing was changed" in reply.text
    case = _case(case.id)
    assert (case.fix_rating, case.rated_at) == ("basically_satisfied", rated_at)

    handler = _handler(rapp, case)
    page = handler.get(f"/evaluate/follow-up/{case.id}?lang=en")
    assert "given by the respondent on the text-message link" in page.text


@pytest.mark.parametrize("sent", [{"rating": "excellent"}, {"rating": ""}, {}])
def test_an_invalid_choice_is_refused_with_a_clear_message(rapp, sent):
    case, message = _remedied(rapp)
    reply = rapp.test_client().post(_link_path(message) + "?lang=en", data=sent)
    assert reply.status_code == 422
    assert CANT_CHOOSE in reply.text
    assert "Nothing has been saved yet." in reply.text
    assert ACTION in reply.text  # the page again, with what was done
    # Said in the title and in a summary that takes the focus, tied to the question.
    assert "<title>Error: " in reply.text and 'id="error-summary"' in reply.text
    assert 'aria-describedby="e-rating"' in reply.text and 'aria-invalid="true"' in reply.text
    case = _case(case.id)
    assert (case.status, case.fix_rating, case.rated_at) == ("remedied", None, None)


@pytest.mark.parametrize("token", ["new", "abc", "x" * 200])
def test_an_unknown_token_is_a_404_in_the_respondent_style(rapp, client, token):  # noqa: F811
    _remedied(rapp)
    token = new_token() if token == "new" else token
    for reply in (client.get(f"/f/{token}?lang=en"), client.post(f"/f/{token}?lang=en")):
        assert reply.status_code == 404
        assert "This address does not lead to a rating page." in reply.text
        assert '<nav class="langs"' in reply.text
    assert _case(_messages()[0].followup_case_id).status == "remedied"


def test_csrf_is_enforced(rapp):
    case, message = _remedied(rapp)
    rapp.config["WTF_CSRF_ENABLED"] = True
    g.pop("csrf_token", None)  # the test's app context is shared: no token of another client
    phone = rapp.test_client()
    path = _link_path(message)
    token = scrape(phone.get(path).text, "csrf_token")

    assert phone.post(path, data={"rating": "satisfied"}).status_code == 400
    wrong = phone.post(path, data={"rating": "satisfied", "csrf_token": token[:-4] + "AAAA"})
    assert wrong.status_code == 400
    other = rapp.test_client().post(path, data={"rating": "satisfied", "csrf_token": token})
    assert other.status_code == 400  # a token of another session
    assert _case(case.id).status == "remedied"

    right = phone.post(path, data={"rating": "satisfied", "csrf_token": token})
    assert right.status_code == 200
    assert _case(case.id).fix_rating == "satisfied"


def test_a_rating_heard_by_phone_is_what_the_link_says(rapp):
    case, message = _remedied(rapp)
    handler = _handler(rapp, case)
    handler.post(f"/evaluate/follow-up/{case.id}/rating", data={"rating": "dissatisfied"})
    phone = rapp.test_client()
    page = phone.get(_link_path(message) + "?lang=en")
    assert page.status_code == 409
    assert "You already gave your rating of what was done by phone: Dissatisfied." in page.text
    assert 'name="rating"' not in page.text
    late = phone.post(_link_path(message) + "?lang=en", data={"rating": "satisfied"})
    assert late.status_code == 409
    case = _case(case.id)
    assert (case.fix_rating, case.rating_channel) == ("dissatisfied", "phone")


def test_an_excluded_case_takes_no_rating(rapp):
    case, message = _remedied(rapp)
    case.status, case.excluded_reason = "excluded", "经核实为误操作"
    db.session.commit()
    reply = rapp.test_client().post(_link_path(message) + "?lang=en", data={"rating": "satisfied"})
    assert reply.status_code == 410
    assert "This follow-up is closed" in reply.text
    assert _case(case.id).fix_rating is None


def test_the_link_expires_after_the_rating_window(rapp):
    case, message = _remedied(rapp)
    days = rapp.config["SURVEY_RATING_DAYS"]
    case.remedied_at = case.remedied_at - dt.timedelta(days=days, minutes=1)
    db.session.commit()
    client = rapp.test_client()
    page = client.get(_link_path(message) + "?lang=en")
    assert page.status_code == 410 and "This link has expired" in page.text
    assert f"for {days} days" in page.text
    reply = client.post(_link_path(message) + "?lang=en", data={"rating": "satisfied"})
    assert reply.status_code == 410
    assert _case(case.id).fix_rating is None and _case(case.id).status == "remedied"
    # A day inside the window, the same link works.
    case = _case(case.id)
    case.remedied_at = case.remedied_at + dt.timedelta(days=1)
    db.session.commit()
    assert client.get(_link_path(message) + "?lang=en").status_code == 200


def test_the_language_switcher_and_the_cookie_win_over_the_review_language(rapp):
    _case_row, message = _remedied(rapp, language="zh_Hant")
    phone = rapp.test_client()
    assert '<html lang="zh-Hant">' in phone.get(_link_path(message)).text
    english = phone.get(_link_path(message) + "?lang=en")
    assert '<html lang="en">' in english.text
    assert "Are you satisfied with what was done?" in english.text
    assert '<html lang="en">' in phone.get(_link_path(message)).text  # remembered


def test_the_handler_cannot_rate_after_the_respondent(rapp):
    case, message = _remedied(rapp)
    rapp.test_client().post(_link_path(message), data={"rating": "satisfied"})
    handler = _handler(rapp, case)
    handler.post(f"/evaluate/follow-up/{case.id}/rating", data={"rating": "dissatisfied"})
    _remedy(handler, case, "再次修改")
    case = _case(case.id)
    assert (case.fix_rating, case.rating_channel, case.action_taken) == (
        "satisfied",
        "link",
        ACTION,
    )
    count = db.session.execute(select(func.count()).select_from(OutboundMessage)).scalar_one()
    assert count == 1


def test_two_ratings_at_the_same_moment_one_wins(rapp):
    """A double tap or two devices: one rating is stored, the other is told, nothing overwritten."""

    case, message = _remedied(rapp)
    path = _link_path(message) + "?lang=en"
    results = race(rapp, [(path, {"rating": "satisfied"}), (path, {"rating": "dissatisfied"})])
    assert sorted(status for status, _body in results) == [200, 409]
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 409)
    case = _case(case.id)
    assert case.status == "closed" and case.rating_channel == "link"
    assert FIX_LABELS[case.fix_rating] in loser and "Thank you" in winner


FIX_LABELS = {"satisfied": "Satisfied", "dissatisfied": "Dissatisfied"}


def test_an_unreachable_redis_loses_nothing(rapp, caplog):
    rapp.config["SURVEY_RQ_REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    case = gen_followup_case()
    _remedy(_handler(rapp, case), case)
    [message] = _messages()
    assert message.state == "queued" and _case(case.id).status == "remedied"
    assert "could not tell the SMS worker" in caplog.text
