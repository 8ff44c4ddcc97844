"""The per-unit report as a PDF, drawn with ReportLab.

Why ReportLab: it is pure Python (no browser or system library on the
server), and its built-in Adobe CID fonts (STSong-Light for simplified,
MSung-Light for traditional Chinese) render Chinese without shipping a font
file; PDF readers supply the glyphs. Unit names are Chinese in every
language, so the English report uses STSong-Light too.

Labels go through Babel (call inside a request or ``force_locale``); numbers
are formatted for the reader's locale.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from flask_babel import format_datetime, format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..groups import group_label
from ..indicators import index_bound, indicator_label
from ..results.service import ResultRow
from ..results.unit_report import UnitReport
from ..stats import Estimate

_FONTS = {"zh_Hant": "MSung-Light"}
_DEFAULT_FONT = "STSong-Light"


def _font() -> str:
    name = _FONTS.get(str(get_locale() or ""), _DEFAULT_FONT)
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name


def withheld_text(estimate: Estimate) -> str:
    """Why a figure is not shown: too few respondents, or beside a figure that has."""
    if estimate.complementary:
        return _("withheld beside a suppressed figure (n = %(n)s)", n=estimate.n)
    return _("suppressed (n = %(n)s)", n=estimate.n)


def index_text(estimate: Estimate) -> str:
    """ "85.3 (82.1-88.5)", or the reason the figure is withheld."""
    if estimate.estimate is None:
        return withheld_text(estimate)
    value, low, high = (
        format_decimal(v, "0.0")
        for v in (estimate.estimate, index_bound(estimate.low), index_bound(estimate.high))
    )
    return f"{value} ({low}–{high})"


def share_text(estimate: Estimate) -> str:
    if estimate.estimate is None:
        return withheld_text(estimate)
    value, low, high = (
        format_percent(v, "0.0%") for v in (estimate.estimate, estimate.low, estimate.high)
    )
    return f"{value} ({low}–{high})"


def bar_drawing(labels: Sequence[str], estimates: Sequence[Estimate], font: str) -> Drawing:
    """Horizontal bars on 0-100 with interval whiskers; suppressed rows drawn empty."""
    row, left, width = 16, 70 * mm, 90 * mm
    drawing = Drawing(left + width + 12 * mm, row * len(labels) + 14)
    for step in range(0, 101, 25):
        x = left + width * step / 100
        drawing.add(Line(x, 10, x, row * len(labels) + 10, strokeColor=colors.lightgrey))
        drawing.add(String(x, 0, str(step), fontName=font, fontSize=7, textAnchor="middle"))
    for i, (label, est) in enumerate(zip(labels, estimates, strict=True)):
        y = 10 + row * (len(labels) - i - 1)
        drawing.add(
            String(left - 4, y + 4, label[:24], fontName=font, fontSize=8, textAnchor="end")
        )
        if est.estimate is None:
            drawing.add(String(left + 2, y + 4, _("suppressed"), fontName=font, fontSize=7))
            continue
        drawing.add(
            Rect(
                left,
                y + 3,
                width * est.estimate / 100,
                row - 6,
                fillColor=colors.HexColor("#5b7db8"),
                strokeColor=None,
            )
        )
        if est.low is not None and est.high is not None:
            # cut at the scale, as the pages' charts are: a whisker past 100 leaves the plot
            low, high = index_bound(est.low), index_bound(est.high)
            lo, hi = left + width * low / 100, left + width * high / 100
            mid = y + row / 2
            drawing.add(Line(lo, mid, hi, mid, strokeWidth=1))
            drawing.add(Line(lo, mid - 3, lo, mid + 3, strokeWidth=1))
            drawing.add(Line(hi, mid - 3, hi, mid + 3, strokeWidth=1))
    return drawing


def _table(rows: list[list[str]], font: str, widths: Sequence[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9ced6")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _index_heading() -> str:
    return _("Index (%(level)s interval)", level="95%")


def _indicator_rows(rows: Sequence[ResultRow]) -> list[list[str]]:
    header = [_("Indicator"), _index_heading(), _("Share satisfied"), "n"]
    return [header] + [
        [indicator_label(r.indicator), index_text(r.index), share_text(r.share_satisfied), str(r.n)]
        for r in rows
    ]


def unit_report_pdf(report: UnitReport, comments: Sequence[tuple[str, str]] = ()) -> bytes:
    """The report as PDF bytes (A4), in the language of the current locale."""
    font = _font()
    styles = {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=21, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", fontName=font, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=4
        ),
        "body": ParagraphStyle("body", fontName=font, fontSize=9, leading=13),
        "small": ParagraphStyle(
            "small", fontName=font, fontSize=7.5, leading=10, textColor=colors.HexColor("#5f6368")
        ),
    }
    period = report.period.label if report.period else _("whole campaign")
    story: list = [
        Paragraph(_("Satisfaction report: %(unit)s", unit=report.unit.name), styles["title"]),
        Paragraph(
            _(
                "Campaign %(campaign)s, period %(period)s.",
                campaign=report.campaign.name,
                period=period,
            ),
            styles["body"],
        ),
    ]
    overall = report.overall
    if overall is not None:
        story += [
            Paragraph(_("Overall"), styles["h2"]),
            Paragraph(
                _(
                    "Satisfaction index %(index)s; share satisfied %(share)s; %(n)s respondents.",
                    index=index_text(overall.index),
                    share=share_text(overall.share_satisfied),
                    n=overall.n,
                ),
                styles["body"],
            ),
            Paragraph(overall.weighting, styles["small"]),
        ]
    else:
        story.append(Paragraph(_("No responses yet."), styles["body"]))
    if report.indicators:
        story += [
            Paragraph(_("Indicators"), styles["h2"]),
            bar_drawing(
                [indicator_label(r.indicator) for r in report.indicators],
                [r.index for r in report.indicators],
                font,
            ),
            Spacer(1, 4),
            _table(_indicator_rows(report.indicators), font, (55 * mm, 45 * mm, 50 * mm, 15 * mm)),
        ]
    if overall is not None and overall.groups:
        rows = [[_("Group"), _index_heading(), _("Share satisfied"), "n", _("Weight")]]
        for g in overall.groups:
            rows.append(
                [
                    group_label(g.group),
                    index_text(g.index),
                    share_text(g.share_satisfied),
                    str(g.n),
                    format_percent(g.weight, "0.0%"),
                ]
            )
        story += [
            Paragraph(_("By respondent group"), styles["h2"]),
            bar_drawing(
                [group_label(g.group) for g in overall.groups],
                [g.index for g in overall.groups],
                font,
            ),
            Spacer(1, 4),
            _table(rows, font, (45 * mm, 42 * mm, 45 * mm, 12 * mm, 20 * mm)),
        ]
    if report.trend.years:
        rows = [[_("Year"), _index_heading(), _("Share satisfied"), "n"]]
        rows += [
            [y.year or "", index_text(y.index), share_text(y.share_satisfied), str(y.n)]
            for y in report.trend.years
        ]
        story += [
            Paragraph(_("Trend by year"), styles["h2"]),
            bar_drawing(
                [y.year or "" for y in report.trend.years],
                [y.index for y in report.trend.years],
                font,
            ),
            Spacer(1, 4),
            _table(rows, font, (25 * mm, 55 * mm, 55 * mm, 15 * mm)),
        ]
        for change in report.trend.changes:
            line = _(
                "%(previous)s to %(year)s: index %(verdict)s.",
                previous=change.previous,
                year=change.year,
                verdict=change.index_verdict_text,
            )
            delta = change.index_change
            if delta.estimate is not None and delta.low is not None and delta.high is not None:
                signed = [
                    format_decimal(v, "+0.0;-0.0") for v in (delta.estimate, delta.low, delta.high)
                ]
                line += f" ({signed[0]}; {signed[1]} – {signed[2]})"
            story.append(Paragraph(line, styles["body"]))
    if report.strongest or report.weakest:
        story.append(Paragraph(_("Strongest and weakest items"), styles["h2"]))
        for title, rows_ in ((_("Strongest"), report.strongest), (_("Weakest"), report.weakest)):
            names = "; ".join(
                f"{indicator_label(r.indicator)} {format_decimal(r.index.estimate, '0.0')}"
                for r in rows_
            )
            story.append(Paragraph(f"{title}: {names or '-'}", styles["body"]))
    if comments:
        story.append(Paragraph(_("Selected comments"), styles["h2"]))
        for text, source in comments:
            story.append(Paragraph("“" + _escape(text) + "” — " + _escape(source), styles["body"]))
    story += [
        Spacer(1, 8),
        Paragraph(
            _("Generated %(when)s (UTC).", when=format_datetime(report.generated_at))
            + " "
            + _(
                "Intervals are %(level)s confidence intervals, an index's cut at the 0–100 "
                "limits of its scale; groups with too few respondents are suppressed.",
                level="95%",
            )
            + " "
            + _(
                "Where one figure of a breakdown is suppressed, the next smallest is withheld "
                "too, so that it cannot be worked out from the total."
            ),
            styles["small"],
        ),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=report.unit.name,
        author=report.campaign.name,
    )
    doc.build(story)
    return buffer.getvalue()


def _escape(value: str) -> str:
    """ReportLab paragraphs read a little markup: escape what a respondent wrote."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
