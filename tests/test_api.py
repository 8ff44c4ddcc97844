"""The read-only indicator API: figures worked by hand, errors as JSON, the OpenAPI document.

Fixture as in test_exports: the post-service card scores 100/75/50/25/0; unit A
has five service users (policy weight 3, N=1000) and five of the public (weight
1, N=40) in 2025; unit B three service users in 2024 (below k=5: suppressed).
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from factories import gen_campaign, gen_response, gen_service_point, gen_unit
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from survey.access.accounts import issue_api_token
from survey.extensions import db
from survey.models import ApiToken, AuditEvent

IND = "satisfaction.overall"
A_SU = ["very_satisfied", "satisfied", "satisfied", "basically_satisfied", "dissatisfied"]
A_PUB = ["very_satisfied", "satisfied", "basically_satisfied", "basically_satisfied",
         "very_dissatisfied"]
# Hand-worked as in test_exports: group means 65 and 55, s^2 812.5 and 1375.
C_SU = 0.75**2 * (1 - 5 / 1000) * 812.5 / 5
C_PUB = 0.25**2 * (1 - 5 / 40) * 1375 / 5
# survey.stats publishes the larger of C_SU + C_PUB and Kish's floor (test_exports).
A_KISH = (0.15 * 3281.25 + 0.05 * 5781.25) * 10 / 9 * (
    0.75**2 * (1 - 5 / 1000) / 5 + 0.25**2 * (1 - 5 / 40) / 5
)


@pytest.fixture
def campaign(app):
    a, b = gen_unit("A", "单位甲"), gen_unit("B", "单位乙")
    campaign = gen_campaign(
        [a, b],
        groups={
            "service_user": {"weight": 3, "population": 1000},
            "public": {"weight": 1, "population": 40},
        },
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    campaign.code = "main"
    gen_service_point(a, "A-1")
    db.session.flush()
    when = dt.datetime(2025, 5, 5, 2)
    for value in A_SU:
        gen_response(campaign, unit=a, group="service_user", answers={"overall": value},
                     submitted_at=when)
    for value in A_PUB:
        gen_response(campaign, unit=a, group="public", channel="link",
                     answers={"overall": value}, submitted_at=when)
    for _ in range(3):
        gen_response(campaign, unit=b, group="service_user", answers={"overall": "satisfied"},
                     submitted_at=dt.datetime(2024, 3, 3, 2))
    db.session.commit()
    return campaign


@pytest.fixture
def auth(app) -> dict[str, str]:
    _row, token = issue_api_token("evaluation system")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_campaigns_and_units(client, campaign, auth):
    body = client.get("/api/v1/campaigns", headers=auth).get_json()
    assert [c["code"] for c in body["campaigns"]] == ["main"]
    assert body["campaigns"][0]["period_start"] == "2024-01-01"
    detail = client.get("/api/v1/campaigns/main", headers=auth).get_json()
    assert {g["code"]: (g["policy_weight"], g["population"]) for g in detail["groups"]} == {
        "service_user": (3, 1000), "public": (1, 40)}
    assert IND in detail["indicators"]
    units = client.get("/api/v1/campaigns/main/units", headers=auth).get_json()["units"]
    assert [(u["code"], u["name"], [p["code"] for p in u["service_points"]]) for u in units] == [
        ("A", "单位甲", ["A-1"]), ("B", "单位乙", [])]


def test_indicators_by_unit_match_hand_computation(client, campaign, auth):
    response = client.get("/api/v1/campaigns/main/indicators", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["by"], body["period"], body["settings"]["k"]) == ("unit", None, 5)
    rows = {(r["unit_code"], r["group"]): r for r in body["results"] if r["indicator"] == IND}
    a = rows[("A", None)]
    assert a["n"] == 10
    index = a["index"]
    assert index["estimate"] == pytest.approx(62.5)
    assert index["se"] == pytest.approx(math.sqrt(max(C_SU + C_PUB, A_KISH)), rel=1e-12)
    assert index["df"] == 10 - 2  # the design df n - H (R's degf)
    assert index["level"] == 0.95 and index["suppressed"] is False
    assert index["ci_low"] < 62.5 < index["ci_high"]
    # ten respondents: the figure is shown, but does not meet the reliability standard
    # (effective sample size below 30), and says so for a system that would rank it
    assert index["reliable"] is False and "n_effective" in index["reasons"]
    assert index["collapsed"] == [] and isinstance(index["kish_floor"], bool)
    share = a["share_satisfied"]
    assert share["reliable"] is False and "n_effective" in share["reasons"]
    assert share["estimate"] == pytest.approx(0.8)
    assert 0 < share["ci_low"] < 0.8 < share["ci_high"] <= 1
    b = rows[("B", None)]
    assert b["n"] is None  # no exact n of a suppressed cell
    for estimate in (b["index"], b["share_satisfied"]):
        assert estimate["suppressed"] is True
        assert estimate["suppression_reason"]
        assert [estimate[k] for k in ("estimate", "se", "df", "ci_low", "ci_high")] == [None] * 5
        assert estimate["reliable"] is None and estimate["reasons"] == []
    # Response rates are not measured here: the field is absent, not made up.
    assert "response_rate" not in a


def test_indicators_by_group_for_one_unit_and_period(client, campaign, auth):
    url = "/api/v1/campaigns/main/indicators?by=unit,group&unit=A&period=2025"
    body = client.get(url, headers=auth).get_json()
    rows = {r["group"]: r for r in body["results"] if r["indicator"] == IND}
    assert set(rows) == {"service_user", "public"}
    assert rows["public"]["index"]["estimate"] == pytest.approx(55)
    assert rows["public"]["index"]["se"] == pytest.approx(math.sqrt(0.875 * 1375 / 5))
    assert rows["public"]["index"]["df"] == pytest.approx(4)
    assert (body["period"], body["period_start"], body["period_end"]) == (
        "2025", "2025-01-01", "2025-12-31")
    body = client.get("/api/v1/campaigns/main/indicators?period=2024", headers=auth).get_json()
    assert {r["unit_code"] for r in body["results"]} == {"B"}


@pytest.mark.parametrize(
    "query, word",
    [("period=2030", "2030"), ("period=soon", "soon"), ("unit=Z", "Z"), ("by=channel", "unit"),
     ("by=unit,point,group", "unit,point"),
     ("period=9999", "9999"), ("period=9999-Q4", "9999-Q4"), ("period=0000", "0000"),
     ("unit=%00", "NUL")],  # NUL: PostgreSQL cannot even compare it
)
def test_bad_queries_are_400_with_a_message(client, campaign, auth, query, word):
    headers = {**auth, "Accept-Language": "en"}
    response = client.get(f"/api/v1/campaigns/main/indicators?{query}", headers=headers)
    assert response.status_code == 400
    assert response.is_json and word in response.get_json()["error"]


@pytest.mark.parametrize("path", ["", "/units", "/indicators"])
@pytest.mark.parametrize("code, status", [("nope", 404), ("no%00pe", 400)])
def test_unknown_campaign_is_404_json(client, app, auth, path, code, status):
    response = client.get(f"/api/v1/campaigns/{code}{path}", headers=auth)
    assert response.status_code == status
    assert response.get_json()["error"]


def test_openapi_document_is_public_and_valid(client, app):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    documented = {"/api/v1" + path for path in document["paths"]}
    served = {
        rule.rule.replace("<code>", "{code}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert documented == served


def test_cli_adds_and_revokes_tokens_with_audit(runner, client, campaign):
    shell = {"LOGNAME": "ops-wang"}  # who ran the commands, as the trail names them
    result = runner.invoke(args=["survey", "api-token", "add", "evaluation system"], env=shell)
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    row = db.session.execute(select(ApiToken)).scalar_one()
    assert token not in row.token_hash
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/campaigns", headers=headers).status_code == 200

    result = runner.invoke(args=["survey", "api-token", "revoke", str(row.id)], env=shell)
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/campaigns", headers=headers).status_code == 401
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.entity_id, e.actor) for e in events] == [
        ("api_token.create", str(row.id), "cli:ops-wang"),
        ("api_token.revoke", str(row.id), "cli:ops-wang"),
    ]
    assert all("token_hash" not in (e.after or "") for e in events)
    assert json.loads(events[1].after)["revoked_at"]

    result = runner.invoke(args=["survey", "api-token", "revoke", "987654"])
    assert result.exit_code == 1 and "987654" in result.output


def test_schemathesis_finds_no_server_error_and_no_schema_violation(app, campaign, auth):
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # (schemathesis leaves out the operation that serves the schema itself)
    assert {op.label for op in operations} >= {
        "GET /campaigns", "GET /campaigns/{code}", "GET /campaigns/{code}/units",
        "GET /campaigns/{code}/indicators"}
    for operation in operations:
        for path_parameters in ({}, {"code": "main"}):
            if "{code}" not in operation.path and path_parameters:
                continue

            @settings(max_examples=12, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(path_parameters=path_parameters or None))
            def run(case):  # type: ignore[no-untyped-def]
                response = case.call(headers=auth)
                case.validate_response(response, checks=checks)
                db.session.rollback()

            run()


def test_unknown_api_address_answers_in_json(client):
    response = client.get("/api/v1/no-such-endpoint", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "There is no page at this address. It may have been removed."
    }


def test_indicators_by_channel_and_by_service_point_cover_the_whole_campaign(
        client, campaign, auth):
    """Each unit by channel and by service point, through the protection the unit page uses:
    the whole campaign only (a period is refused), suppressed parts null."""
    from survey.models import Response, ServicePoint

    a = campaign.units[0]
    point = db.session.execute(select(ServicePoint).where(ServicePoint.code == "A-1")).scalar_one()
    for response in db.session.execute(
            select(Response).where(Response.unit_id == a.id, Response.channel == "qr")).scalars():
        response.service_point_id = point.id
    db.session.commit()
    url = "/api/v1/campaigns/main/indicators?by=unit,channel"
    body = client.get(url, headers=auth).get_json()
    assert body["by"] == "unit,channel" and body["period"] is None
    rows = {(r["unit_code"], r["channel"]): r for r in body["results"] if r["indicator"] == IND}
    assert set(rows) == {("A", "qr"), ("A", "link"), ("B", "qr")}
    assert (rows["A", "qr"]["n"], rows["A", "link"]["n"]) == (5, 5)
    assert rows["A", "qr"]["index"]["estimate"] == pytest.approx(65)  # the service users
    assert rows["A", "link"]["index"]["estimate"] == pytest.approx(55)  # the public
    assert rows["B", "qr"]["n"] is None and rows["B", "qr"]["index"]["suppressed"] is True
    assert all(r["group"] is None and r["service_point_code"] is None for r in rows.values())

    body = client.get("/api/v1/campaigns/main/indicators?by=unit,point&unit=A",
                      headers=auth).get_json()
    rows = {r["service_point_code"]: r for r in body["results"] if r["indicator"] == IND}
    assert set(rows) == {"A-1", None}  # None: the answers through no service point
    assert rows["A-1"]["service_point_name"] and rows["A-1"]["n"] == 5
    assert rows["A-1"]["share_satisfied"]["estimate"] == pytest.approx(0.8)
    assert rows[None]["n"] == 5 and rows[None]["channel"] is None

    headers = {**auth, "Accept-Language": "en"}
    for by in ("unit,channel", "unit,point"):
        refused = client.get(f"/api/v1/campaigns/main/indicators?by={by}&period=2025",
                             headers=headers)
        assert refused.status_code == 400 and "whole campaign" in refused.get_json()["error"]


def test_a_draft_campaign_is_not_published(client, campaign, auth):
    """A draft (test answers only, settings still changing) is as unknown until it opens."""
    draft = gen_campaign([gen_unit("D", "单位丁")])
    draft.code, draft.draft = "next", True
    db.session.commit()
    listed = client.get("/api/v1/campaigns", headers=auth).get_json()["campaigns"]
    assert [c["code"] for c in listed] == ["main"]
    for path in ("", "/units", "/indicators"):
        reply = client.get(f"/api/v1/campaigns/next{path}", headers=auth)
        assert reply.status_code == 404, path
        assert reply.get_json() == {"error": "no campaign with code 'next'"}
    draft.draft = False  # opened by an administrator
    db.session.commit()
    listed = client.get("/api/v1/campaigns", headers=auth).get_json()["campaigns"]
    assert sorted(c["code"] for c in listed) == ["main", "next"]
    assert client.get("/api/v1/campaigns/next/units", headers=auth).status_code == 200
