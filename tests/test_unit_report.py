"""The per-unit report: the printable page and the PDF show the unit's own figures."""

from __future__ import annotations

import io
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from survey.extensions import db
from survey.groups import group_label
from survey.models import Campaign
from survey.results.unit_report import strongest_and_weakest, unit_report
from survey.stats import Estimate
from tests.factories import gen_user, login


@pytest.fixture
def demo(app):
    from survey.demo import load_demo

    load_demo()
    db.session.commit()
    return db.session.execute(select(Campaign)).scalars().first()


def test_report_page_and_pdf(client, app, demo):
    unit = demo.units[0]
    login(client, gen_user("evaluator"))
    page = client.get(f"/evaluate/campaign/{demo.id}/unit/{unit.id}/report?lang=en")
    assert page.status_code == 200
    report = unit_report(demo, unit)
    overall = report.overall
    shown = f"{overall.index.estimate:.1f} ({overall.index.low:.1f}–{overall.index.high:.1f})"
    assert shown in page.text
    assert unit.name in page.text
    # Charts beside the tables: indicators, groups and years, each drawn from the report's rows.
    charts = re.findall(r'<figure class="chart-figure">(<svg .*?</svg>)</figure>', page.text, re.S)
    assert len(charts) == 3
    indicator_svg, group_svg, year_svg = charts
    assert indicator_svg.count("<rect") >= len([r for r in report.indicators if not r.suppressed])
    for row in report.overall.groups:
        assert str(escape(group_label(row.group))) in group_svg
    for year in report.trend.years:
        assert f">{year.year}<" in year_svg
    pdf = client.get(f"/evaluate/campaign/{demo.id}/unit/{unit.id}/report.pdf?lang=en")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf.data))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Overall" in text and "Trend by year" in text
    # The PDF draws the groups and the years as the page does: each label appears in the
    # chart and again in the table beside it.
    for row in report.overall.groups:
        assert text.count(group_label(row.group)) >= 2
    for year in report.trend.years:
        assert text.count(str(year.year)) >= 2
    # a change whose interval is known is given with it
    for change in report.trend.changes:
        if change.index_change.estimate is not None:
            assert f"{change.index_change.estimate:+.1f}" in text


def test_report_refuses_a_unit_outside_the_campaign(client, app, demo):
    from tests.factories import gen_unit

    other = gen_unit()
    db.session.commit()
    login(client, gen_user("evaluator"))
    assert client.get(f"/evaluate/campaign/{demo.id}/unit/{other.id}/report").status_code == 404
    assert client.get(f"/evaluate/campaign/{demo.id}/unit/987654/report.pdf").status_code == 404


def _row(indicator: str, value: float | None):  # type: ignore[no-untyped-def]
    from survey.results.service import ResultRow

    if value is None:
        est = Estimate.suppressed(n=2)
    else:
        est = Estimate(value, 1.0, 10.0, value - 2, value + 2, 0.95, 20, "t")
    return ResultRow(
        indicator=indicator, index=est, share_satisfied=est, n=20, groups=(),
        suppressed=value is None, weighting="", weights=(),
    )


def test_strongest_and_weakest_leave_out_overall_and_suppressed():
    rows = (
        _row("satisfaction.overall", 99.0),
        _row("a", 80.0),
        _row("b", 60.0),
        _row("c", None),
        _row("d", 70.0),
        _row("e", 50.0),
        _row("f", 90.0),
        _row("g", 40.0),
    )
    strongest, weakest = strongest_and_weakest(rows)
    assert [r.indicator for r in strongest] == ["f", "a", "d"]
    assert [r.indicator for r in weakest] == ["g", "e", "b"]
    strongest, weakest = strongest_and_weakest(rows[:4])
    assert [r.indicator for r in strongest] == ["a"]
    assert [r.indicator for r in weakest] == ["b"]
