"""Ballot stuffing on the public channels is flagged, held out, and reviewed (issue 10).

What an attacker does (the issue's loop of 19 "very dissatisfied" cards in a
minute through /k/<point>, a stack of receipt tickets of one sheet, many phones
on one QR code) and what an evaluator then does (accept or exclude in bulk,
with a reason), through the Flask test client. Results are read through the
API and the CSV export, as a user of them would.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine
from factories import csrf_token, gen_response, gen_user, login
from respondent import (
    CARD,
    enrol_tablet,
    form_data,
    instrument,
    open_card,
    point_campaign,
    responses,
    valid_answers,
)
from sqlalchemy import select

from survey.access.accounts import issue_api_token
from survey.channels.links import issue_tickets
from survey.extensions import db
from survey.models import AuditEvent, Burst, FollowUpCase, utcnow

IND = "satisfaction.overall"
WORST = "very_dissatisfied"


def _post(client, url: str, overall: str = WORST, addr: str | None = None):  # type: ignore[no-untyped-def]
    key = open_card(client, url)
    data = form_data(valid_answers(instrument(CARD), overall=overall), key)
    extra = {"environ_base": {"REMOTE_ADDR": addr}} if addr else {}
    response = client.post(url, data=data, **extra)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _at(naive_utc: dt.datetime) -> dt.datetime:
    """A naive UTC time (as the app keeps them) for time_machine, which reads naive as local."""
    return naive_utc.replace(tzinfo=dt.UTC)


def _api_rows(app, campaign) -> list[dict]:  # type: ignore[no-untyped-def]
    _row, token = issue_api_token(f"t{utcnow().timestamp()}")
    db.session.commit()
    api = app.test_client()
    body = api.get(
        f"/api/v1/campaigns/{campaign.code}/indicators",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    return [r for r in body["results"] if r["indicator"] == IND]


def _page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    """A page's content, without the form tokens that differ from one request to the next."""
    html = client.get(url).get_data(as_text=True).split("<main", 1)[1]
    return re.sub(r'name="csrf_token"[^>]*>', "", html)


def _cases(status: str | None = None) -> list[FollowUpCase]:
    db.session.expire_all()
    query = select(FollowUpCase).order_by(FollowUpCase.id)
    if status:
        query = query.where(FollowUpCase.status == status)
    return list(db.session.execute(query).scalars())


def _bursts() -> list[Burst]:
    db.session.expire_all()
    return list(db.session.execute(select(Burst).order_by(Burst.id)).scalars())


def _history(campaign, point, channel: str, per_day: int, days: int, **fields) -> None:  # type: ignore[no-untyped-def]
    """Counted cards of the weeks before: ``per_day`` a day for ``days`` days, all satisfied."""
    now = utcnow()
    for day in range(1, days + 1):
        for n in range(per_day):
            response = gen_response(
                campaign,
                channel=channel,
                answers={"overall": "satisfied"},
                submitted_at=now - dt.timedelta(days=day, seconds=n * 5),
            )
            response.service_point_id = point.id
            for name, value in fields.items():
                setattr(response, name, value)
    db.session.commit()


def test_the_kiosk_loop_is_flagged_counted_nowhere_opens_no_case_and_is_reviewed(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_POINT_RATE_LIMIT"] = "1000 per minute"
    campaign, point = point_campaign()
    # Five honest cards, earlier in the day.
    device = enrol_tablet(client, point)
    with time_machine.travel(_at(utcnow() - dt.timedelta(hours=3)), tick=True):
        for _ in range(5):
            _post(client, f"/k/{point.code}", overall="satisfied")
    before = _api_rows(app, campaign)
    handler = gen_user("handler", unit_id=campaign.units[0].id)
    evaluator = gen_user("evaluator")
    desk = app.test_client()
    login(desk, evaluator)
    export = f"/evaluate/campaign/{campaign.id}/export.csv?by=unit"
    csv_before = desk.get(export).get_data()
    report = f"/evaluate/campaign/{campaign.id}/unit/{campaign.units[0].id}/report"
    report_before = _page(desk, report)

    # The loop: 19 "very dissatisfied" cards within one minute from the enrolled tablet.
    start = utcnow()
    with time_machine.travel(_at(start), tick=False) as clock:
        for _ in range(19):
            _post(client, f"/k/{point.code}")
            clock.shift(dt.timedelta(seconds=3))
    cards = responses()
    loop = [r for r in cards if r.submitted_at >= start]
    assert len(loop) == 19 and {r.channel for r in loop} == {"kiosk"}
    assert all(r.flagged for r in loop), [r.flagged for r in loop]
    assert not any(r.flagged for r in cards if r.submitted_at < start)
    [burst] = _bursts()
    assert (burst.source, burst.device_id, burst.status) == ("device", device.id, "held")
    assert (burst.cards, burst.lowest) == (19, 19)
    # Counted nowhere: the API, the export and the unit's report publish what they did before.
    assert _api_rows(app, campaign) == before
    assert desk.get(export).get_data() == csv_before
    assert _page(desk, report) == report_before
    # No case reaches the handler: 19 held, none open, none in their list or counts.
    assert len(_cases("held")) == 19 and _cases("open") == []
    staff = app.test_client()
    login(staff, handler)
    queue = staff.get("/evaluate/follow-up?status=open").get_data(as_text=True)
    assert not any(f'/evaluate/follow-up/{c.id}"' in queue for c in _cases("held"))
    held_case = _cases("held")[0]
    assert staff.get(f"/evaluate/follow-up/{held_case.id}").status_code == 404

    # The evaluator sees it, and excludes it with a reason.
    page = desk.get(f"/evaluate/campaign/{campaign.id}/bursts?lang=en")
    assert page.status_code == 200
    assert f'data-burst="{burst.id}"' in page.text and "19" in page.text
    missing_reason = desk.post(
        f"/evaluate/campaign/{campaign.id}/bursts?lang=en",
        data={"burst": str(burst.id), "decision": "exclude", "reason": " "},
    )
    assert missing_reason.status_code == 422
    assert _bursts()[0].status == "held"
    done = desk.post(
        f"/evaluate/campaign/{campaign.id}/bursts",
        data={
            "burst": str(burst.id),
            "decision": "exclude",
            "reason": "同一平板一分钟内19张差评，刷票",
        },
    )
    assert done.status_code == 303
    [burst] = _bursts()
    assert (burst.status, burst.reviewed_by_id) == ("excluded", evaluator.id)
    assert len(_cases("excluded")) == 19 and _cases("open") == []
    assert all(c.excluded_reason == "同一平板一分钟内19张差评，刷票" for c in _cases("excluded"))
    [event] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "burst.exclude")
    ).scalars()
    assert event.user_id == evaluator.id and event.reason.startswith("同一平板")
    assert json.loads(event.after)["status"] == "excluded"
    assert _api_rows(app, campaign) == before
    # Decided once: a second decision on it is refused and changes nothing.
    again = desk.post(
        f"/evaluate/campaign/{campaign.id}/bursts",
        data={"burst": str(burst.id), "decision": "accept", "reason": "再看一次"},
    )
    assert again.status_code == 422 and _bursts()[0].status == "excluded"


def test_an_accepted_burst_counts_and_its_cases_open_from_the_acceptance(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    campaign, point = point_campaign()
    enrol_tablet(client, point)
    start = utcnow()
    with time_machine.travel(_at(start), tick=False) as clock:
        for _ in range(12):
            _post(client, f"/k/{point.code}")
            clock.shift(dt.timedelta(seconds=20))
    [burst] = _bursts()
    assert burst.cards == 12 and all(r.flagged for r in responses())
    before = _api_rows(app, campaign)
    evaluator = gen_user("evaluator")
    desk = app.test_client()
    accepted_at = start + dt.timedelta(hours=2)
    with time_machine.travel(_at(accepted_at), tick=False):
        # Signed in at the time of the review: a staff session is judged by its idle time.
        login(desk, evaluator)
        done = desk.post(
            f"/evaluate/campaign/{campaign.id}/bursts",
            data={"burst": str(burst.id), "decision": "accept", "reason": "系统故障后集中评价"},
        )
    assert done.status_code == 303
    assert not any(r.flagged for r in responses())
    opened = _cases("open")
    assert len(opened) == 12
    assert all(c.opened_at == accepted_at for c in opened)
    after = _api_rows(app, campaign)
    assert after != before
    assert sum(r["n"] for r in after if r["unit_code"] == campaign.units[0].code) >= 12


def test_an_unenrolled_browser_looping_on_k_is_flagged_as_one_client(app, client):
    """The issue's attack as it is now: /k/ without enrolment is the public card."""
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_POINT_RATE_LIMIT"] = "1000 per minute"
    _campaign, point = point_campaign()
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        for _ in range(19):
            _post(client, f"/k/{point.code}")
            clock.shift(dt.timedelta(seconds=3))
    rows = responses()
    assert {r.channel for r in rows} == {"qr"}
    assert all(r.flagged for r in rows)
    [burst] = _bursts()
    assert (burst.source, burst.cards, burst.lowest) == ("client", 19, 19)
    assert len(_cases("held")) == 19 and _cases("open") == []


def test_many_phones_on_one_qr_code_are_one_burst_of_the_point(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_BURST_MIN_CARDS"] = 6
    campaign, point = point_campaign()
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        for n in range(7):
            _post(client, f"/p/{point.code}", overall="satisfied", addr=f"10.0.0.{n + 1}")
            clock.shift(dt.timedelta(seconds=30))
    rows = responses()
    assert len({r.client_hash for r in rows}) == 7
    assert all(r.flagged for r in rows)
    [burst] = _bursts()
    assert (burst.source, burst.channel, burst.cards, burst.rule) == ("point", "qr", 7, "rate")


def test_a_busy_point_is_allowed_its_usual_rate(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_BURST_MIN_CARDS"] = 6
    campaign, point = point_campaign()
    # 160 counted cards a day over a week, 8 service hours: 20 an hour, about 3.3 per 10
    # minutes; four times that allows 14 cards in a window.
    _history(campaign, point, "qr", per_day=160, days=7)
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        for n in range(14):
            _post(client, f"/p/{point.code}", overall="satisfied", addr=f"10.0.1.{n + 1}")
            clock.shift(dt.timedelta(seconds=30))
        assert _bursts() == []
        _post(client, f"/p/{point.code}", overall="satisfied", addr="10.0.1.99")
    [burst] = _bursts()
    assert burst.allowance == 14 and burst.cards == 15
    assert burst.usual_per_hour == pytest.approx(20.0, rel=0.01)


def test_lowest_ratings_beyond_the_usual_are_held_even_at_a_busy_point(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    campaign, point = point_campaign()
    _history(campaign, point, "qr", per_day=160, days=7)
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        for n in range(4):
            _post(client, f"/p/{point.code}", addr=f"10.0.2.{n + 1}")
            clock.shift(dt.timedelta(seconds=40))
        assert _bursts() == []  # four bad reviews in a few minutes: possible, counted
        _post(client, f"/p/{point.code}", addr="10.0.2.50")
    [burst] = _bursts()
    assert (burst.rule, burst.cards, burst.lowest) == ("lowest", 5, 5)
    assert len(_cases("held")) == 5


def test_tickets_of_one_sheet_used_in_a_burst_are_flagged_another_sheet_is_not(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_BURST_MIN_CARDS"] = 5
    campaign, point = point_campaign()
    stack = issue_tickets(campaign, point, 6)
    other = issue_tickets(campaign, point, 2)
    db.session.commit()
    assert len({t.sheet for t, _ in stack}) == 1 and stack[0][0].sheet != other[0][0].sheet
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        for _ticket, token in other[:1] + stack + other[1:]:
            _post(client, f"/t/{token}")
            clock.shift(dt.timedelta(seconds=20))
    rows = responses()
    flagged = {r.ticket_id for r in rows if r.flagged}
    assert flagged == {t.id for t, _ in stack}
    [burst] = _bursts()
    assert (burst.source, burst.channel, burst.cards) == ("sheet", "ticket", 6)


def test_a_reviewed_burst_is_never_taken_back_and_the_next_one_is_new(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_BURST_COUNT"] = 2
    _campaign, point = point_campaign()
    evaluator = gen_user("evaluator")
    desk = app.test_client()
    login(desk, evaluator)
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        for _ in range(3):
            _post(client, f"/p/{point.code}", overall="satisfied")
            clock.shift(dt.timedelta(seconds=10))
        [first] = _bursts()
        desk.post(
            f"/evaluate/campaign/{first.campaign_id}/bursts",
            data={"burst": str(first.id), "decision": "accept", "reason": "一家三口"},
        )
        _post(client, f"/p/{point.code}", overall="satisfied")
    first, second = _bursts()
    assert (first.status, first.cards) == ("accepted", 3)
    assert (second.status, second.cards) == ("held", 1)
    assert [r.flagged for r in responses()] == [False, False, False, True]


def test_bulk_review_of_several_bursts_with_csrf(app, client):
    campaign, point = point_campaign()
    app.config["SURVEY_BURST_COUNT"] = 1
    app.config["SURVEY_POINT_RATE_LIMIT"] = "1000 per minute"
    phone_a, phone_b = app.test_client(), app.test_client()
    with time_machine.travel(_at(utcnow()), tick=False):
        for phone, addr in ((phone_a, "10.9.0.1"), (phone_b, "10.9.0.2")):
            for _ in range(2):
                key = open_card(phone, f"/p/{point.code}")
                token = csrf_token(phone, f"/p/{point.code}")
                data = form_data(valid_answers(instrument(CARD)), key, csrf_token=token)
                phone.post(f"/p/{point.code}", data=data, environ_base={"REMOTE_ADDR": addr})
    bursts = _bursts()
    assert len(bursts) == 2
    evaluator = gen_user("evaluator")
    desk = app.test_client()
    login(desk, evaluator)
    url = f"/evaluate/campaign/{campaign.id}/bursts"
    done = desk.post(
        url,
        data={
            "csrf_token": csrf_token(desk, url),
            "burst": [str(b.id) for b in bursts],
            "decision": "accept",
            "reason": "two families",
        },
    )
    assert done.status_code == 303
    assert [b.status for b in _bursts()] == ["accepted", "accepted"]
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "burst.accept")
    ).scalars()
    assert len(list(events)) == 2
    # Another campaign's evaluator page never reviews this campaign's bursts.
    other_campaign, _p = point_campaign()
    assert desk.get(f"/evaluate/campaign/{other_campaign.id}/bursts").status_code == 200


def test_handlers_and_operators_cannot_review(app, client):
    campaign, _point = point_campaign()
    for role in ("handler", "operator"):
        staff = app.test_client()
        login(staff, gen_user(role))
        assert staff.get(f"/evaluate/campaign/{campaign.id}/bursts").status_code == 403
        assert staff.get(f"/evaluate/campaign/{campaign.id}/anomalies").status_code == 403
    # An evaluator reviews bursts, but a point's last-day cards and lowest ratings are a
    # pool far below k outside the published table: the administrator's.
    evaluator = app.test_client()
    login(evaluator, gen_user("evaluator"))
    assert evaluator.get(f"/evaluate/campaign/{campaign.id}/anomalies").status_code == 403
    assert "anomalies" not in evaluator.get(f"/evaluate/campaign/{campaign.id}/bursts").text


def test_anomalies_per_point_and_device(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    campaign, point = point_campaign()
    device = enrol_tablet(client, point)
    _history(campaign, point, "kiosk", per_day=16, days=7, device_id=device.id)
    with time_machine.travel(_at(utcnow()), tick=False) as clock:
        for _ in range(12):
            _post(client, f"/k/{point.code}")
            clock.shift(dt.timedelta(seconds=10))
        desk = app.test_client()
        login(desk, gen_user("admin"))
        page = desk.get(f"/evaluate/campaign/{campaign.id}/anomalies?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    row = html.split(f'data-device="{device.id}"')[1].split("</tr>")[0]
    # 12 cards in the last hour against a usual of 2 per hour: 6.0 times; all lowest; 1 burst.
    cells = [c.split(">", 1)[1] for c in row.split("<td")[1:]]
    assert cells[3].startswith("12") and cells[4].startswith("2.0") and cells[5].startswith("6.0")
    assert "12 (100%)" in cells[7] and cells[8].startswith("1 (12)")
