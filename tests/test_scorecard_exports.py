"""Unit scores for the annual performance assessment (CSV, XLSX) and the scorecard's API.

The two units of tests/scorecard_support.py, scored by hand: unit b (on-site 4,
rate 90% -> 2, self 1, service users 87.5 -> 3 * 37.5/40 = 2.8125) totals
9.8125; unit a (3 + 2 + 1 + 62.5 -> 0.9375) totals 6.9375. The survey item's
interval is checked in tests/test_scoring.py; here the faces must agree with
the page and with each other, and publish only issued opinions.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
import time_machine
from factories import gen_user, login
from flask_babel import refresh
from hypothesis import HealthCheck, given, settings
from scorecard_support import mini_cycle

from survey.access.accounts import issue_api_token
from survey.extensions import db
from survey.models import Opinion, RequiredFix
from survey.scorecard.entries import record_data, record_score

NOW = dt.datetime(2026, 1, 10, 2, 0, tzinfo=dt.UTC)


def _score(cycle, unit, on_site: float) -> None:  # type: ignore[no-untyped-def]
    record_score(cycle, unit, 2025, "work.done", source="on_site", score=on_site)
    record_data(cycle, unit, 2025, "work.rate", numerator=45, denominator=50)
    record_score(cycle, unit, 2025, "people.self", source="self", score=1)


@pytest.fixture
def world(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    cycle, a, b = mini_cycle(app, tmp_path / "frameworks")
    _score(cycle, a, 3)
    _score(cycle, b, 4)
    issued = Opinion(
        cycle_id=cycle.id,
        unit_id=a.id,
        year=2025,
        state="issued",
        problems="档案管理不规范",
        issued_at=dt.datetime(2026, 1, 5, 2),
        content='{"unit": {"code": "a"}, "problems": "档案管理不规范"}',
    )
    draft = Opinion(cycle_id=cycle.id, unit_id=b.id, year=2025, state="approved", problems="草稿")
    db.session.add_all([issued, draft])
    db.session.flush()
    # Its fix was found not rectified at the look-back (late on 6 January in UTC, the 7th
    # in the office), and its second round is due on the 8th.
    first = RequiredFix(
        opinion_id=issued.id,
        position=1,
        text="整理档案",
        due=dt.date(2026, 1, 6),
        report="已整理一半",
        outcome="not_rectified",
        look_back="仍有缺漏",
        looked_back_at=dt.datetime(2026, 1, 6, 17, 0),
    )
    db.session.add(first)
    db.session.flush()
    db.session.add(
        RequiredFix(
            opinion_id=issued.id,
            position=1,
            round=2,
            follows_id=first.id,
            text="整理档案",
            due=dt.date(2026, 1, 8),
        )
    )
    db.session.commit()
    refresh()
    return cycle, a, b


@pytest.fixture
def auth(app) -> dict[str, str]:
    _row, token = issue_api_token("performance system")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_csv_and_xlsx_give_every_units_total_rank_grade_and_categories(client, world) -> None:
    cycle, a, b = world
    login(client, gen_user("evaluator"))
    response = client.get(f"/evaluate/cycle/{cycle.id}/scores.csv?year=2025")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["unit"] for r in rows] == ["b", "a"]
    first, second = rows
    assert float(first["total"]) == pytest.approx(9.8125)
    assert float(second["total"]) == pytest.approx(6.9375)
    assert float(first["total_low"]) < 9.8125 < float(first["total_high"])
    assert (first["rank"], first["year"], first["status"]) == ("1", "2025", "scored")
    assert first["grade"] == "good" and second["grade"] == "poor"
    assert float(first["category.work"]) == pytest.approx(6.0)
    assert float(second["category.people"]) == pytest.approx(1.9375)
    sheet = client.get(f"/evaluate/cycle/{cycle.id}/scores.xlsx?year=2025&lang=en")
    book = openpyxl.load_workbook(io.BytesIO(sheet.data))
    values = list(book["2025"].values)
    assert values[0][:5] == ("Unit code", "Unit", "Year", "Status", "Total")
    assert values[0][-4:] == ("Work", "People", "Bonus", "Deductions")
    assert values[1][0] == "b" and values[1][4] == pytest.approx(9.8125)
    assert values[1][10] == "Good"
    # A year outside the cycle is refused; a liaison may not download.
    assert client.get(f"/evaluate/cycle/{cycle.id}/scores.csv?year=2023").status_code == 400


def test_a_liaison_cannot_download_the_scores(client, world) -> None:
    cycle, a, _b = world
    login(client, gen_user("liaison", unit_id=a.id))
    assert client.get(f"/evaluate/cycle/{cycle.id}/scores.csv").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_the_api_serves_cycles_scores_and_only_issued_opinions(client, world, auth) -> None:
    cycle, _a, _b = world
    assert client.get("/api/v1/cycles").status_code == 401
    listing = client.get("/api/v1/cycles", headers=auth).get_json()
    assert [c["code"] for c in listing["cycles"]] == ["mini"]
    detail = client.get("/api/v1/cycles/mini", headers=auth).get_json()
    assert detail["years"] == [2024, 2025] and [u["code"] for u in detail["units"]] == ["a", "b"]
    scores = client.get("/api/v1/cycles/mini/scores?year=2025", headers=auth).get_json()
    assert [u["unit"] for u in scores["units"]] == ["b", "a"]
    assert scores["units"][0]["total"]["points"] == pytest.approx(9.8125)
    assert scores["units"][0]["rank"]["rank"] == 1
    earlier = client.get("/api/v1/cycles/mini/scores?year=2024", headers=auth).get_json()
    assert {u["status"] for u in earlier["units"]} == {"missing"}
    bad = client.get("/api/v1/cycles/mini/scores?year=2030", headers=auth)
    assert bad.status_code == 400 and "2024 to 2025" in bad.get_json()["error"]
    missing = client.get("/api/v1/cycles/nope/opinions", headers=auth)
    assert missing.status_code == 404 and missing.get_json()["error"]
    opinions = client.get("/api/v1/cycles/mini/opinions", headers=auth).get_json()["opinions"]
    assert [(o["unit"], o["year"]) for o in opinions] == [("a", 2025)]
    assert opinions[0]["opinion"]["problems"] == "档案管理不规范"
    assert opinions[0]["fixes"] == [
        {
            "position": 1,
            "text": "整理档案",
            "round": 2,
            "due": "2026-01-08",
            "status": "overdue",
            "outcome": None,
            "earlier_rounds": [
                {
                    "round": 1,
                    "due": "2026-01-06",
                    "outcome": "not_rectified",
                    "looked_back_on": "2026-01-07",
                }
            ],
        }
    ]
    assert "已整理一半" not in str(opinions)  # the unit's own report stays in the office


def test_schemathesis_finds_no_violation_in_the_scorecard_api(app, world, auth) -> None:
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/cycles")
    ]
    assert len(operations) == 4
    for operation in operations:
        parameters = {"code": "mini"} if "{code}" in operation.path else None

        @settings(
            max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy(path_parameters=parameters))
        def run(case):  # type: ignore[no-untyped-def]
            response = case.call(headers=auth)
            case.validate_response(response, checks=checks)
            db.session.rollback()

        run()


def test_a_staff_item_reads_the_staffs_own_figure(app) -> None:
    # The published figures are of one dimension at a time; the staff item once asked for
    # the external one and got nothing, so no unit on the shipped framework could be scored.
    from factories import gen_campaign, gen_response, gen_unit

    from survey.scorecard import load_framework
    from survey.scorecard.survey_feed import survey_figures

    framework = load_framework(
        Path(__file__).resolve().parent.parent / "frameworks" / ("provincial-institutions.toml")
    )
    unit = gen_unit("u", "单位")
    campaign = gen_campaign(
        [unit],
        groups={"staff": {}, "service_user": {}},
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    db.session.flush()
    for level in ("very_satisfied", "satisfied", "satisfied", "satisfied", "basically_satisfied"):
        gen_response(
            campaign,
            unit=unit,
            group="staff",
            answers={"overall": level},
            submitted_at=dt.datetime(2025, 6, 2, 2),
        )
    db.session.commit()
    figures = survey_figures(campaign, 2025, {unit.id: framework}, [unit.id])
    staff = framework.item("social.staff").survey
    assert staff is not None and (unit.id, staff) in figures
    figure = figures[(unit.id, staff)]
    # 100, 75, 75, 75, 50 on the card's scale: a mean of 75 over five staff.
    assert figure.row.n == 5 and figure.estimate.estimate == pytest.approx(75.0)
