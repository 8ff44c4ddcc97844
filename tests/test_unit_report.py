"""The per-unit report: the printable page and the PDF show the unit's own figures.

The PDF is also read as a viewer without any font of its own reads it:
poppler's pdffonts must find every font embedded, and pdftoppm must draw the
Chinese with the report font's glyphs (not empty boxes).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import time_machine
from factories import gen_campaign, gen_unit, gen_user, login
from flask_babel import force_locale, gettext
from markupsafe import escape
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas
from sqlalchemy import select
from tools_support import SCREENSHOTS, require_tool

from survey.config import defaults
from survey.extensions import db
from survey.labels import group_label
from survey.models import Campaign
from survey.reports.fonts import (
    DEFAULT_FONT,
    ReportFontError,
    fit_to_font,
    report_font,
)
from survey.reports.pdf import _styles
from survey.results.unit_report import strongest_and_weakest, unit_report
from survey.stats import Estimate

LANGUAGES = ("zh_Hans", "zh_Hant", "en")
POPPLER_HOW = "install poppler-utils (apt-get install poppler-utils)"
# The fonts every PDF reader knows by name and so nobody embeds: a report that names one
# leaves its glyphs to the reader.
STANDARD_14 = re.compile(r"^(Helvetica|Times|Courier|Symbol|ZapfDingbats)")


@pytest.fixture
def demo(app):
    from survey.demo.loader import load_demo

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
    # The technical notes close the report, as on the methods page; the staff's opinion
    # of their own unit is a section of its own, and unreliable figures carry their mark.
    flat = " ".join(text.split())
    assert "How the figures are made" in flat and "Reliability standard" in flat
    assert "Whose opinion: two dimensions, never pooled" in flat
    assert report.staff and "Staff's own opinion of their unit" in flat
    shown = [r for r in (*report.indicators, *report.staff) if not r.suppressed]
    if any(not r.index.reliable for r in shown):
        assert "†" in text and "not reliable" in flat
    assert "staff-opinion" in page.text and "How the figures are made" in page.text


def test_report_refuses_a_unit_outside_the_campaign(client, app, demo):
    from factories import gen_unit

    other = gen_unit()
    db.session.commit()
    login(client, gen_user("evaluator"))
    assert client.get(f"/evaluate/campaign/{demo.id}/unit/{other.id}/report").status_code == 404
    assert client.get(f"/evaluate/campaign/{demo.id}/unit/987654/report.pdf").status_code == 404


def _row(indicator: str, value: float | None, *, se: float = 1.0, reliable: bool = True):  # type: ignore[no-untyped-def]
    from survey.results.estimates import ResultRow

    if value is None:
        est = Estimate.suppressed(n=2)
    else:
        # t on 10 df: the interval is value +/- 2.228 se
        est = Estimate(value, se, 10.0, value - 2.228 * se, value + 2.228 * se, 0.95, 20, "t",
                       reliable=reliable, reasons=() if reliable else ("n_effective",))
    return ResultRow(
        indicator=indicator, index=est, share_satisfied=est, n=20, groups=(),
        suppressed=value is None, weighting="", weights=(),
    )


def test_strongest_and_weakest_leave_out_overall_suppressed_and_unreliable():
    rows = (
        _row("satisfaction.overall", 99.0),
        _row("a", 80.0),
        _row("b", 60.0),
        _row("c", None),
        _row("d", 70.0),
        _row("e", 50.0),
        _row("f", 90.0),
        _row("g", 40.0),
        _row("h", 99.5, reliable=False),  # not reliable: never ranked, even at the top
        _row("i", 10.0, reliable=False),
    )
    strongest, weakest = strongest_and_weakest(rows)
    assert [r.indicator for r in strongest] == ["f", "a", "d"]
    assert [r.indicator for r in weakest] == ["g", "e", "b"]
    strongest, weakest = strongest_and_weakest(rows[:4])
    assert [r.indicator for r in strongest] == ["a"]
    assert [r.indicator for r in weakest] == ["b"]


def test_strongest_and_weakest_only_where_the_difference_is_significant():
    # se 5 each: a difference of 10 has se 7.07 and an interval of about +/- 14.8 on
    # Welch's 20 df: 80 against 70 is no clear difference, so nothing is named.
    close = (_row("a", 80.0, se=5.0), _row("b", 75.0, se=5.0), _row("c", 70.0, se=5.0))
    assert strongest_and_weakest(close) == ((), ())
    # 90 against 60: a difference of 30, clearly above +/- 14.8; 75 is clear of neither.
    apart = (_row("a", 90.0, se=5.0), _row("b", 75.0, se=5.0), _row("c", 60.0, se=5.0))
    strongest, weakest = strongest_and_weakest(apart)
    assert [r.indicator for r in strongest] == ["a"]
    assert [r.indicator for r in weakest] == ["c"]


def _report_pdf(client, campaign: Campaign, lang: str, tmp_path: Path) -> Path:
    """The unit's PDF report as an evaluator downloads it, saved for poppler's tools."""
    unit = campaign.units[0]
    response = client.get(f"/evaluate/campaign/{campaign.id}/unit/{unit.id}/report.pdf?lang={lang}")
    assert response.status_code == 200
    path = tmp_path / f"report-{lang}.pdf"
    path.write_bytes(response.data)
    return path


def _poppler(tool: str, *args: str) -> str:
    """Run one of poppler's tools (the reader of evince and of many phones); its stdout."""
    return subprocess.run(
        [require_tool(tool, POPPLER_HOW), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pdf_embeds_every_font_as_a_subset(client, app, demo, lang, tmp_path):
    login(client, gen_user("evaluator"))
    pdf = _report_pdf(client, demo, lang, tmp_path)
    rows = [line.split() for line in _poppler("pdffonts", str(pdf)).splitlines()[2:]]
    assert rows, "pdffonts found no font"
    for row in rows:
        # name type encoding emb sub uni object-id generation (type may be two words)
        name, emb, sub, uni = row[0], row[-5], row[-4], row[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
        assert not STANDARD_14.match(name.partition("+")[2] or name), row


def _line_box(pdf: Path, text: str) -> tuple[float, float, float, float]:
    """Where pdftotext finds a line of page 1 reading ``text``: points, from the top left."""
    xml = _poppler("pdftotext", "-bbox-layout", "-f", "1", "-l", "1", str(pdf), "-")
    wanted = text.replace(" ", "")
    for match in re.finditer(
        r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>',
        xml,
        re.S,
    ):
        if "".join(re.findall(r">([^<]*)</word>", match.group(5))) == wanted:
            x0, y0, x1, y1 = (float(v) for v in match.groups()[:4])
            return x0, y0, x1, y1
    raise AssertionError(f"no line reads {text!r} on page 1:\n{xml}")


DPI = 150


def _ink(pdf: Path, box: tuple[float, float, float, float]) -> np.ndarray:
    """The dark pixels pdftoppm draws in the box on page 1, trimmed to the ink."""
    pdftoppm = require_tool("pdftoppm", POPPLER_HOW)
    args = [pdftoppm, "-gray", "-r", str(DPI), "-f", "1", "-l", "1", "-png", str(pdf)]
    png = subprocess.run(args, capture_output=True, check=True).stdout
    page = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    scale, pad = DPI / 72, 4
    left, top, right, bottom = (int(v * scale) for v in box)
    crop = page[top - pad : bottom + pad, left - pad : right + pad] < 128
    ys, xs = np.nonzero(crop)
    assert len(ys), f"nothing drawn in {box}"
    return crop[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ink masks laid on each other at their top left."""
    height, width = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    one, other = np.zeros((height, width), bool), np.zeros((height, width), bool)
    one[: a.shape[0], : a.shape[1]] = a
    other[: b.shape[0], : b.shape[1]] = b
    return float((one & other).sum() / (one | other).sum())


def _sample(path: Path, text: str, font: str, size: float, x: float, top: float) -> Path:
    """``text`` alone in ``font``, its line box's top ``top`` points below the page's top.

    Drawn twice: the first time to learn where pdftotext puts the box of a baseline,
    so that the second lands on the same pixel grid as the report's line.
    """
    baseline = A4[1] - top - size
    for _ in range(2):
        page = canvas.Canvas(str(path), pagesize=A4, initialFontName=font)
        page.setFont(font, size)
        page.drawString(x, baseline, text)
        page.save()
        baseline += _line_box(path, text)[1] - top
    return path


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pdf_draws_the_chinese_with_the_report_font(client, app, demo, lang, tmp_path):
    """The title (Chinese in every language: the unit's name) as poppler draws it.

    It must be the same picture as the same words drawn in the report's font on their
    own: an empty-box glyph, a blank or a reader's substitute font all differ (one
    character of twelve changed already brings the overlap down to about 0.9).
    """
    login(client, gen_user("evaluator"))
    pdf = _report_pdf(client, demo, lang, tmp_path)
    with force_locale(lang):
        title = gettext("Satisfaction report: %(unit)s", unit=demo.units[0].name)
    assert re.search(r"[\u4e00-\u9fff]", title)
    # pdftotext reads the title back: each glyph maps back to its character
    x0, top, x1, bottom = _line_box(pdf, title)
    font = report_font(app.config["SURVEY_PDF_FONT"])
    glyphs = pdfmetrics.getFont(font).face.charToGlyph
    assert all(ord(ch) in glyphs for ch in title), "the sample would itself be boxes"
    size = _styles(font)["title"].fontSize
    sample = _sample(tmp_path / "sample.pdf", title, font, size, x0, top)
    drawn, expected = _ink(pdf, (x0, top, x1, bottom)), _ink(sample, _line_box(sample, title))
    assert _overlap(drawn, expected) >= 0.97
    if SCREENSHOTS is not None and lang == "zh_Hans":  # the README's picture of a PDF page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        out = str(SCREENSHOTS / "report-pdf")
        _poppler(
            "pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(pdf), out
        )


def test_pdf_footer_gives_the_time_in_the_campaign_zone(client, app):
    pypdf = pytest.importorskip("pypdf")
    campaign = gen_campaign([gen_unit(name="市政务服务中心")])
    db.session.commit()
    url = f"/evaluate/campaign/{campaign.id}/unit/{campaign.units[0].id}/report.pdf"

    def footer(lang: str) -> str:
        data = client.get(f"{url}?lang={lang}").data
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
        return " ".join(text.split())

    with time_machine.travel(dt.datetime(2026, 12, 2, 6, 5, tzinfo=dt.UTC), tick=False):
        login(client, gen_user("evaluator"))
        # 06:05 UTC is 14:05 in Shanghai (UTC+8), the campaign's default zone
        assert "Generated Dec 2, 2026, 2:05:00 PM (Asia/Shanghai)." in footer("en")
        assert "生成于 2026年12月2日 14:05:00（Asia/Shanghai 时间）。" in footer("zh_Hans")
        assert "UTC" not in footer("en")
        campaign.timezone = "Asia/Urumqi"  # UTC+6
        db.session.commit()
        assert "Generated Dec 2, 2026, 12:05:00 PM (Asia/Urumqi)." in footer("en")
        assert "生成於 2026年12月2日 中午12:05:00（Asia/Urumqi 時間）。" in footer("zh_Hant")


def test_report_font_setting(app, tmp_path, monkeypatch):
    # shipped with the app, so a fresh machine needs nothing but Python
    assert DEFAULT_FONT.is_file()
    monkeypatch.delenv("SURVEY_PDF_FONT", raising=False)
    assert defaults(str(tmp_path))["SURVEY_PDF_FONT"] == str(DEFAULT_FONT)
    monkeypatch.setenv("SURVEY_PDF_FONT", str(tmp_path / "other.ttf"))
    assert defaults(str(tmp_path))["SURVEY_PDF_FONT"] == str(tmp_path / "other.ttf")
    with pytest.raises(ReportFontError, match=r"SURVEY_PDF_FONT=.*missing\.ttf: no such file"):
        report_font(tmp_path / "missing.ttf")
    # CFF outlines (an .otf such as Noto Sans CJK) cannot be embedded by ReportLab
    otf = tmp_path / "cff.otf"
    otf.write_bytes(b"OTTO" + bytes(200))
    with pytest.raises(ReportFontError, match=r"SURVEY_PDF_FONT=.*cff\.otf: .*TrueType"):
        report_font(otf)


def test_characters_the_font_lacks_are_replaced_by_their_plain_form(app):
    font = report_font()
    glyphs = pdfmetrics.getFont(font).face.charToGlyph
    assert 0x202F not in glyphs  # CLDR's narrow no-break space, before "PM" in English times
    assert fit_to_font("2:05\u202fPM 满意", font) == "2:05 PM 满意"
    # nothing plainer to draw: left as it is
    assert fit_to_font("\U00020000", font) == "\U00020000"
