"""The administrators' own respondent groups: three names, a dimension, used everywhere.

Issue 11: groups were a fixed list of nine; enterprise representatives, people's
supervisors or village cadres could not be surveyed. An administrator now adds
them on the groups screen (audited), and every campaign, result and export
names them in the reader's language.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from factories import csrf_token, gen_campaign, gen_response, gen_unit, gen_user, login
from openpyxl import load_workbook
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEvent, Group
from survey.setup import SetupError, add_own_group

NAMES = {"zh_Hans": "企业代表", "zh_Hant": "企業代表", "en": "Enterprise representatives"}


def _form(**fields: str) -> dict[str, str]:
    data = {
        "code": "enterprise",
        "name_zh_hans": NAMES["zh_Hans"],
        "name_zh_hant": NAMES["zh_Hant"],
        "name_en": NAMES["en"],
        "dimension": "stakeholders",
    }
    data.update(fields)
    return data


def _post(client, data):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client, "/admin/groups"), **data}
    return client.post("/admin/groups/own", data=data, follow_redirects=True)


def _groups() -> int:
    return db.session.execute(select(func.count(Group.id))).scalar_one()


def test_an_administrator_adds_a_group_named_in_three_languages(app, client):
    login(client, gen_user("admin"))
    page = _post(client, _form()).text
    assert "企业代表" in page  # the default language, zh_Hans
    group = db.session.execute(select(Group).where(Group.code == "enterprise")).scalar_one()
    assert (group.dimension, group.names()) == ("stakeholders", NAMES)
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "group.create")
    ).scalar_one()
    assert json.loads(event.after)["name_en"] == NAMES["en"]
    for lang, name in NAMES.items():
        assert name in client.get(f"/admin/groups?lang={lang}").text
    # Renamed: audited with its before and after.
    url = f"/admin/groups/{group.id}/names"
    data = {
        "csrf_token": csrf_token(client, url),
        "code": "enterprise",
        "name_zh_hans": "企业家代表",
        "name_zh_hant": "企業家代表",
        "name_en": "Business representatives",
    }
    client.post(url, data=data)
    assert "企业家代表" in client.get("/admin/groups?lang=zh_Hans").text
    change = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "group.update")
    ).scalar_one()
    assert json.loads(change.before)["name_zh_hans"] == "企业代表"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"name_zh_hant": ""}, "zh_Hant: The name is empty."),
        ({"code": "deputy"}, "shipped group"),
        ({"code": "bad code!"}, "is not valid"),
        ({"dimension": "everyone"}, "Please correct"),
    ],
)
def test_a_refused_group_changes_nothing(app, client, fields, words):
    login(client, gen_user("admin"))
    client.get("/admin/groups?lang=en")
    before = _groups()
    page = _post(client, _form(**fields)).text
    assert words in page
    assert _groups() == before
    assert db.session.execute(select(func.count(AuditEvent.id))).scalar_one() == 0


def test_only_an_administrator_adds_one(app, client):
    login(client, gen_user("evaluator"))
    assert 'id="own-group"' not in client.get("/admin/groups").text
    data = {"csrf_token": csrf_token(client, "/admin/groups"), **_form()}
    assert client.post("/admin/groups/own", data=data).status_code == 403
    assert _groups() == 0


def test_a_second_group_with_the_same_code_is_refused(app):
    add_own_group("enterprise", NAMES, "stakeholders")
    db.session.commit()
    with pytest.raises(SetupError):
        add_own_group("enterprise", NAMES, "stakeholders")


def test_an_own_group_is_surveyed_counted_and_exported_by_its_name(app, client):
    add_own_group("enterprise", NAMES, "stakeholders")
    unit = gen_unit("A", "单位甲")
    campaign = gen_campaign(
        [unit], groups={"enterprise": {"instrument_id": "stakeholder-evaluation"}}
    )
    db.session.commit()
    levels = ["very_satisfied", "satisfied", "satisfied", "basically_satisfied", "satisfied"]
    for value in [*levels, "very_satisfied"]:
        gen_response(campaign, unit=unit, group="enterprise", answers={"overall": value})
    db.session.commit()
    login(client, gen_user("evaluator"))
    form = client.get(f"/admin/campaigns/{campaign.id}?lang=zh_Hans").text
    assert "企业代表" in form
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{unit.id}?lang=en").text
    assert "Enterprise representatives" in page
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/evaluate/campaign/{campaign.id}/export.csv?by=unit,group")
                .data.decode("utf-8-sig")
            )
        )
    )
    assert [(r["group"], r["n"]) for r in rows] == [("enterprise", "6")]
    book = load_workbook(
        io.BytesIO(client.get(f"/evaluate/campaign/{campaign.id}/export.xlsx?by=unit,group").data)
    )
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    # For people, by its name in the language chosen above (the CSV keeps the stable key).
    assert "Enterprise representatives" in cells and "enterprise" not in cells
