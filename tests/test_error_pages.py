"""Every error a page in the reader's language and the site's look; bad input a 400, no change.

Respondent addresses get the respondent's page, staff addresses the workspace's,
the API JSON; HEAD on a respondent address is answered like GET (link previews,
uptime monitors), and nothing the app serves asks to be indexed.
"""

from __future__ import annotations

import pytest
from factories import gen_campaign, gen_invitation, gen_service_point, gen_ticket, gen_user, login
from flask import Flask
from flask.testing import FlaskClient

from survey.extensions import db
from survey.models import ApiToken, Unit

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _staff_look(html: str) -> bool:
    return '<main class="staff">' in html and "staff.css" in html


def _respondent_look(html: str) -> bool:
    return "<main>" in html and "staff.css" not in html


@pytest.mark.parametrize("period", ["9999", "9999-Q4", "9999-12", "0000"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_export_for_a_period_past_the_calendar_is_a_400_page_in_the_staff_look(
    client: FlaskClient, period: str, kind: str
) -> None:
    campaign = gen_campaign()
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}/export.{kind}?period={period}", headers=EN)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert _staff_look(html) and "is not a period" in html and period in html


def test_a_results_page_for_a_bad_period_says_why_in_chinese_not_werkzeugs_english(
    client: FlaskClient,
) -> None:
    campaign = gen_campaign()
    db.session.commit()
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{campaign.id}?period=9999", headers=ZH)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert _staff_look(html) and "Bad Request" not in html
    assert "不是本次测评的时段" in html and "9999" in html


def test_a_404_on_a_staff_page_does_not_speak_of_questionnaires(client: FlaskClient) -> None:
    login(client, gen_user("evaluator"))
    page = client.get("/evaluate/campaign/999999", headers=EN)
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert _staff_look(html) and "questionnaire" not in html and "no page at this address" in html
    respondent = client.get("/p/no-such-point", headers=EN).get_data(as_text=True)
    assert "does not lead to a questionnaire" in respondent and _respondent_look(respondent)


def test_405_and_an_unknown_address_are_pages_in_the_readers_language(client: FlaskClient) -> None:
    page = client.get("/logout", headers=ZH)
    assert page.status_code == 405
    html = page.get_data(as_text=True)
    assert _staff_look(html) and "Method Not Allowed" not in html and "请求无法处理" in html
    unknown = client.get("/nowhere", headers=ZH)
    assert unknown.status_code == 404 and "页面不存在" in unknown.get_data(as_text=True)


def test_a_server_error_is_a_translated_page_in_each_look(app: Flask, client: FlaskClient) -> None:
    """An unexpected failure: the page says nothing was saved, in the site's look."""

    def broken() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/p/broken/now", "broken_respondent", broken)
    app.add_url_rule("/admin/broken/now", "broken_staff", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = client.get("/p/broken/now", headers=EN)
    assert page.status_code == 500
    html = page.get_data(as_text=True)
    assert _respondent_look(html) and "was not saved" in html
    assert "Internal Server Error" not in html
    staff = client.get("/admin/broken/now", headers=ZH)
    assert staff.status_code == 500 and _staff_look(staff.get_data(as_text=True))
    assert page.headers["Cache-Control"] == "no-store"


def test_a_nul_byte_in_a_path_is_a_400_in_the_readers_language(client: FlaskClient) -> None:
    gen_service_point(code="zwfw")
    db.session.commit()
    page = client.get("/p/zwfw%00", headers=EN)
    assert page.status_code == 400
    assert "NUL" in page.get_data(as_text=True)
    assert _respondent_look(page.get_data(as_text=True))


@pytest.mark.parametrize(
    "url, field",
    [("/admin/tokens", "name"), ("/admin/users", "username"), ("/admin/units/{unit}", "name")],
)
def test_a_nul_byte_in_a_staff_form_is_a_400_changing_nothing(
    rapp: Flask, client: FlaskClient, url: str, field: str
) -> None:
    unit = Unit(code="u-nul", name="单位")
    db.session.add(unit)
    db.session.commit()
    admin = gen_user("admin")
    login(client, admin)
    data = {field: "名\x00字", "display_name": "x", "password": "long enough password",
            "role": "evaluator", "code": "u-nul"}
    page = client.post(url.format(unit=unit.id), data=data, headers=EN)
    assert page.status_code == 400 and "NUL" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).name == "单位"
    assert db.session.execute(db.select(ApiToken)).first() is None


@pytest.mark.parametrize("kind", ["p", "k", "t", "i"])
def test_head_on_a_respondent_address_is_answered_like_get(rapp: Flask, kind: str) -> None:
    campaign = gen_campaign()
    point = gen_service_point(campaign.units[0], code="zwfw")
    _ticket, ticket = gen_ticket(campaign, point)
    _invitation, invitation = gen_invitation(campaign, "deputy")
    db.session.commit()
    address = {"p": "zwfw", "k": "zwfw", "t": ticket, "i": invitation}[kind]
    client = rapp.test_client()
    head = client.head(f"/{kind}/{address}")
    assert head.status_code == 200 and head.data == b""
    assert client.get(f"/{kind}/{address}").status_code == 200


@pytest.mark.parametrize("path", ["/i/{token}", "/t/{ticket}", "/f/nope", "/p/zwfw", "/login"])
def test_no_page_asks_to_be_indexed(rapp: Flask, path: str) -> None:
    campaign = gen_campaign()
    point = gen_service_point(campaign.units[0], code="zwfw")
    _ticket, ticket = gen_ticket(campaign, point)
    _invitation, token = gen_invitation(campaign, "deputy")
    db.session.commit()
    page = rapp.test_client().get(path.format(token=token, ticket=ticket))
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in page.get_data(as_text=True)
