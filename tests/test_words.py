"""Words people read: one msgid, one meaning, and "optional" said once (issue 11, Words).

The campaign list said 待整改 ("awaiting remedy") for an open campaign because the
msgid "open" was shared with the follow-up status; 姓名 (a person's name) labelled
the names of units, points and campaigns; "Reached" was translated 已联系
("contacted") where it is the share of the target; optional questions said
"（选填） (选填)". These tests read the pages as their readers do.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from factories import (
    gen_campaign,
    gen_followup_case,
    gen_service_point,
    gen_unit,
    gen_user,
    login,
)
from test_operator_console import _answer, _case, _claim, _sign_in

from survey.extensions import db
from survey.models import utcnow


def _staff(client, role: str, lang: str):  # type: ignore[no-untyped-def]
    login(client, gen_user(role))
    client.get(f"/admin/?lang={lang}")


def _campaign_row(page: str, code: str) -> str:
    found = re.search(rf'<tr data-campaign="{code}">.*?</tr>', page, re.S)
    assert found, code
    return found.group(0)


def test_a_campaigns_state_is_not_a_follow_up_status(app, client):
    today = utcnow().date()
    running = gen_campaign()
    future = gen_campaign(
        period_start=today + dt.timedelta(days=10), period_end=today + dt.timedelta(days=40)
    )
    past = gen_campaign(
        period_start=today - dt.timedelta(days=40), period_end=today - dt.timedelta(days=10)
    )
    db.session.commit()
    _staff(client, "admin", "zh_Hans")
    page = client.get("/admin/campaigns").text
    assert "待整改" not in page
    assert "进行中" in _campaign_row(page, running.code)
    assert "未开始" in _campaign_row(page, future.code)
    assert "已结束" in _campaign_row(page, past.code)
    assert "<th>名称</th>" in page and "姓名" not in page
    client.get("/admin/campaigns?lang=en")
    english = client.get("/admin/campaigns").text
    assert "not yet open" in _campaign_row(english, future.code)


def test_a_follow_up_case_is_still_awaiting_remedy(app, client):
    case = gen_followup_case()
    _staff(client, "evaluator", "zh_Hans")
    listing = client.get(f"/evaluate/follow-up?campaign={case.campaign_id}").text
    assert "待整改" in listing and "进行中" not in listing
    page = client.get(f"/evaluate/follow-up/{case.id}").text
    assert re.search(r'<strong id="state">待整改</strong>', page)


@pytest.mark.parametrize(
    ("lang", "unit", "point", "campaign"),
    [
        ("zh_Hans", "单位名称", "服务点名称", "测评活动名称"),
        ("zh_Hant", "單位名稱", "服務點名稱", "測評活動名稱"),
        ("en", "Unit name", "Service point name", "Campaign name"),
    ],
)
def test_things_have_names_people_have_姓名(app, client, lang, unit, point, campaign):
    gen_unit()
    db.session.commit()
    _staff(client, "admin", lang)
    assert unit in client.get("/admin/units/new").text
    assert point in client.get("/admin/points/new").text
    assert campaign in client.get("/admin/campaigns/new").text
    for url in ("/admin/units/new", "/admin/points/new", "/admin/campaigns/new"):
        assert not re.search(r'<label for="name">姓名', client.get(url).text), url
    assert "姓名" not in client.get("/admin/tokens").text


def test_the_share_of_the_target_is_not_contacted(app, client):
    gen_campaign(groups={"service_user": {"target": 10}})
    db.session.commit()
    _staff(client, "admin", "zh_Hans")
    page = client.get("/evaluate/fieldwork").text
    assert "已联系" not in page
    assert page.count("目标完成率") == 2  # per group, and per unit and group


OPTIONAL = {"zh_Hans": "（选填）", "zh_Hant": "（選填）", "en": "(optional)"}


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_an_optional_question_says_so_once_on_the_card(app, client, lang):
    point = gen_service_point()
    gen_campaign([point.unit])
    db.session.commit()
    page = client.get(f"/p/{point.code}?lang={lang}").text
    marker = OPTIONAL[lang]
    legends = re.findall(r"<legend>(.*?)</legend>", page, re.S)
    assert legends
    for legend in legends:
        assert legend.count(marker) <= 1, legend
        rest = legend.replace(marker, "")
        assert "选填" not in rest and "選填" not in rest and "optional" not in rest, legend
    comment = next(
        legend
        for legend in legends
        if "q_comment" in legend or "意见" in legend or "意見" in legend or "Comments" in legend
    )
    assert comment.endswith(marker + "</span>")
    # What the call-back number is for is said under the question, not in it.
    assert {"zh_Hans": "仅用于回访", "zh_Hant": "僅用於回電", "en": "Used only for the call-back"}[
        lang
    ] in page


def test_the_operator_reads_no_optional_marker(calling_hours, app, client):
    campaign = _case()
    _sign_in(client)
    case_id = _claim(client, campaign)
    for question, value in [
        ("screen", "yes"),
        ("overall", "satisfied"),
        ("attitude", "satisfied"),
        ("efficiency", "satisfied"),
        ("one_visit", "yes"),
    ]:
        assert _answer(client, case_id, question, value).status_code == 303
    page = client.get(f"/operator/case/{case_id}?q=comment").text
    assert "您对该单位还有什么意见或建议吗？" in page
    assert page.count("optional") == 1  # the operator's own mark, not the script's
    assert "选填" not in page
