"""The scorecard's charts: drawn on the server, with the hand-checked figures and a table beside.

The mini cycle of scorecard_support: unit a's 2025 total is 7.9375 with the
interval 7.63-8.24 (test_scoring's hand computation), b's 9.81; the chart's
bars and whiskers must sit on those figures, on the framework's 10 points.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from factories import gen_user, login
from scorecard_support import mini_cycle
from test_scoring import _fill

from survey.evaluate.charts import LABEL_WIDTH, PLOT_WIDTH
from survey.evaluate.scorecard_views import totals_chart
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


def _x(points: float, total: float = 10.0) -> float:
    return LABEL_WIDTH + PLOT_WIDTH * points / total


def test_cycle_page_draws_each_units_total_with_its_interval(app, client, tmp_path: Path) -> None:
    cycle, a, b = mini_cycle(app, tmp_path)
    _fill(cycle, a, b)
    login(client, gen_user("evaluator"))
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
    cycle, a, b = mini_cycle(app, tmp_path)
    _fill(cycle, a, b)
    login(client, gen_user("evaluator"))
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
