"""The set-up screens through the test client: changes audited, refusals change nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from factories import (
    csrf_token,
    gen_campaign,
    gen_group,
    gen_response,
    gen_service_point,
    gen_ticket,
    gen_unit,
    gen_user,
    login,
)
from flask import g
from sqlalchemy import func, select

from survey.access.accounts import authenticate
from survey.extensions import db
from survey.models import (
    ApiToken,
    AuditEvent,
    Campaign,
    CampaignGroup,
    Contact,
    Group,
    Invitation,
    ServicePoint,
    Ticket,
    Unit,
    User,
    utcnow,
)
from survey.results import satisfaction


def _signed_in(client, role: str = "evaluator"):  # type: ignore[no-untyped-def]
    user = gen_user(role)
    login(client, user)
    client.get("/admin/?lang=en")  # English from here on (remembered in a cookie)
    return user


def _post(client, url: str, data: dict, page: str | None = None, **kw):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client, page or url), **data}, **kw)


def _events(action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.execute(query).scalars())


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# --- overview, units, service points -----------------------------------------------------------


def test_overview_links_to_every_screen_by_role(client, app):
    _signed_in(client, "evaluator")
    page = client.get("/admin/").text
    for url in ("/admin/units", "/admin/groups", "/admin/campaigns"):
        assert f'href="{url}"' in page
    assert 'href="/admin/users"' not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    _signed_in(client, "admin")
    page = client.get("/admin/").text
    for url in ("/admin/users", "/admin/tokens", "/admin/audit", "/admin/contacts"):
        assert f'href="{url}"' in page


def test_unit_create_and_edit_are_audited(client, app):
    user = _signed_in(client)
    response = _post(client, "/admin/units/new", {"code": "gaj", "name": "市公安局", "kind": ""})
    assert response.status_code == 302
    unit = db.session.execute(select(Unit).where(Unit.code == "gaj")).scalar_one()
    assert unit.name == "市公安局"
    response = _post(
        client, f"/admin/units/{unit.id}", {"code": "gaj2", "name": "市公安局", "kind": "局"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (unit.code, unit.kind) == ("gaj2", "局")
    created, updated = _events("unit.create"), _events("unit.update")
    assert len(created) == 1 and len(updated) == 1
    assert created[0].actor == user.username and created[0].user_id == user.id
    assert json.loads(created[0].after)["code"] == "gaj"
    assert json.loads(updated[0].before) == {"code": "gaj", "kind": None}
    assert json.loads(updated[0].after) == {"code": "gaj2", "kind": "局"}
    assert "市公安局" in client.get("/admin/units").text


@pytest.mark.parametrize(
    "code, message",
    [("taken", "already used by"), ("bad code!", "is not valid"), ("", "This field is required")],
)
def test_unit_bad_input_is_refused_and_changes_nothing(client, app, code, message):
    gen_unit("taken", "已有单位")
    db.session.commit()
    _signed_in(client)
    response = _post(client, "/admin/units/new", {"code": code, "name": "新单位"})
    assert response.status_code == 200
    assert message in response.text
    assert 'value="新单位"' in response.text  # what was typed is kept
    assert _count(Unit) == 1
    assert _events() == []


def test_service_point_create_edit_and_refusals(client, app):
    unit = gen_unit("zw", "政务中心")
    other = gen_service_point(unit, code="zw-b")
    db.session.commit()
    _signed_in(client)
    data = {"unit_id": unit.id, "code": "zw-a1", "name": "1号窗口"}
    assert _post(client, "/admin/points/new", data).status_code == 302
    point = db.session.execute(
        select(ServicePoint).where(ServicePoint.code == "zw-a1")
    ).scalar_one()
    event = _events("service_point.create")[0]
    assert json.loads(event.after) == {
        "id": point.id,
        "unit_id": unit.id,
        "code": "zw-a1",
        "name": "1号窗口",
    }
    # Another point's code is refused, nothing changes.
    page = _post(client, f"/admin/points/{point.id}", {**data, "code": other.code})
    assert "already used by" in page.text
    db.session.expire_all()
    assert point.code == "zw-a1"
    assert _events("service_point.update") == []
    # Once tickets exist the code is printed on receipts: it cannot change.
    campaign = gen_campaign([unit])
    db.session.commit()
    _post(client, f"/admin/points/{point.id}/tickets", {"campaign_id": campaign.id, "count": 2})
    page = _post(client, f"/admin/points/{point.id}", {**data, "code": "zw-new"})
    assert "cannot change" in page.text
    db.session.expire_all()
    assert point.code == "zw-a1"
    # The name may change, audited with before and after.
    assert (
        _post(client, f"/admin/points/{point.id}", {**data, "name": "一号窗口"}).status_code == 302
    )
    event = _events("service_point.update")[0]
    assert (json.loads(event.before), json.loads(event.after)) == (
        {"name": "1号窗口"},
        {"name": "一号窗口"},
    )


@pytest.mark.parametrize("used_by", ["ticket", "answer"])
def test_a_point_in_use_cannot_move_to_another_unit(client, app, used_by):
    """Its printed codes would collect answers for the wrong unit."""
    unit, other = gen_unit("zw", "政务中心"), gen_unit("ga", "公安局")
    point = gen_service_point(unit, code="zw-a1")
    campaign = gen_campaign([unit])
    db.session.flush()
    if used_by == "ticket":
        gen_ticket(campaign, point)
    else:
        gen_response(campaign).service_point_id = point.id
    db.session.commit()
    _signed_in(client)
    data = {"unit_id": other.id, "code": "zw-a1", "name": point.name}
    page = _post(client, f"/admin/points/{point.id}", data)
    assert page.status_code == 200
    assert "cannot move to another unit" in page.text and "政务中心" in page.text
    db.session.expire_all()
    assert point.unit_id == unit.id
    assert _events("service_point.update") == []


def test_an_unused_point_may_move_to_another_unit(client, app):
    unit, other = gen_unit("zw", "政务中心"), gen_unit("ga", "公安局")
    point = gen_service_point(unit, code="zw-a1")
    db.session.commit()
    _signed_in(client)
    data = {"unit_id": other.id, "code": "zw-a1", "name": point.name}
    assert _post(client, f"/admin/points/{point.id}", data).status_code == 302
    db.session.expire_all()
    assert point.unit_id == other.id
    event = _events("service_point.update")[0]
    assert json.loads(event.after) == {"unit_id": other.id}


def test_poster_and_qr_codes_of_a_point(client, app):
    point = gen_service_point(gen_unit("zw", "政务中心"), code="zw-a1")
    db.session.commit()
    _signed_in(client)
    units = client.get("/admin/units").text
    assert f"/admin/points/{point.id}/poster" in units
    assert f"/admin/points/{point.id}/tickets" in units
    poster = client.get(f"/admin/points/{point.id}/poster")
    assert poster.status_code == 200
    assert "http://survey.test/p/zw-a1" in poster.text and "<svg" in poster.text
    png = client.get(f"/admin/points/{point.id}/qr.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    svg = client.get(f"/admin/points/{point.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def _ticket_page(client):  # type: ignore[no-untyped-def]
    """Point zw-a1 of a unit in an open campaign, an administrator signed in: (campaign, url)."""
    unit = gen_unit("zw", "政务中心")
    point = gen_service_point(unit, code="zw-a1")
    campaign = gen_campaign([unit])
    db.session.commit()
    _signed_in(client)
    return campaign, f"/admin/points/{point.id}/tickets"


def test_ticket_sheet_issues_as_many_real_tickets_as_asked(client, app):
    campaign, url = _ticket_page(client)
    sheet = _post(client, url, {"campaign_id": campaign.id, "count": 7})
    assert sheet.status_code == 200
    assert sheet.headers["Cache-Control"] == "no-store"
    tokens = re.findall(r"http://survey\.test/t/([A-Za-z0-9_-]+)", sheet.text)
    assert len(set(tokens)) == 7
    assert sheet.text.count("<svg") == 7
    assert _count(Ticket) == 7
    event = _events("tickets.issue")[0]
    assert event.campaign_id == campaign.id and json.loads(event.after)["count"] == 7
    # A printed token opens the card.
    assert client.get(f"/t/{tokens[0]}").status_code == 200


def test_ticket_sheet_for_an_80mm_receipt_printer_is_a_pdf_of_real_tickets(client, app):
    import pypdf

    campaign, url = _ticket_page(client)
    assert "80 mm" in client.get(url).text
    pdf = _post(client, url, {"campaign_id": campaign.id, "count": 3, "layout": "80mm"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    assert 'filename="tickets-zw-a1-80mm.pdf"' in pdf.headers["Content-Disposition"]
    pages = pypdf.PdfReader(io.BytesIO(pdf.data)).pages
    assert len(pages) == 3 and round(float(pages[0].mediabox.width) / 72 * 25.4) == 80
    assert _count(Ticket) == 3 and json.loads(_events("tickets.issue")[0].after)["count"] == 3


def test_ticket_sheet_refuses_an_unknown_format_and_issues_nothing(client, app):
    campaign, url = _ticket_page(client)
    page = _post(client, url, {"campaign_id": campaign.id, "count": 3, "layout": "a3"})
    assert page.status_code == 200 and "Not a valid choice" in page.text
    assert _count(Ticket) == 0 and _events() == []


@pytest.mark.parametrize("count, message", [(0, "between 1 and"), (601, "between 1 and")])
def test_ticket_sheet_bad_count_issues_nothing(client, app, count, message):
    unit = gen_unit()
    point = gen_service_point(unit)
    campaign = gen_campaign([unit])
    db.session.commit()
    _signed_in(client)
    url = f"/admin/points/{point.id}/tickets"
    page = _post(client, url, {"campaign_id": campaign.id, "count": count})
    assert message in page.text
    assert _count(Ticket) == 0 and _events() == []


def test_ticket_sheet_refuses_a_closed_campaign(client, app):
    unit = gen_unit()
    point = gen_service_point(unit)
    today = utcnow().date()
    campaign = gen_campaign(
        [unit], period_start=today - dt.timedelta(days=60), period_end=today - dt.timedelta(days=1)
    )
    db.session.commit()
    _signed_in(client)
    page = _post(
        client, f"/admin/points/{point.id}/tickets", {"campaign_id": campaign.id, "count": 3}
    )
    assert "is closed" in page.text
    assert _count(Ticket) == 0 and _events() == []


def test_ticket_sheet_refuses_a_campaign_without_the_points_unit(client, app):
    unit, elsewhere = gen_unit(), gen_unit()
    point = gen_service_point(unit)
    gen_campaign([unit])
    campaign = gen_campaign([elsewhere])
    db.session.commit()
    _signed_in(client)
    url = f"/admin/points/{point.id}/tickets"
    page = _post(client, url, {"campaign_id": campaign.id, "count": 3})
    assert page.status_code == 200
    assert "Not a valid choice" in page.text  # only the unit's campaigns are offered
    assert _count(Ticket) == 0


# --- groups ------------------------------------------------------------------------------------


def test_add_and_reorder_groups(client, app):
    gen_group("deputy")
    gen_group("cppcc")
    db.session.commit()
    _signed_in(client)
    page = client.get("/admin/groups").text
    assert 'value="expert"' in page and 'value="deputy"' not in page  # only missing ones offered
    assert _post(client, "/admin/groups", {"code": "expert"}).status_code == 302
    # A group that exists cannot be added twice.
    page = _post(client, "/admin/groups", {"code": "deputy"})
    assert "exists already" in page.text
    assert _count(Group) == 3
    expert = db.session.execute(select(Group).where(Group.code == "expert")).scalar_one()
    response = _post(
        client, f"/admin/groups/{expert.id}/move", {"direction": "up"}, page="/admin/groups"
    )
    assert response.status_code == 302
    order = db.session.execute(select(Group.code).order_by(Group.position)).scalars().all()
    assert order == ["deputy", "expert", "cppcc"]
    event = _events("group.reorder")[0]
    assert json.loads(event.before) == {"order": ["deputy", "cppcc", "expert"]}
    assert json.loads(event.after) == {"order": ["deputy", "expert", "cppcc"]}
    # The first cannot move further up: refused, order unchanged.
    deputy = db.session.execute(select(Group).where(Group.code == "deputy")).scalar_one()
    _post(client, f"/admin/groups/{deputy.id}/move", {"direction": "up"}, page="/admin/groups")
    assert "already at that end" in client.get("/admin/groups").text
    assert db.session.execute(select(Group.code).order_by(Group.position)).scalars().all() == order


# --- campaigns ---------------------------------------------------------------------------------


@pytest.fixture
def setting(app):
    """Two units and three groups, ready for a campaign form."""
    units = [gen_unit("A", "单位甲"), gen_unit("B", "单位乙")]
    for code in ("deputy", "expert", "service_user"):
        gen_group(code)
    db.session.commit()
    return units


def _campaign_form(units, **overrides) -> dict:
    groups = {
        "deputy": ("stakeholder-evaluation", "2", "500", "30"),
        "expert": ("stakeholder-evaluation", "1", "", ""),
        "service_user": ("post-service-card", "1", "", "100"),
    }
    data = {
        "code": "2030",
        "name": "2030年度测评",
        "period_start": "2030-01-01",
        "period_end": "2030-12-31",
        "opens_at": "2030-01-01T08:00",
        "closes_at": "",
        "timezone": "Asia/Shanghai",
        "unit_ids": [str(u.id) for u in units],
        "point_group": "service_user",
        "channels": ["qr", "link", "phone"],
        "call_from": "09:00",
        "call_until": "20:00",
        "max_attempts": "6",
        "lunch_from": "12:00",
        "lunch_until": "13:30",
        "evening_from": "18:00",
        "max_messages": "2",
        "refusal_conversion": "y",
        "followup_days": "5",
    }
    order = db.session.execute(select(Group.code).order_by(Group.position)).scalars().all()
    for i, code in enumerate(order):
        data[f"groups-{i}-code"] = code
        if code in groups:
            instrument, weight, population, target = groups[code]
            data.update(
                {
                    f"groups-{i}-included": "y",
                    f"groups-{i}-instrument_id": instrument,
                    f"groups-{i}-weight": weight,
                    f"groups-{i}-population": population,
                    f"groups-{i}-target": target,
                }
            )
    data.update(overrides)
    return data


def _group_field(code: str, name: str) -> str:
    order = db.session.execute(select(Group.code).order_by(Group.position)).scalars().all()
    return f"groups-{order.index(code)}-{name}"


def test_campaign_create_stores_every_setting_and_audits(client, app, setting):
    user = _signed_in(client)
    page = client.get("/admin/campaigns/new")
    assert page.status_code == 200 and "admin-weights.js" in page.text
    response = _post(client, "/admin/campaigns/new", _campaign_form(setting))
    assert response.status_code == 302, response.text
    campaign = db.session.execute(select(Campaign).where(Campaign.code == "2030")).scalar_one()
    # 08:00 in Shanghai (UTC+8) is stored as 00:00 UTC, naive.
    assert campaign.opens_at == dt.datetime(2030, 1, 1, 0, 0)
    assert campaign.closes_at is None
    assert campaign.channel_list() == ["qr", "link", "phone"]
    assert (campaign.lunch_from, campaign.lunch_until, campaign.evening_from) == (
        "12:00",
        "13:30",
        "18:00",
    )
    assert (campaign.max_messages, campaign.refusal_conversion) == (2, True)
    assert [u.code for u in campaign.units] == ["A", "B"]
    assert campaign.point_group.code == "service_user"
    settings = {s.group.code: s for s in campaign.groups}
    assert set(settings) == {"deputy", "expert", "service_user"}
    assert (
        settings["deputy"].weight,
        settings["deputy"].population,
        settings["deputy"].target,
    ) == (
        2.0,
        500,
        30,
    )
    assert settings["expert"].population is None
    event = _events("campaign.create")[0]
    assert event.campaign_id == campaign.id and event.actor == user.username
    after = json.loads(event.after)
    assert after["groups"]["deputy"] == {
        "instrument_id": "stakeholder-evaluation",
        "by_channel": {},
        "weight": 2.0,
        "population": 500,
        "target": 30,
    }
    # The edit page shows the time back on the campaign's clock, and the shares 2/4, 1/4, 1/4.
    page = client.get(f"/admin/campaigns/{campaign.id}").text
    assert 'value="2030-01-01T08:00"' in page
    assert page.count("50.0%") == 1 and page.count("25.0%") == 2


@pytest.mark.parametrize(
    "weights, message",
    [
        (("-1", "1", "1"), "negative weight"),
        (("0", "0", "0"), "at least one group needs a weight above zero"),
        (("2", "", "1"), "have no weight while other groups have one"),
        (("abc", "1", "1"), "Not a number"),
        (("inf", "1", "1"), "Not a number"),
        (("1e308", "1e308", "1"), "Weights must be at most 1,000,000"),
    ],
)
def test_invalid_weights_are_refused_and_change_nothing(client, app, setting, weights, message):
    campaign = gen_campaign(setting, groups={"deputy": {"weight": 1.0}, "expert": {"weight": 1.0}})
    campaign.opens_at = utcnow() + dt.timedelta(days=30)
    db.session.commit()
    _signed_in(client)
    data = _campaign_form(setting, code=campaign.code)
    for code, weight in zip(("deputy", "expert", "service_user"), weights, strict=True):
        data[_group_field(code, "weight")] = weight
    url = f"/admin/campaigns/{campaign.id}"
    page = _post(client, url, data)
    assert page.status_code == 200
    assert message in page.text
    db.session.expire_all()
    assert {s.group.code: s.weight for s in campaign.groups} == {"deputy": 1.0, "expert": 1.0}
    assert campaign.name != "2030年度测评"
    assert _events() == []


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "population, target, messages",
    [
        (HUGE, "", ("The population of", "must be at most 1000000000")),
        ("1000000001", "", ("The population of", "must be at most 1000000000")),
        ("", HUGE, ("The target sample size of", "must be at most 1000000000")),
        ("500", "501", ("(501) is larger than its population N (500)",)),
    ],
)
def test_population_and_target_are_bounded(client, app, setting, population, target, messages):
    """A number too big for the database is refused with a message, not a server error."""
    _signed_in(client)
    data = _campaign_form(setting)
    data[_group_field("deputy", "population")] = population
    data[_group_field("deputy", "target")] = target
    page = _post(client, "/admin/campaigns/new", data)
    assert page.status_code == 200
    assert all(message in page.text for message in messages), messages
    assert _count(Campaign) == 0 and _events() == []
    # A target equal to the population is a census: allowed.
    data[_group_field("deputy", "population")] = data[_group_field("deputy", "target")] = "500"
    assert _post(client, "/admin/campaigns/new", data).status_code == 302


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"period_end": "2029-12-31"}, "The period ends before it starts."),
        ({"closes_at": "2029-12-31T00:00"}, "closes before it opens"),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"unit_ids": []}, "at least one unit"),
        ({"channels": []}, "at least one channel"),
        ({"call_from": "9 am"}, "Calling hours"),
        ({"lunch_until": "1 pm"}, "Calling hours"),
        ({"max_messages": "7"}, "Voicemail messages per person"),
        ({"point_group": "deputy", "groups-2-included": ""}, "at least one respondent group"),
        ({"code": "x y"}, "is not valid"),
    ],
)
def test_bad_campaign_input_is_refused(client, app, setting, overrides, message):
    _signed_in(client)
    data = _campaign_form(setting, **overrides)
    if "groups-2-included" in overrides:
        for key in list(data):
            if key.endswith("-included"):
                data[key] = ""
    page = _post(client, "/admin/campaigns/new", data)
    assert page.status_code == 200
    assert message in page.text
    assert _count(Campaign) == 0 and _count(CampaignGroup) == 0
    assert _events() == []


def test_weights_changed_after_fieldwork_started_are_recorded_with_the_campaign(
    client, app, setting
):
    campaign = gen_campaign(
        setting,
        groups={
            "deputy": {"weight": 2.0, "population": 500},
            "expert": {"weight": 1.0},
            "service_user": {"weight": 1.0},
        },
    )
    db.session.flush()
    gen_response(campaign, group="service_user", answers={"overall": "satisfied"})
    db.session.commit()
    _signed_in(client)
    url = f"/admin/campaigns/{campaign.id}"
    assert "Fieldwork has started" in client.get(url).text
    data = _campaign_form(setting, code=campaign.code, name=campaign.name, opens_at="")
    data[_group_field("deputy", "weight")] = "3"
    data[_group_field("deputy", "population")] = "600"
    data[_group_field("deputy", "target")] = ""
    data[_group_field("service_user", "target")] = ""
    data["period_start"] = campaign.period_start.isoformat()
    data["period_end"] = campaign.period_end.isoformat()
    response = _post(client, url, data, follow_redirects=True)
    assert "the results will say which settings they used" in response.text
    event = _events("campaign.weights_after_start")[0]
    assert event.campaign_id == campaign.id
    assert json.loads(event.before)["deputy"] == {"weight": 2.0, "population": 500}
    assert json.loads(event.after)["deputy"] == {"weight": 3.0, "population": 600}
    assert json.loads(event.after)["expert"] == {"weight": 1.0, "population": None}
    update = _events("campaign.update")[0]
    assert update.campaign_id == campaign.id
    assert json.loads(update.before)["groups"]["deputy"]["weight"] == 2.0
    # A change before fieldwork starts is audited as an update only.
    later = gen_campaign(setting, groups={"deputy": {"weight": 1.0}})
    later.opens_at = utcnow() + dt.timedelta(days=10)
    db.session.commit()
    assert "Fieldwork has started" not in client.get(f"/admin/campaigns/{later.id}").text
    data = _campaign_form(setting, code=later.code, opens_at="2099-01-01T00:00")
    assert _post(client, f"/admin/campaigns/{later.id}", data).status_code == 302
    assert len(_events("campaign.weights_after_start")) == 1
    assert _events("campaign.update")[-1].campaign_id == later.id


def test_a_group_with_answers_cannot_leave_its_campaign(client, app, setting):
    campaign = gen_campaign(setting, groups={"service_user": {}, "deputy": {}})
    db.session.flush()
    gen_response(campaign, group="service_user", answers={"overall": "satisfied"})
    db.session.commit()
    _signed_in(client)
    data = _campaign_form(setting, code=campaign.code, point_group="")
    data[_group_field("service_user", "included")] = ""
    page = _post(client, f"/admin/campaigns/{campaign.id}", data)
    assert "cannot leave the campaign" in page.text
    db.session.expire_all()
    assert {s.group.code for s in campaign.groups} == {"service_user", "deputy"}
    assert _events() == []


# --- contact import ----------------------------------------------------------------------------


@pytest.fixture
def invite_setting(app):
    unit = gen_unit("A", "单位甲")
    campaign = gen_campaign([unit], groups={"deputy": {}})
    db.session.commit()
    return campaign, unit


def _upload(client, campaign, unit, text: str, **extra):  # type: ignore[no-untyped-def]
    data = {
        "campaign_id": campaign.id,
        "group_code": "deputy",
        "unit_id": unit.id,
        "channel": "link",
        "deliver": "page",
        "contacts": (io.BytesIO(text.encode("utf-8")), "contacts.csv"),
        **extra,
    }
    return _post(client, "/admin/contacts", data, content_type="multipart/form-data")


def test_contact_import_is_all_or_nothing_with_line_numbers(client, app, invite_setting):
    campaign, unit = invite_setting
    _signed_in(client, "admin")
    bad = "姓名,手机号\n张三,13800138000\n,13800138001\n李四,12345\n"
    page = _upload(client, campaign, unit, bad)
    assert page.status_code == 200
    assert "Nothing imported: 2 problem(s)." in page.text
    assert "line 3: the name is empty" in page.text
    assert "line 4:" in page.text
    assert _count(Contact) == 0 and _count(Invitation) == 0 and _events() == []


def test_contact_import_success_shows_links_once_and_audits(client, app, invite_setting):
    campaign, unit = invite_setting
    _signed_in(client, "admin")
    good = "姓名,手机号,工作单位\n张三,13800138000,市人大\n李四,13800138001,\n"
    page = _upload(client, campaign, unit, good)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "2 invitations created" in page.text
    links = re.findall(r"http://survey\.test/i/[A-Za-z0-9_-]+", page.text)
    assert len(set(links)) == 2
    assert _count(Invitation) == 2
    event = _events("contacts.import")[0]
    assert event.campaign_id == campaign.id
    assert json.loads(event.after)["invitations"] == 2
    # The same people again: refused as already invited, nothing added.
    page = _upload(client, campaign, unit, good)
    assert "already has an invitation" in page.text and "line 2" in page.text
    assert _count(Invitation) == 2


def test_contact_import_refuses_a_channel_the_campaign_does_not_use(client, app, invite_setting):
    campaign, unit = invite_setting
    campaign.channels = "qr link"
    db.session.commit()
    _signed_in(client, "admin")
    page = _upload(client, campaign, unit, "姓名,手机号\n张三,13800138000\n", channel="sms")
    assert page.status_code == 200
    assert f"campaign {campaign.name} ({campaign.code}) does not use the channel SMS link" in (
        page.text
    )
    assert _count(Contact) == 0 and _count(Invitation) == 0 and _events() == []


def _long_contact_list(min_bytes: int) -> str:
    """A contacts CSV of at least ``min_bytes`` (UTF-8): long organisation names, no phones."""
    organisation = ("省人民代表大会常务委员会教育科学文化卫生委员会" * 9)[:190]
    rows, size, n = ["姓名,工作单位"], 0, 0
    while size < min_bytes:
        n += 1
        rows.append(f"代表{n},{organisation}")
        size += len(rows[-1].encode("utf-8")) + 1
    return "\n".join(rows) + "\n"


def test_contact_list_above_the_form_limit_imports(client, app, invite_setting):
    """A list of several hundred people is more than the 256 KiB every other form takes."""
    campaign, unit = invite_setting
    _signed_in(client, "admin")
    text = _long_contact_list(300 * 1024)
    assert len(text.encode("utf-8")) > app.config["MAX_CONTENT_LENGTH"]
    page = _upload(client, campaign, unit, text)
    assert page.status_code == 200, page.text[:300]
    rows = text.count("\n") - 1
    assert f"{rows} invitations created" in page.text
    assert _count(Invitation) == rows
    # Every other form keeps the small limit.
    page = _post(client, "/admin/units/new", {"code": "big", "name": "x" * 300 * 1024})
    assert page.status_code == 413 and "Too much text" in page.text
    assert _count(Unit) == 1


def test_contact_list_above_its_own_limit_says_the_limit_and_the_command(
    client, app, invite_setting
):
    campaign, unit = invite_setting
    app.config["SURVEY_CONTACTS_MAX_BYTES"] = 300 * 1024
    _signed_in(client, "admin")
    page = _upload(client, campaign, unit, _long_contact_list(310 * 1024))
    assert page.status_code == 413
    assert "File too large" in page.text and "300 KiB" in page.text
    assert "flask survey invite" in page.text
    assert _count(Invitation) == 0 and _events() == []


def test_the_larger_upload_limit_is_only_for_those_who_may_upload(client, app, invite_setting):
    """Nobody makes the server read megabytes for a page that refuses them anyway."""
    campaign, unit = invite_setting
    data = {"contacts": (io.BytesIO(b"x" * 300 * 1024), "contacts.csv")}
    for role in (None, "evaluator"):
        if role:
            _signed_in(client, role)
        page = client.post("/admin/contacts", data=dict(data), content_type="multipart/form-data")
        assert page.status_code == 413, role
        data["contacts"] = (io.BytesIO(b"x" * 300 * 1024), "contacts.csv")


def test_contact_import_as_csv_for_a_mail_merge(client, app, invite_setting):
    campaign, unit = invite_setting
    _signed_in(client, "admin")
    response = _upload(client, campaign, unit, "name\n王五\n", deliver="csv")
    assert response.mimetype == "text/csv"
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "name,organisation,unit,link"
    assert lines[1].startswith("王五,,单位甲,http://survey.test/i/")


# --- users, tokens, audit ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/admin/users", "/admin/tokens", "/admin/audit", "/admin/contacts"]
)
def test_admin_only_screens_refuse_an_evaluator(client, app, url):
    _signed_in(client, "evaluator")
    assert client.get(url).status_code == 403


def test_users_add_deactivate_reactivate_and_reset_password(client, app):
    admin = _signed_in(client, "admin")
    unit = gen_unit("A", "单位甲")
    db.session.commit()
    data = {
        "username": "handler1",
        "display_name": "王处长",
        "role": "handler",
        "unit_id": unit.id,
        "password": "a long password",
    }
    assert _post(client, "/admin/users", data).status_code == 302
    user = db.session.execute(select(User).where(User.username == "handler1")).scalar_one()
    assert user.unit_id == unit.id
    event = _events("user.create")[-1]
    assert event.actor == admin.username and "password_hash" not in event.after
    page = client.get("/admin/users").text
    assert "handler1" in page and user.password_hash not in page and "scrypt" not in page

    _post(client, f"/admin/users/{user.id}/active", {"active": "0"}, page="/admin/users")
    db.session.expire_all()
    assert user.active is False
    assert authenticate("handler1", "a long password") is None
    _post(client, f"/admin/users/{user.id}/active", {"active": "1"}, page="/admin/users")
    db.session.expire_all()
    assert user.active is True
    deactivated, reactivated = _events("user.deactivate")[0], _events("user.reactivate")[0]
    assert json.loads(deactivated.before) == {"active": True}
    assert json.loads(reactivated.after) == {"active": True}

    _post(client, f"/admin/users/{user.id}/password", {"password": "short"}, page="/admin/users")
    assert "at least 10 characters" in client.get("/admin/users").text
    assert authenticate("handler1", "a long password") is not None
    db.session.rollback()
    _post(
        client,
        f"/admin/users/{user.id}/password",
        {"password": "another long one"},
        page="/admin/users",
    )
    assert authenticate("handler1", "another long one") is not None
    db.session.rollback()
    assert json.loads(_events("user.password_reset")[0].after) == {"password": "changed"}


def _other_client(app):  # type: ignore[no-untyped-def]
    """A second browser; the test's app context is shared, so no CSRF token of another client."""
    g.pop("csrf_token", None)
    return app.test_client()


def _switch() -> None:
    g.pop("csrf_token", None)


def test_a_password_reset_signs_the_account_out_everywhere(client, app):
    """Whoever knew the old password is signed out; the admin who reset it is not."""
    _signed_in(client, "admin")
    user = gen_user("evaluator")
    elsewhere = _other_client(app)
    login(elsewhere, user)
    assert elsewhere.get("/evaluate/").status_code == 200
    _switch()
    page = "/admin/users"
    _post(client, f"/admin/users/{user.id}/password", {"password": "a new long one"}, page)
    assert "The password of" in client.get("/admin/users").text
    response = elsewhere.get("/evaluate/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    _switch()
    login(elsewhere, user, "a new long one")  # the new password signs in
    assert elsewhere.get("/evaluate/").status_code == 200


def test_a_role_change_signs_the_account_out(client, app):
    _signed_in(client, "admin")
    user = gen_user("evaluator")
    elsewhere = _other_client(app)
    login(elsewhere, user)
    _switch()
    data = {"display_name": "", "role": "operator", "unit_id": 0}
    assert _post(client, f"/admin/users/{user.id}", data).status_code == 302
    response = elsewhere.get("/evaluate/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # A change of the display name alone keeps the sessions.
    _switch()
    login(elsewhere, user)
    _switch()
    data = {"display_name": "王五", "role": "operator", "unit_id": 0}
    assert _post(client, f"/admin/users/{user.id}", data).status_code == 302
    assert elsewhere.get("/operator/").status_code == 200


def test_resetting_ones_own_password_keeps_this_session_only(client, app):
    admin = _signed_in(client, "admin")
    elsewhere = _other_client(app)
    login(elsewhere, admin)
    _switch()
    page = "/admin/users"
    _post(client, f"/admin/users/{admin.id}/password", {"password": "a new long one"}, page)
    assert "The password of" in client.get("/admin/users").text
    assert elsewhere.get("/admin/users").status_code == 302


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"password": "short"}, "at least 10 characters"),
        ({"role": "handler", "unit_id": 0}, "A handler needs the unit"),
        ({"username": "ADMIN-TAKEN"}, "is taken"),
    ],
)
def test_bad_user_is_refused_with_the_account_message(client, app, overrides, message):
    gen_user("admin", username="admin-taken")
    _signed_in(client, "admin")
    before = _count(User)
    data = {"username": "new", "role": "evaluator", "unit_id": 0, "password": "long enough pw"}
    page = _post(client, "/admin/users", {**data, **overrides})
    assert page.status_code == 200 and message in page.text
    assert _count(User) == before and _events() == []


def test_nobody_deactivates_themselves(client, app):
    admin = _signed_in(client, "admin")
    _post(client, f"/admin/users/{admin.id}/active", {"active": "0"}, page="/admin/users")
    assert "cannot deactivate your own account" in client.get("/admin/users").text
    db.session.expire_all()
    assert admin.active is True and _events() == []


def test_api_token_shown_once_and_revoked(client, app):
    _signed_in(client, "admin")
    page = _post(client, "/admin/tokens", {"name": "考评系统"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    token = re.search(
        r'<section class="card" id="new-token">.*?<code>([^<]+)</code>', page.text, re.S
    )
    assert token
    row = db.session.execute(select(ApiToken)).scalar_one()
    assert row.created_by_id is not None and token.group(1) not in row.token_hash
    assert (
        client.get(
            "/api/v1/campaigns", headers={"Authorization": f"Bearer {token.group(1)}"}
        ).status_code
        == 200
    )
    assert token.group(1) not in client.get("/admin/tokens").text  # never again
    _post(client, f"/admin/tokens/{row.id}/revoke", {}, page="/admin/tokens")
    db.session.expire_all()
    assert row.revoked_at is not None
    assert (
        client.get(
            "/api/v1/campaigns", headers={"Authorization": f"Bearer {token.group(1)}"}
        ).status_code
        == 401
    )
    assert [e.action for e in _events()] == ["api_token.create", "api_token.revoke"]
    assert "token_hash" not in _events()[0].after


def test_audit_trail_filters_newest_first_pages_and_diffs(client, app):
    admin = _signed_in(client, "admin")
    unit = gen_unit("A", "单位甲")
    campaign = gen_campaign([unit])
    db.session.commit()
    from survey.access.audit import record_audit

    for i in range(55):
        record_audit(
            "unit.update",
            "unit",
            unit.id,
            before={"name": f"n{i}"},
            after={"name": f"n{i + 1}"},
            user=admin,
        )
    record_audit(
        "campaign.update",
        "campaign",
        campaign.id,
        before={"groups": {"deputy": {"weight": 1.0}}},
        after={"groups": {"deputy": {"weight": 2.0}}},
        campaign_id=campaign.id,
        user=admin,
    )
    db.session.commit()
    page = client.get("/admin/audit").text
    assert "111 events" not in page and "56 events" in page
    first = re.findall(r'data-action="([^"]+)"', page)
    assert first[0] == "campaign.update" and len(first) == 50  # newest first, 50 a page
    assert "groups.deputy.weight" in page and "<del>1.0</del>" in page and "<ins>2.0</ins>" in page
    assert len(re.findall(r"data-event=", client.get("/admin/audit?page=2").text)) == 6
    filtered = client.get(f"/admin/audit?campaign={campaign.id}").text
    assert re.findall(r'data-action="([^"]+)"', filtered) == ["campaign.update"]
    by_action = client.get("/admin/audit?action=unit.update").text
    assert "55 events" in by_action
    assert "0 events" in client.get("/admin/audit?actor=nobody").text


def test_absurd_numbers_in_addresses_are_not_server_errors(client, app):
    """Too big for the database, or digits int() refuses: a 404 or the last page, never a 500."""
    _signed_in(client, "admin")
    for url in (
        f"/admin/audit?campaign={HUGE}",
        "/admin/audit?campaign=²",
        "/admin/audit?page=²",
        "/admin/audit?page=0",
        f"/admin/units/{HUGE}",
        f"/admin/points/{HUGE}",
        f"/admin/campaigns/{HUGE}",
        f"/admin/users/{HUGE}",
        f"/evaluate/campaign/{HUGE}",
    ):
        assert client.get(url).status_code == 404, url
    for page in (HUGE, "9" * 5000, "3"):
        response = client.get(f"/admin/audit?page={page}&action=unit.update")
        assert response.status_code == 302, page
        assert response.headers["Location"] == "/admin/audit?page=1&action=unit.update"
    assert client.get("/admin/points/new?unit=²").status_code == 200
    assert client.get(f"/admin/points/new?unit={HUGE}").status_code == 200


def test_every_set_up_page_renders_in_the_default_language(app):
    """Chinese is the default: every GET page of the set-up renders (lazy strings, filters)."""
    unit = gen_unit("A", "单位甲")
    point = gen_service_point(unit, code="A-1")
    campaign = gen_campaign([unit])
    db.session.commit()
    client = app.test_client()
    login(client, gen_user("admin"))
    for url in (
        "/admin/",
        "/admin/units",
        "/admin/units/new",
        f"/admin/units/{unit.id}",
        "/admin/points/new",
        f"/admin/points/{point.id}",
        f"/admin/points/{point.id}/tickets",
        "/admin/groups",
        "/admin/campaigns",
        "/admin/campaigns/new",
        f"/admin/campaigns/{campaign.id}",
        "/admin/contacts",
        "/admin/users",
        "/admin/tokens",
        "/admin/audit",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert '<html lang="zh' in page.text, url


def test_admin_changes_a_role_and_unit_and_the_trail_keeps_before_and_after(client, app):
    admin = _signed_in(client, "admin")
    unit = gen_unit("B", "单位乙")
    user = gen_user("evaluator", username="eva")
    db.session.commit()
    page = client.get(f"/admin/users/{user.id}")
    assert page.status_code == 200 and 'value="eva"' not in page.text  # the username is fixed
    assert f"/admin/users/{user.id}" in client.get("/admin/users").text

    _post(
        client,
        f"/admin/users/{user.id}",
        {"display_name": " 李  科长 ", "role": "handler", "unit_id": unit.id},
        page=f"/admin/users/{user.id}",
    )
    db.session.expire_all()
    assert (user.role, user.unit_id, user.display_name) == ("handler", unit.id, "李 科长")
    event = _events("user.update")[-1]
    assert event.actor == admin.username
    assert json.loads(event.before)["role"] == "evaluator"
    assert json.loads(event.after)["unit_id"] == unit.id

    # Back to evaluator: the unit goes with the handler role.
    _post(
        client,
        f"/admin/users/{user.id}",
        {"display_name": "李 科长", "role": "evaluator", "unit_id": unit.id},
        page=f"/admin/users/{user.id}",
    )
    db.session.expire_all()
    assert (user.role, user.unit_id) == ("evaluator", None)
    # Saving without a change writes no event.
    count = len(_events("user.update"))
    _post(
        client,
        f"/admin/users/{user.id}",
        {"display_name": "李 科长", "role": "evaluator", "unit_id": 0},
        page=f"/admin/users/{user.id}",
    )
    assert len(_events("user.update")) == count


@pytest.mark.parametrize(
    "target, data, message",
    [
        ("self", {"role": "evaluator", "unit_id": 0}, "from your own account"),
        ("other", {"role": "handler", "unit_id": 0}, "A handler needs the unit"),
        ("other", {"role": "wizard", "unit_id": 0}, "Not a valid choice"),
    ],
)
def test_a_role_change_that_would_lock_the_workspace_is_refused(client, app, target, data, message):
    admin = _signed_in(client, "admin")
    other = gen_user("evaluator", username="other")
    db.session.commit()
    user = admin if target == "self" else other
    before = (user.role, user.unit_id)
    page = _post(client, f"/admin/users/{user.id}", {"display_name": "", **data})
    page = client.get(page.headers["Location"]) if page.status_code == 302 else page
    assert message in page.text
    db.session.expire_all()
    assert (user.role, user.unit_id) == before and _events("user.update") == []


def test_the_last_active_admin_stays_an_admin(app):
    from flask_babel import force_locale

    from survey import setup as service

    only = gen_user("admin", username="only-admin")
    second = gen_user("admin", username="second-admin")
    db.session.commit()
    service.set_user_active(second, False, by=only)
    with force_locale("en"), pytest.raises(service.SetupError, match="last active administrator"):
        service.update_user(only, display_name="", role="evaluator", unit=None, by=second)
    db.session.expire_all()
    assert only.role == "admin"


def test_population_weighting_is_chosen_per_campaign_and_published(client, app, setting):
    _signed_in(client)
    data = _campaign_form(setting, weighting="population")
    # expert and service_user have no population in the form: refused, nothing saved
    page = _post(client, "/admin/campaigns/new", data)
    assert page.status_code == 200
    assert "Population weighting needs the population N of every surveyed group" in page.text
    assert db.session.execute(select(Campaign)).first() is None
    data[_group_field("expert", "population")] = "80"
    data[_group_field("service_user", "population")] = "20000"
    assert _post(client, "/admin/campaigns/new", data).status_code == 302
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert campaign.weighting == "population"
    # The published figures then weight by N_h/N: deputies 500, service users 20000 of the
    # 20500 whose groups answered (the experts did not answer at this unit).
    unit = campaign.units[0]
    campaign.opens_at = None
    for value in ("very_satisfied",) * 5:
        gen_response(campaign, unit=unit, group="deputy", answers={"overall": value})
    for value in ("basically_satisfied",) * 5:
        gen_response(campaign, unit=unit, group="service_user", answers={"overall": value})
    db.session.commit()
    (row,) = satisfaction(campaign, indicator="satisfaction.overall", units=unit.id, k=5)
    assert dict(row.weights) == pytest.approx({"deputy": 500 / 20500,
                                               "service_user": 20000 / 20500})
    assert row.index.estimate == pytest.approx((500 * 100 + 20000 * 50) / 20500)
    assert "population" in row.weighting
