"""The scorecard's charts: drawn on the server, with the hand-checked figures and a table beside.

The mini cycle of scorecard_support: unit a's 2025 total is 7.9375 with the
interval 7.63-8.24 (test_scoring's hand computation), b's 9.81; the chart's
bars and whiskers must sit on those figures, on the framework's 10 points.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from factories import gen_response, gen_user, login
from scorecard_support import mini_cycle
from test_scoring import _fill

from survey.evaluate.charts import LABEL_WIDTH, PLOT_WIDTH
from survey.evaluate.scorecard_views import totals_chart
from survey.extensions import db
from survey.models import CycleCampaign
from survey.scorecard.scoring import cycle_year

NS = {"svg": "http://www.w3.org/2000/svg"}


def _charts(html: str) -> list[ET.Element]:
    """Every inline SVG chart of a page, parsed."""
    return [
        ET.fromstring("<svg" + part.split("</svg>", 1)[0] + "</svg>")
        for part in html.split("<svg")[1:]
    ]


def _titled(html: str, title: str) -> ET.Element:
    found = [svg for svg in _charts(html) if svg.find("svg:title", NS).text == title]
    assert len(found) == 1, [svg.find("svg:title", NS).text for svg in _charts(html)]
    return found[0]


def _filled(app, client, tmp_path: Path, role: str = "evaluator"):  # type: ignore[no-untyped-def]
    """The mini cycle with both years scored, and the client signed in as ``role``."""
    cycle, a, b = mini_cycle(app, tmp_path)
    _fill(cycle, a, b)
    login(client, gen_user(role, unit_id=a.id if role == "liaison" else None))
    return cycle, a, b


def _x(points: float, total: float = 10.0) -> float:
    return LABEL_WIDTH + PLOT_WIDTH * points / total


def test_cycle_page_draws_each_units_total_with_its_interval(app, client, tmp_path: Path) -> None:
    cycle, a, b = _filled(app, client, tmp_path)
    page = client.get(f"/evaluate/cycle/{cycle.id}?year=2025&lang=en").text
    svg = _titled(page, "Totals with their intervals (95%)")
    assert svg.get("role") == "img"
    bars = {r.find("svg:title", NS).text.split(":")[0]: r for r in svg.iterfind("svg:rect", NS)}
    assert set(bars) == {"甲单位", "乙单位"}
    assert float(bars["甲单位"].get("width")) == pytest.approx(PLOT_WIDTH * 7.9375 / 10, abs=0.1)
    whiskers = list(svg.iterfind("svg:g", NS))
    ends = sorted(float(line.get("x1")) for line in whiskers[1])
    assert ends[0] == pytest.approx(_x(7.63), abs=0.5) and ends[-1] == pytest.approx(
        _x(8.24), abs=0.5
    )
    # The text alternative: the units table carries the same figures.
    assert "7.94 (7.63–8.24)" in page and "The figures are in the table below." in page


def test_cycle_page_draws_every_unit_per_category_with_a_table(
    app, client, tmp_path: Path
) -> None:
    cycle, a, b = _filled(app, client, tmp_path)
    page = client.get(f"/evaluate/cycle/{cycle.id}?year=2025&lang=en").text
    work = _titled(page, "Work: points in percent of its points")
    widths = {
        r.find("svg:title", NS).text: float(r.get("width")) for r in work.iterfind("svg:rect", NS)
    }
    assert widths == {"乙单位: 100.0": pytest.approx(420.0), "甲单位: 91.7": pytest.approx(385.0)}
    table = page.split('id="categories"', 1)[1].split("</table>", 1)[0]
    assert "91.7%" in table and "100.0%" in table


def test_an_unranked_unit_is_drawn_pale_with_a_dagger(app, tmp_path: Path) -> None:
    cycle, a, b = mini_cycle(app, tmp_path)
    _fill(cycle, a, b)
    with app.test_request_context("/?lang=en"):
        results = cycle_year(cycle, 2025)
        unranked = [dataclasses.replace(r, rank=None) if r.unit.id == a.id else r for r in results]
        svg = ET.fromstring(str(totals_chart(unranked, results[0].framework)))
    kinds = {r.find("svg:title", NS).text.split(":")[0]: r.get("class") for r in
             svg.iterfind("svg:rect", NS)}
    assert kinds == {"甲单位 †": "bar unreliable", "乙单位": "bar"}


def _circles(svg: ET.Element) -> list[str]:
    """The drawn points of a line chart, as their titles ("2025: 7.9")."""
    return [c.find("svg:title", NS).text for c in svg.iterfind("svg:circle", NS)]


def test_unit_scorecard_draws_total_and_categories_over_the_years(
    app, client, tmp_path: Path
) -> None:
    cycle, a, b = _filled(app, client, tmp_path)
    page = client.get(f"/evaluate/cycle/{cycle.id}/unit/{a.id}?year=2025&lang=en").text
    assert _circles(_titled(page, "Total by year")) == ["2024: 6.4", "2025: 7.9"]
    work = _titled(page, "Work by year, in percent of its points")
    assert _circles(work) == ["2024: 83.3", "2025: 91.7"]
    years = page.split('id="years"', 1)[1].split("</table>", 1)[0]
    assert "7.94 (7.63–8.24)" in years and "91.7%" in years and "<caption>" in years


def test_survey_fed_items_by_quarter_carry_the_published_figures(
    app, client, tmp_path: Path
) -> None:
    cycle, a, b = _filled(app, client, tmp_path)
    url = f"/evaluate/cycle/{cycle.id}/unit/{a.id}?year=2025&lang=en"
    page = client.get(url + "&by=quarter").text
    # a: 20 satisfied and 20 basically satisfied in March of each year: 62.5 (58.4-66.5).
    svg = _titled(page, "Overall satisfaction · Service users")
    assert _circles(svg) == ["2024-Q1: 62.5", "2025-Q1: 62.5"]
    table = page.split('id="feed-1"', 1)[1].split("</table>", 1)[0]
    assert "62.5 (58.4–66.5)" in table and "2025-Q1" in table
    by_year = client.get(url + "&by=year").text
    assert _circles(_titled(by_year, "Overall satisfaction · Service users")) == [
        "2024: 62.5",
        "2025: 62.5",
    ]
    assert client.get(url + "&by=week").status_code == 400


def test_a_withheld_month_is_not_drawn(app, client, tmp_path: Path) -> None:
    cycle, a, b = _filled(app, client, tmp_path)
    campaign = db.session.get(CycleCampaign, (cycle.id, 2025)).campaign
    for day in (1, 2, 3):  # three cards in June: below k = 5
        gen_response(
            campaign, unit=a, answers={"overall": "very_satisfied"},
            submitted_at=dt.datetime(2025, 6, day, 2, 0),
        )
    db.session.commit()
    page = client.get(f"/evaluate/cycle/{cycle.id}/unit/{a.id}?year=2025&by=month&lang=en").text
    drawn = _circles(_titled(page, "Overall satisfaction · Service users"))
    assert not any(t.startswith("2025-06") for t in drawn)
    table = page.split('id="feed-1"', 1)[1].split("</table>", 1)[0]
    june = table.split("2025-06", 1)[1].split("</tr>", 1)[0]
    assert "100" not in june and ("fewer than" in june or "withheld" in june)


def test_the_liaison_sees_their_own_units_charts_and_no_other(
    app, client, tmp_path: Path
) -> None:
    cycle, a, b = _filled(app, client, tmp_path, "liaison")
    home = client.get("/evaluate/self-assessment?lang=en").text
    assert f"/evaluate/self-assessment/{cycle.id}/scorecard" in home
    page = client.get(f"/evaluate/self-assessment/{cycle.id}/scorecard?lang=en&by=quarter")
    assert page.status_code == 200
    assert _circles(_titled(page.text, "Total by year")) == ["2024: 6.4", "2025: 7.9"]
    assert _circles(_titled(page.text, "Overall satisfaction · Service users")) == [
        "2024-Q1: 62.5",
        "2025-Q1: 62.5",
    ]
    assert "甲单位" in page.text and "乙单位" not in page.text and "9.81" not in page.text
    assert client.get(f"/evaluate/cycle/{cycle.id}/unit/{b.id}").status_code == 403
    assert client.get(f"/evaluate/cycle/{cycle.id}").status_code == 403


def test_a_liaison_of_a_unit_outside_the_cycle_finds_nothing(
    app, client, tmp_path: Path
) -> None:
    cycle, a, b = mini_cycle(app, tmp_path)
    login(client, gen_user("liaison"))
    assert client.get(f"/evaluate/self-assessment/{cycle.id}/scorecard").status_code == 404
