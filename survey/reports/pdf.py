"""The per-unit report as a PDF, drawn with ReportLab.

Why ReportLab: it is pure Python (no browser or system library on the
server). Every word is set in one TrueType font that the PDF embeds as a
subset (see :mod:`survey.reports.fonts`), so any viewer, poppler's included,
draws the Chinese; unit names are Chinese in every language, so the English
report uses the same font.

Labels go through Babel (call inside a request or ``force_locale``); numbers
are formatted for the reader's locale, times in the campaign's time zone.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime, format_decimal, format_percent
from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..labels import group_label, index_bound, indicator_label
from ..results.estimates import ResultRow
from ..results.methods import methods_notes
from ..results.reading import row_notes, shown_unreliable
from ..results.unit_report import UnitReport
from ..stats import Estimate
from .figures import index_text, n_text, share_text
from .fonts import SETTING, fit_to_font, report_font

# The zone of a campaign that names none (Campaign.timezone's default).
DEFAULT_ZONE = "Asia/Shanghai"

Styles = dict[str, ParagraphStyle]


def generated_text(report: UnitReport) -> str:
    """When the report was made, as a clock in the campaign's time zone reads, zone named.

    Why: the figures' months and years are the campaign's local ones, and a
    reader compares the footer with them; a bare time would leave the zone to
    a guess (it once said UTC beside a local time).
    """
    zone = ZoneInfo(report.campaign.timezone or DEFAULT_ZONE)
    moment = report.generated_at
    if moment.tzinfo is None:  # stored as naive UTC, as every time in the database
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone)
    return _(
        "Generated %(when)s (%(zone)s).",
        when=format_datetime(local, rebase=False),
        zone=zone.key,
    )


def bar_drawing(labels: Sequence[str], estimates: Sequence[Estimate], font: str) -> Drawing:
    """Horizontal bars on 0-100 with interval whiskers; suppressed rows drawn empty."""
    row, left, width = 16, 70 * mm, 90 * mm
    drawing = Drawing(left + width + 12 * mm, row * len(labels) + 14)
    drawing.initialFontName = font  # else the drawing starts in Times-Roman, never embedded
    for step in range(0, 101, 25):
        x = left + width * step / 100
        drawing.add(Line(x, 10, x, row * len(labels) + 10, strokeColor=colors.lightgrey))
        drawing.add(String(x, 0, str(step), fontName=font, fontSize=7, textAnchor="middle"))
    for i, (label, est) in enumerate(zip(labels, estimates, strict=True)):
        y = 10 + row * (len(labels) - i - 1)
        drawing.add(
            String(
                left - 4,
                y + 4,
                fit_to_font(label[:24], font),
                fontName=font,
                fontSize=8,
                textAnchor="end",
            )
        )
        if est.estimate is None:
            suppressed = fit_to_font(_("suppressed"), font)
            drawing.add(String(left + 2, y + 4, suppressed, fontName=font, fontSize=7))
            continue
        _draw_bar(drawing, est.estimate, est, left=left, width=width, y=y, row=row)
    return drawing


def _draw_bar(
    drawing: Drawing,
    value: float,
    est: Estimate,
    *,
    left: float,
    width: float,
    y: float,
    row: float,
) -> None:
    """One figure's bar (``value``, the estimate shown) and, where known, its whisker.

    An unreliable figure's bar is pale grey, as on the pages.
    """
    fill = "#c3cad6" if shown_unreliable(est) else "#5b7db8"
    drawing.add(
        Rect(
            left,
            y + 3,
            width * value / 100,
            row - 6,
            fillColor=colors.HexColor(fill),
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


def _table(rows: list[list[str]], font: str, widths: Sequence[float]) -> Table:
    """A figures table in the report's font, header repeated on a new page, numbers right."""
    fitted = [[fit_to_font(cell, font) for cell in row] for row in rows]
    table = Table(fitted, colWidths=widths, repeatRows=1)
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


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph whose every character the report's font can draw (see fit_to_font)."""
    return Paragraph(fit_to_font(text, style.fontName), style)


def _styles(font: str) -> Styles:
    """The four text styles of the report, all in the one embedded font."""
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=21, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", fontName=font, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=4
        ),
        "body": ParagraphStyle("body", fontName=font, fontSize=9, leading=13),
        "small": ParagraphStyle(
            "small", fontName=font, fontSize=7.5, leading=10, textColor=colors.HexColor("#5f6368")
        ),
    }


def _index_heading() -> str:
    """The index column's heading, one msgid for the three tables that show it."""
    return _("Index (%(level)s interval)", level="95%")


def _indicator_rows(rows: Sequence[ResultRow]) -> list[list[str]]:
    """The indicators table: header, then index, share and n per indicator."""
    header = [_("Indicator"), _index_heading(), _("Share satisfied"), "n"]
    return [header] + [
        [
            indicator_label(r.indicator),
            index_text(r.index),
            share_text(r.share_satisfied),
            n_text(r.n, r.index),
        ]
        for r in rows
    ]


def _heading(report: UnitReport, styles: Styles) -> list[Flowable]:
    """Title and the campaign and period the figures belong to."""
    period = report.period.label if report.period else _("whole campaign")
    return [
        _paragraph(_("Satisfaction report: %(unit)s", unit=report.unit.name), styles["title"]),
        _paragraph(
            _(
                "Campaign %(campaign)s, period %(period)s.",
                campaign=report.campaign.name,
                period=period,
            ),
            styles["body"],
        ),
    ]


def _overall_section(report: UnitReport, styles: Styles) -> list[Flowable]:
    """The overall index and share with their weighting line, or that nobody answered yet."""
    overall = report.overall
    if overall is None:
        return [_paragraph(_("No responses yet."), styles["body"])]
    return [
        _paragraph(_("Overall"), styles["h2"]),
        _paragraph(
            _(
                "Satisfaction index %(index)s; share satisfied %(share)s; %(n)s respondents.",
                index=index_text(overall.index),
                share=share_text(overall.share_satisfied),
                n=n_text(overall.n, overall.index),
            ),
            styles["body"],
        ),
        *[
            _paragraph(_escape(note), styles["small"])
            for note in row_notes(overall.index, overall.share_satisfied)
        ],
        _paragraph(overall.weighting, styles["small"]),
    ]


def _chart_and_table(
    heading: str,
    labels: Sequence[str],
    estimates: Sequence[Estimate],
    rows: list[list[str]],
    widths: Sequence[float],
    styles: Styles,
    notes: Sequence[tuple[str, list[str]]] = (),
) -> list[Flowable]:
    """A breakdown as the pages show it: heading, bars with whiskers, the table, its notes.

    ``notes`` are (row label, notes) pairs: why a figure is unreliable and where
    it departs from R's default (survey.results.reading), said under the table.
    """
    font = styles["body"].fontName
    story: list[Flowable] = [
        _paragraph(heading, styles["h2"]),
        bar_drawing(labels, estimates, font),
        Spacer(1, 4),
        _table(rows, font, widths),
    ]
    for label, said in notes:
        if said:
            story.append(
                _paragraph(f"{_escape(label)}: {_escape('; '.join(said))}", styles["small"])
            )
    return story


def _row_notes(label: str, row: ResultRow) -> tuple[str, list[str]]:
    return label, row_notes(row.index, row.share_satisfied)


def _indicators_section(report: UnitReport, styles: Styles) -> list[Flowable]:
    """Every indicator as a bar with its interval, then the same figures as a table."""
    if not report.indicators:
        return []
    return _chart_and_table(
        _("Indicators"),
        [indicator_label(r.indicator) for r in report.indicators],
        [r.index for r in report.indicators],
        _indicator_rows(report.indicators),
        (55 * mm, 45 * mm, 50 * mm, 15 * mm),
        styles,
        [_row_notes(indicator_label(r.indicator), r) for r in report.indicators],
    )


def _staff_section(report: UnitReport, styles: Styles) -> list[Flowable]:
    """The staff's opinion of their own unit: a dimension apart, its own table."""
    if not report.staff:
        return []
    font = styles["body"].fontName
    story: list[Flowable] = [
        _paragraph(_("Staff's own opinion of their unit"), styles["h2"]),
        _paragraph(
            _(
                "A dimension of its own: never pooled with, nor ranked against, the "
                "satisfaction of the people served."
            ),
            styles["small"],
        ),
        _table(_indicator_rows(report.staff), font, (55 * mm, 45 * mm, 50 * mm, 15 * mm)),
    ]
    for r in report.staff:
        said = row_notes(r.index, r.share_satisfied)
        if said:
            label = indicator_label(r.indicator)
            story.append(
                _paragraph(f"{_escape(label)}: {_escape('; '.join(said))}", styles["small"])
            )
    return story


def _groups_section(report: UnitReport, styles: Styles) -> list[Flowable]:
    """The overall figures by respondent group, with each group's weight."""
    overall = report.overall
    if overall is None or not overall.groups:
        return []
    rows = [[_("Group"), _index_heading(), _("Share satisfied"), "n", _("Weight")]]
    for g in overall.groups:
        rows.append(
            [
                group_label(g.group),
                index_text(g.index),
                share_text(g.share_satisfied),
                n_text(g.n, g.index),
                format_percent(g.weight, "0.0%"),
            ]
        )
    return _chart_and_table(
        _("By respondent group"),
        [group_label(g.group) for g in overall.groups],
        [g.index for g in overall.groups],
        rows,
        (45 * mm, 42 * mm, 45 * mm, 12 * mm, 20 * mm),
        styles,
        [(group_label(g.group), row_notes(g.index, g.share_satisfied)) for g in overall.groups],
    )


def _trend_section(report: UnitReport, styles: Styles) -> list[Flowable]:
    """The index by year, then each year-on-year change with its verdict and interval."""
    years = report.trend.years
    if not years:
        return []
    rows = [[_("Year"), _index_heading(), _("Share satisfied"), "n"]]
    rows += [
        [y.year or "", index_text(y.index), share_text(y.share_satisfied), n_text(y.n, y.index)]
        for y in years
    ]
    story = _chart_and_table(
        _("Trend by year"),
        [y.year or "" for y in years],
        [y.index for y in years],
        rows,
        (25 * mm, 55 * mm, 55 * mm, 15 * mm),
        styles,
        [_row_notes(y.year or "", y) for y in years],
    )
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
        if change.mix_text:
            line += f" ({_escape(change.mix_text)})"
        story.append(_paragraph(line, styles["body"]))
    return story


def _extremes_section(report: UnitReport, styles: Styles) -> list[Flowable]:
    """The items clearly stronger or weaker than the others, by name and index."""
    if not (report.strongest or report.weakest):
        return []
    story: list[Flowable] = [
        _paragraph(_("Strongest and weakest items"), styles["h2"]),
        _paragraph(
            _(
                "Only reliable figures are compared; an item is named only where its difference "
                "from the weakest (or strongest) item has a %(level)s interval that excludes "
                "zero.",
                level="95%",
            ),
            styles["small"],
        ),
    ]
    for title, rows in ((_("Strongest"), report.strongest), (_("Weakest"), report.weakest)):
        names = "; ".join(
            f"{indicator_label(r.indicator)} {format_decimal(r.index.estimate, '0.0')}"
            for r in rows
        )
        story.append(_paragraph(f"{title}: {names or '-'}", styles["body"]))
    return story


def _comments_section(comments: Sequence[tuple[str, str]], styles: Styles) -> list[Flowable]:
    """The comments the evaluator chose, each with its group and month, escaped."""
    if not comments:
        return []
    story: list[Flowable] = [_paragraph(_("Selected comments"), styles["h2"])]
    for text, source in comments:
        story.append(_paragraph("“" + _escape(text) + "” — " + _escape(source), styles["body"]))
    return story


def _footer(report: UnitReport, styles: Styles) -> list[Flowable]:
    """When it was made (campaign's zone) and how to read intervals and withheld figures."""
    notes = " ".join(
        (
            generated_text(report),
            _(
                "Intervals are %(level)s confidence intervals, an index's cut at the 0–100 "
                "limits of its scale; groups with too few respondents are suppressed.",
                level="95%",
            ),
            _(
                "Some figures of k or more respondents are withheld too, so that no "
                "suppressed figure can be worked out from the published ones of any period "
                "or breakdown; a unit's figure is built from the groups shown beside it."
            ),
            _(
                "† marks a figure that does not meet the reliability standard: it is shown "
                "greyed, with the reason under its table, and is never ranked."
            ),
        )
    )
    return [Spacer(1, 8), _paragraph(notes, styles["small"])]


def _methods_section(styles: Styles) -> list[Flowable]:
    """The technical notes (survey.results.methods), as on the methods page."""
    k = int(current_app.config.get("SURVEY_SMALL_CELL_K", 5))
    story: list[Flowable] = [_paragraph(_("How the figures are made"), styles["h2"])]
    for section in methods_notes(k):
        story.append(_paragraph(_escape(section.heading), styles["body"]))
        story.extend(_paragraph(_escape(p), styles["small"]) for p in section.paragraphs)
    return story


def unit_report_pdf(report: UnitReport, comments: Sequence[tuple[str, str]] = ()) -> bytes:
    """The report as PDF bytes (A4), in the language of the current locale.

    The font is the app's SURVEY_PDF_FONT (the shipped one by default); the
    canvas starts in it too, so no unembedded standard font enters the file.
    """
    font = report_font(current_app.config.get(SETTING))
    styles = _styles(font)
    story = [
        *_heading(report, styles),
        *_overall_section(report, styles),
        *_indicators_section(report, styles),
        *_staff_section(report, styles),
        *_groups_section(report, styles),
        *_trend_section(report, styles),
        *_extremes_section(report, styles),
        *_comments_section(comments, styles),
        *_footer(report, styles),
        *_methods_section(styles),
    ]
    return a4_pdf(story, font, title=report.unit.name, author=report.campaign.name)


def a4_pdf(story: Sequence[Flowable], font: str, *, title: str, author: str) -> bytes:
    """A story on A4 with the reports' margins; the canvas starts in ``font`` (embedded)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=author,
        initialFontName=font,
    )
    doc.build(list(story))
    return buffer.getvalue()


def _escape(value: str) -> str:
    """ReportLab paragraphs read a little markup: escape what a respondent wrote."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
