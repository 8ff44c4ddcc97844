"""Bad reviews are followed up: cases open at submission, handlers act, evaluators count."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from factories import (
    DEFAULT_INSTRUMENTS,
    STAKEHOLDER_INSTRUMENT,
    gen_campaign,
    gen_invitation,
    gen_response,
    gen_unit,
    gen_user,
    login,
)
from respondent import (
    CARD,
    form_data,
    instrument,
    open_card,
    point_campaign,
    post_page,
    responses,
    scrape,
    unsatisfied_value,
    valid_answers,
)
from sqlalchemy import select

from survey.extensions import db
from survey.followup.cases import (
    FollowUpError,
    deadline,
    exclude,
    followup_indicator,
    open_case_if_bad,
)
from survey.models import AuditEvent, FollowUpCase, Response
from survey.workdays import WorkdayCalendar

PHONE = "138 0013 8000"


def _cases() -> list[FollowUpCase]:
    db.session.expire_all()
    return list(db.session.execute(select(FollowUpCase).order_by(FollowUpCase.id)).scalars())


def _submit_card(client, point, overall: str, **extra) -> None:  # type: ignore[no-untyped-def]
    url = f"/p/{point.code}"
    key = open_card(client, url)
    answers = valid_answers(instrument(CARD), overall=overall, **extra)
    data = form_data(answers, key)
    assert client.post(url, data=data).status_code == 200
    assert client.post(url, data=data).status_code == 200  # a double tap changes nothing


def test_a_bad_review_from_the_card_opens_one_case(rapp, client):  # noqa: F811
    rapp.config["SURVEY_BURST_COUNT"] = 10  # four people, one address (the hall's Wi-Fi)
    campaign, point = point_campaign()
    _submit_card(client, point, "satisfied")
    _submit_card(client, point, "basically_satisfied")
    assert _cases() == []
    _submit_card(client, point, "dissatisfied")
    _submit_card(client, point, "very_dissatisfied")
    cases = _cases()
    assert len(cases) == 2
    assert {c.unit_id for c in cases} == {point.unit_id}
    assert all(c.status == "open" and c.campaign_id == campaign.id for c in cases)


def _answer_invitation(client, campaign, group: str, instrument_id: str) -> Response:  # type: ignore[no-untyped-def]
    """Answer a personal link page by page, the overall question as badly as it goes."""
    _invitation, token = gen_invitation(campaign, group=group, unit=campaign.units[0])
    db.session.commit()
    inst = instrument(instrument_id)
    worst = unsatisfied_value(inst.question("overall"))
    url = f"/i/{token}"
    html = client.get(url).text
    for _ in inst.pages:
        last = scrape(html, "page") == inst.pages[-1].id
        posted, _page, _answers = post_page(
            client, url, html, inst, action="submit" if last else "next", overall=worst
        )
        if last:
            assert posted.status_code == 200, posted.text
            break
        assert posted.status_code == 303, posted.text
        html = client.get(posted.headers["Location"]).text
    response = responses()[-1]
    assert response.submitted_at is not None
    assert next(a.value for a in response.answers if a.question_id == "overall") == worst
    return response


def test_only_a_service_users_bad_review_opens_a_case(rapp, client):  # noqa: F811
    """Staff and stakeholders rate their own unit: their answers must not reach its handler."""
    campaign, point = point_campaign()
    _answer_invitation(client, campaign, "staff", DEFAULT_INSTRUMENTS["staff"])
    _answer_invitation(client, campaign, "deputy", STAKEHOLDER_INSTRUMENT)
    assert _cases() == []
    _submit_card(client, point, "very_dissatisfied")
    [case] = _cases()
    assert case.response.instrument_version.instrument_id == CARD
    # The handler's list shows that one case and nothing of the staff member or the deputy.
    handler = gen_user("handler", unit_id=point.unit_id)
    client.get("/logout")
    login(client, handler)
    listing = client.get(f"/evaluate/follow-up?campaign={campaign.id}&status=all").text
    assert re.findall(r"/evaluate/follow-up/(\d+)", listing) == [str(case.id)]


def test_deadline_counts_working_days():
    weekdays_only = WorkdayCalendar()
    friday = dt.date(2026, 11, 20)
    assert weekdays_only.add_working_days(friday, 5) == dt.date(2026, 11, 27)
    assert weekdays_only.add_working_days(friday, 1) == dt.date(2026, 11, 23)
    saturday = dt.date(2026, 11, 21)
    assert weekdays_only.add_working_days(saturday, 1) == dt.date(2026, 11, 23)


def test_deadline_counts_in_the_campaigns_time_zone(app):
    """The opening day is not counted; the period ends at 24:00 of its last day (Beijing).

    Worked out by hand (Beijing is UTC+8, no daylight saving; 24:00 on day D
    Beijing is 16:00 UTC on day D):

    - opened Monday 23 Nov 2026 08:30 Beijing (00:30 UTC), 5 working days:
      Tue 24, Wed 25, Thu 26, Fri 27, Mon 30 -> due at the end of Mon 30 Nov,
      i.e. 1 Dec 00:00 Beijing = 30 Nov 16:00 UTC;
    - opened Monday 23:30 Beijing (15:30 UTC) is still a Monday case: the same;
    - opened Tuesday 24 Nov 00:30 Beijing (Monday 16:30 UTC): Wed 25 ... Tue 1
      Dec -> 1 Dec 16:00 UTC;
    - opened Saturday 21 Nov 10:00 Beijing (02:00 UTC): Mon 23 ... Fri 27 ->
      27 Nov 16:00 UTC;
    - Friday 20 Nov 20:00 UTC is Saturday 04:00 in Beijing, a weekend case; one
      working day: Mon 23 -> 23 Nov 16:00 UTC (not Monday evening UTC);
    - over National Day 2026 (1-7 October off): opened Wed 30 Sep 10:00
      Beijing (02:00 UTC), 2 working days: Thu 8, Fri 9 Oct -> 9 Oct 16:00 UTC.
    """
    campaign = gen_campaign()
    campaign.followup_days = 5
    db.session.commit()
    end_of_monday_30 = dt.datetime(2026, 11, 30, 16, 0)
    assert deadline(dt.datetime(2026, 11, 23, 0, 30), campaign) == end_of_monday_30
    assert deadline(dt.datetime(2026, 11, 23, 15, 30), campaign) == end_of_monday_30
    assert deadline(dt.datetime(2026, 11, 23, 16, 30), campaign) == dt.datetime(2026, 12, 1, 16)
    assert deadline(dt.datetime(2026, 11, 21, 2, 0), campaign) == dt.datetime(2026, 11, 27, 16)
    campaign.followup_days = 1
    assert deadline(dt.datetime(2026, 11, 20, 20, 0), campaign) == dt.datetime(2026, 11, 23, 16)
    campaign.followup_days = 2
    assert deadline(dt.datetime(2026, 9, 30, 2, 0), campaign) == dt.datetime(2026, 10, 9, 16)


def test_a_remedy_late_on_the_last_day_is_on_time(app):
    """Overdue and on time follow the end of the last day, and the page names that day."""
    unit = gen_unit()
    campaign = gen_campaign([unit])
    campaign.followup_days = 5
    monday_0830_beijing = dt.datetime(2026, 11, 23, 0, 30)
    response = gen_response(
        campaign,
        unit=unit,
        answers={"overall": "very_dissatisfied"},
        submitted_at=monday_0830_beijing,
    )
    db.session.flush()
    case = open_case_if_bad(response, instrument(CARD))
    db.session.commit()
    # Monday 30 Nov 20:00 Beijing: after the hour the case came in, before the day ends.
    evening_of_the_last_day = dt.datetime(2026, 11, 30, 12, 0)
    after_midnight = dt.datetime(2026, 12, 1, 16, 1) - dt.timedelta(days=1)  # 1 Dec 00:01 Beijing
    assert followup_indicator(campaign, now=evening_of_the_last_day)[unit.id].overdue == 0
    assert followup_indicator(campaign, now=after_midnight)[unit.id].overdue == 1

    handler = gen_user("handler", unit_id=unit.id)
    client = app.test_client()
    login(client, handler)
    page = client.get(f"/evaluate/follow-up/{case.id}?lang=en").text
    assert "Opened Nov 23, 2026, due Nov 30, 2026." in page  # not "due Dec 1"
    case.status, case.remedied_at = "remedied", evening_of_the_last_day
    db.session.commit()
    counts = followup_indicator(campaign, now=after_midnight)[unit.id]
    assert (counts.overdue, counts.on_time) == (0, 1)


def _bad(campaign, unit, **kw):  # type: ignore[no-untyped-def]
    response = gen_response(campaign, unit=unit, answers={"overall": "very_dissatisfied"}, **kw)
    db.session.flush()
    case = open_case_if_bad(response, instrument(CARD))
    db.session.commit()
    return case


def test_on_time_share_by_hand(app):
    unit = gen_unit()
    campaign = gen_campaign([unit])
    cases = [_bad(campaign, unit) for _ in range(5)]
    # 1 excluded, 3 remedied by the deadline, 1 remedied a day late.
    cases[0].status = "excluded"
    for case in cases[1:4]:
        case.status, case.remedied_at = "remedied", case.due_at - dt.timedelta(hours=1)
    cases[4].status, cases[4].remedied_at = "remedied", cases[4].due_at + dt.timedelta(days=1)
    db.session.commit()
    counts = followup_indicator(campaign)[unit.id]
    assert (counts.cases, counts.excluded, counts.on_time) == (5, 1, 3)
    assert counts.on_time_share == pytest.approx(3 / 4)
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=30)
    assert followup_indicator(campaign, now=later)[unit.id].overdue == 0


def test_overdue_counts_open_cases_past_due(app):
    unit = gen_unit()
    campaign = gen_campaign([unit])
    case = _bad(campaign, unit)
    later = case.due_at + dt.timedelta(minutes=1)
    assert followup_indicator(campaign, now=later)[unit.id].overdue == 1
    assert followup_indicator(campaign, now=case.due_at)[unit.id].overdue == 0


@pytest.fixture
def callback_case(rapp, client):  # noqa: F811
    campaign, point = point_campaign()
    inst = instrument(CARD)
    phone_q = next(q for q in inst.questions if q.type == "phone")
    _submit_card(client, point, "very_dissatisfied", **{phone_q.id: PHONE})
    [case] = _cases()
    client.get("/logout")
    return case


def test_number_only_for_the_units_handler_and_admin(app, callback_case):
    handler = gen_user("handler", unit_id=callback_case.unit_id)
    other_handler = gen_user("handler")
    evaluator = gen_user("evaluator")
    admin = gen_user("admin")
    url = f"/evaluate/follow-up/{callback_case.id}"
    for user, sees_number in ((handler, True), (admin, False), (evaluator, False)):
        client = app.test_client()
        login(client, user)
        page = client.get(url + "?lang=en")
        assert page.status_code == 200
        assert (PHONE in page.text) is sees_number, user.role
        listing = client.get("/evaluate/follow-up?lang=en")
        assert PHONE not in listing.text
    client = app.test_client()
    login(client, other_handler)
    assert client.get(url).status_code == 404
    assert url not in client.get("/evaluate/follow-up").text
    client = app.test_client()
    login(client, handler)
    assert url in client.get("/evaluate/follow-up").text


def test_handler_remedies_and_records_the_rating(app, callback_case):
    handler = gen_user("handler", unit_id=callback_case.unit_id)
    client = app.test_client()
    login(client, handler)
    url = f"/evaluate/follow-up/{callback_case.id}"
    client.post(url + "/remedy", data={"action": "  "})
    assert _cases()[0].status == "open"  # nothing said, nothing changed
    client.post(url + "/remedy", data={"action": "已电话联系，补办完成"})
    case = _cases()[0]
    assert case.status == "remedied" and case.handler_id == handler.id and case.remedied_at
    client.post(url + "/rating", data={"rating": "excellent"})
    assert _cases()[0].status == "remedied"
    client.post(url + "/rating", data={"rating": "basically_satisfied"})
    case = _cases()[0]
    assert (case.status, case.fix_rating) == ("closed", "basically_satisfied")
    assert client.post(url + "/exclude", data={"reason": "not mine to exclude"}).status_code == 403


def _remedy_box(page: str) -> str:
    found = re.search(r'<textarea[^>]*name="action"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, "no box for what was done"
    return found.group(1).strip()


def test_editing_the_remedy_starts_from_it_and_keeps_the_earlier_one(app, callback_case):
    handler = gen_user("handler", unit_id=callback_case.unit_id)
    client = app.test_client()
    login(client, handler)
    url = f"/evaluate/follow-up/{callback_case.id}"
    assert _remedy_box(client.get(url).text) == ""
    first = "已电话联系，补办完成"
    client.post(url + "/remedy", data={"action": first})
    remedied_at = _cases()[0].remedied_at
    assert _remedy_box(client.get(url).text) == first  # to edit, not to retype
    assert db.session.execute(select(AuditEvent)).first() is None  # the first is on the case

    second = "已电话联系，补办完成；已退还多收的费用"
    client.post(url + "/remedy", data={"action": second})
    case = _cases()[0]
    assert (case.action_taken, case.remedied_at) == (second, remedied_at)
    assert _remedy_box(client.get(url).text) == second
    event = db.session.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.entity_id, event.user_id, event.campaign_id) == (
        "followup.remedy_edit",
        str(case.id),
        handler.id,
        case.campaign_id,
    )
    assert json.loads(event.before) == {"action_taken": first}
    assert json.loads(event.after) == {"action_taken": second}
    client.post(url + "/remedy", data={"action": second + "  "})  # saved again, unchanged
    assert len(db.session.execute(select(AuditEvent)).all()) == 1


def test_exclusion_needs_a_reason_and_is_audited(app, callback_case):
    evaluator = gen_user("evaluator")
    client = app.test_client()
    login(client, evaluator)
    url = f"/evaluate/follow-up/{callback_case.id}"
    page = client.post(url + "/exclude", data={"reason": ""}, follow_redirects=True)
    assert page.status_code == 200
    assert _cases()[0].status == "open"
    assert db.session.execute(select(AuditEvent)).first() is None
    reason = "同一号码一分钟内连续提交，经核实为误操作"
    client.post(url + "/exclude", data={"reason": reason})
    case = _cases()[0]
    assert case.status == "excluded" and case.excluded_by_id == evaluator.id
    event = db.session.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.reason, event.campaign_id) == (
        "followup.exclude",
        reason,
        case.campaign_id,
    )
    assert json.loads(event.before)["status"] == "open"
    assert json.loads(event.after)["status"] == "excluded"
    assert client.post(url + "/remedy", data={"action": "x"}).status_code == 403
    response = db.session.get(Response, case.response_id)
    assert response is not None  # excluded, never deleted


@pytest.mark.parametrize("reason", ["恶意差评", "重复提交", "误操作", " 恶意 ", "ok"])
def test_a_short_chinese_reason_is_enough_to_exclude(app, callback_case, reason):
    evaluator = gen_user("evaluator")
    client = app.test_client()
    login(client, evaluator)
    client.post(f"/evaluate/follow-up/{callback_case.id}/exclude", data={"reason": reason})
    case = _cases()[0]
    assert (case.status, case.excluded_reason) == ("excluded", reason.strip())


@pytest.mark.parametrize("reason", ["恶", " 恶\u3000", "x \n "])
def test_one_character_is_no_reason(app, callback_case, reason):
    evaluator = gen_user("evaluator")
    client = app.test_client()
    login(client, evaluator)
    url = f"/evaluate/follow-up/{callback_case.id}"
    client.get(url + "?lang=en")  # the language is remembered
    page = client.post(url + "/exclude", data={"reason": reason}, follow_redirects=True)
    assert "Give the reason for the exclusion (a few words at least)." in page.text
    assert _cases()[0].status == "open"
    with pytest.raises(FollowUpError):  # the same rule below the form
        exclude(_cases()[0], reason, evaluator.id)
