"""Staff's opinion of their own unit is a dimension of its own, never pooled with the served.

A unit's service users gave 100, 75, 75, 50, 100 (mean 80) and its staff, rating
their own unit, 25, 50, 25, 0, 50 (mean 30). Pooled with equal weights the index
would be 55; published, the index of the people served is 80 and the staff's own
opinion 30, each on every face (results, pages, export, API, report).
"""

from __future__ import annotations

import csv
import io

import pytest
from factories import gen_campaign, gen_response, gen_unit, gen_user, login

from survey.access.accounts import issue_api_token
from survey.extensions import db
from survey.results import ResultsError, satisfaction

LEVELS = {100: "very_satisfied", 75: "satisfied", 50: "basically_satisfied", 25: "dissatisfied",
          0: "very_dissatisfied"}
SERVED = [100, 75, 75, 50, 100]
STAFF = [25, 50, 25, 0, 50]


@pytest.fixture
def campaign(app):
    unit = gen_unit("U", "单位戊")
    # staff carry no policy weight: the served index must not need one for them
    campaign = gen_campaign([unit], groups={"service_user": {"weight": 1}, "staff": {}})
    campaign.code = "dims"
    for score in SERVED:
        gen_response(campaign, unit=unit, group="service_user", answers={"overall": LEVELS[score]})
    for score in STAFF:
        gen_response(campaign, unit=unit, group="staff", answers={"overall": LEVELS[score]})
    db.session.commit()
    return campaign


def test_the_index_of_the_served_leaves_the_staff_out(campaign):
    (served,) = satisfaction(campaign, indicator="satisfaction.overall", k=5)
    assert served.dimension == "external"
    assert served.n == 5 and served.index.estimate == pytest.approx(80.0)
    assert [g.group for g in served.groups] == ["service_user"]
    (staff,) = satisfaction(campaign, indicator="satisfaction.overall", k=5, dimension="staff")
    assert staff.dimension == "staff"
    assert staff.n == 5 and staff.index.estimate == pytest.approx(30.0)
    # share satisfied (50 or more): 5 of 5 served, 2 of 5 staff
    assert served.share_satisfied.estimate == pytest.approx(1.0)
    assert staff.share_satisfied.estimate == pytest.approx(0.4)
    with pytest.raises(ResultsError, match="dimension"):
        satisfaction(campaign, dimension="everyone")


def test_export_and_api_carry_both_dimensions_apart(client, campaign):
    login(client, gen_user("evaluator"))
    data = client.get(f"/evaluate/campaign/{campaign.id}/export.csv").data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    by_dimension = {r["dimension"]: r for r in rows}
    assert set(by_dimension) == {"external", "staff"}
    assert float(by_dimension["external"]["index_estimate"]) == pytest.approx(80.0)
    assert float(by_dimension["staff"]["index_estimate"]) == pytest.approx(30.0)
    _row, token = issue_api_token("evaluation system")
    db.session.commit()
    body = client.get("/api/v1/campaigns/dims/indicators",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    overall = {r["dimension"]: r for r in body["results"]
               if r["indicator"] == "satisfaction.overall"}
    assert overall["external"]["index"]["estimate"] == pytest.approx(80.0)
    assert overall["staff"]["index"]["estimate"] == pytest.approx(30.0)


def test_unit_page_and_report_show_the_staff_opinion_apart(client, campaign):
    login(client, gen_user("evaluator"))
    unit = campaign.units[0]
    page = client.get(f"/evaluate/campaign/{campaign.id}/unit/{unit.id}?lang=en").text
    assert "Staff&#39;s own opinion of their unit" in page or "Staff's own opinion" in page
    staff_table = page.split('id="staff-by-indicator"', 1)[1].split("</table>", 1)[0]
    assert "30.0 (" in staff_table
    served_table = page.split('id="by-indicator"', 1)[1].split("</table>", 1)[0]
    assert "80.0 (" in served_table and "30.0 (" not in served_table
    report = client.get(f"/evaluate/campaign/{campaign.id}/unit/{unit.id}/report?lang=en").text
    assert "30.0 (" in report.split('id="staff-opinion"', 1)[1]
