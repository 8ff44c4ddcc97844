"""An opinion as an editable Word document (python-docx), from the same words as the PDF.

The unit and the office edit opinions in Word; the document carries the text
and tables only, in styles Word's own templates know (Title, Heading 2,
Table Grid), so it opens the same in Word, WPS and LibreOffice. Chinese text
takes the East Asian font slot of each run, so Word does not fall back to a
Latin font for it.
"""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.run import Run

from .opinion_text import Block

__all__ = ["opinion_docx"]

EAST_ASIAN_FONT = "SimSun"


def _east_asian(run: Run) -> None:
    properties = run._element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)


def opinion_docx(blocks: list[Block], *, title: str, author: str) -> bytes:
    """The blocks as .docx bytes."""
    document = Document()
    document.core_properties.title = title
    document.core_properties.author = author
    for block in blocks:
        if block.kind == "table":
            columns = max(len(r) for r in block.rows)
            table = document.add_table(rows=0, cols=columns)
            table.style = "Table Grid"
            for row in block.rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=False):
                    cell.text = text
                    for run in cell.paragraphs[0].runs:
                        _east_asian(run)
            continue
        if block.kind == "title":
            paragraph = document.add_heading(level=0)
        elif block.kind == "h2":
            paragraph = document.add_heading(level=2)
        else:
            paragraph = document.add_paragraph(style="Quote" if block.kind == "quote" else None)
        run = paragraph.add_run(block.text)
        _east_asian(run)
        if block.kind == "small":
            run.font.size = Pt(8)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
