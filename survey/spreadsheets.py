"""Text written into CSV and XLSX files that evaluators open in Excel or WPS.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` is read by spreadsheet
programs as a formula, so a unit name, contact name or comment typed as
``=HYPERLINK(...)`` would run when an evaluator opens the export (CSV
injection, OWASP). Every text cell we write goes through here: in CSV the
value gets a leading apostrophe, which spreadsheets show as text and hide;
in XLSX the cell is stored as a string, so what is shown is exactly what
was typed.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """``value`` made safe for a CSV cell: a leading apostrophe where it could start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def xlsx_text_cells(sheet: Any) -> None:
    """Store every text cell of an openpyxl ``sheet`` as a string, never as a formula.

    openpyxl turns a str starting with ``=`` into a formula cell; setting the
    data type back to ``s`` writes it as the literal text.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type == "f":
                cell.data_type = "s"
