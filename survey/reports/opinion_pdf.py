"""An opinion as PDF, with the per-unit report's machinery: one embedded CJK TrueType font.

The words come from :mod:`survey.reports.opinion_text`; the styles, tables and
font from :mod:`survey.reports.pdf`, so the opinion looks like the report and
embeds its font the same way (poppler draws the Chinese; no standard font
enters the file).
"""

from __future__ import annotations

from flask import current_app
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from .fonts import SETTING, report_font
from .opinion_text import Block
from .pdf import Styles, _escape, _paragraph, _styles, a4_pdf

__all__ = ["opinion_pdf"]

WIDTH = 174 * mm


def _table(block: Block, styles: Styles) -> Table:
    """A table whose cells wrap (a required fix may be a paragraph long), header shaded."""
    cells = [[_paragraph(_escape(text), styles["body"]) for text in row] for row in block.rows]
    table = Table(cells, colWidths=[w * WIDTH for w in block.widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                # else the table sets Helvetica, which no one embeds, around its cells
                ("FONTNAME", (0, 0), (-1, -1), styles["body"].fontName),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9ced6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def opinion_pdf(blocks: list[Block], *, title: str, author: str) -> bytes:
    """The blocks as PDF bytes (A4), every word in the app's report font."""
    font = report_font(current_app.config.get(SETTING))
    styles = _styles(font)
    story: list[Flowable] = []
    for block in blocks:
        if block.kind == "table":
            story += [_table(block, styles), Spacer(1, 6)]
        elif block.kind == "quote":
            story.append(_paragraph(_escape(block.text), styles["body"]))
        else:
            style = styles["body" if block.kind == "p" else block.kind]
            story.append(_paragraph(_escape(block.text), style))
    return a4_pdf(story, font, title=title, author=author)
