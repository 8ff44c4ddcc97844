"""A cycle year's unit scores as one table: for the annual performance assessment and the API.

One table feeds the CSV, the XLSX and ``/api/v1``, so the three cannot
disagree; it is :func:`.scoring.cycle_year` (seeded by cycle and year, so the
same draws as the pages) flattened per unit. A unit not scored yet is listed
with its status and no figures, never left out: a missing row would read as a
unit that was not evaluated.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ..labels import localised
from ..models import Cycle
from ..spreadsheets import csv_text, xlsx_text_cells
from .messages import N_, text
from .opinion_content import category_points, grade_odds, points_dict
from .scoring import UnitResult, cycle_year

__all__ = ["score_rows", "scores_csv", "scores_xlsx", "unit_status"]


def unit_status(result: UnitResult) -> str:
    """scored, missing (an item has no figure), withheld (a survey figure) or unreliable."""
    if result.withheld:
        return "withheld"
    if result.missing:
        return "missing"
    return "scored" if result.reliable else "unreliable"


def _row(result: UnitResult) -> dict[str, Any]:
    rank = result.rank
    return {
        "unit": result.unit.code,
        "name": result.unit.name,
        "status": unit_status(result),
        "total": points_dict(result.composite.total) if result.composite else None,
        "rank": {"rank": rank.rank, "low": rank.low, "high": rank.high} if rank else None,
        "grade": grade_odds(result),
        "change": points_dict(result.change.total) if result.change else None,
        "categories": [
            {"id": c["id"], "points": c["points"], "max": c["max"], "title": c["title"]}
            for c in category_points(result)
        ],
        "missing": list(result.missing),
    }


def score_rows(cycle: Cycle, year: int) -> list[dict[str, Any]]:
    """Every unit of the cycle in ``year``, best rank first (as the cycle's page lists them)."""
    return [_row(result) for result in cycle_year(cycle, year)]


def _flat(row: dict[str, Any], year: int) -> dict[str, Any]:
    """One row as the spreadsheets' columns (numbers left as numbers, None blank)."""
    total, rank, change, grade = (
        row["total"] or {},
        row["rank"] or {},
        row["change"] or {},
        row["grade"],
    )
    flat: dict[str, Any] = {
        "unit": row["unit"],
        "name": row["name"],
        "year": year,
        "status": row["status"],
        "total": total.get("points"),
        "total_low": total.get("low"),
        "total_high": total.get("high"),
        "rank": rank.get("rank"),
        "rank_low": rank.get("low"),
        "rank_high": rank.get("high"),
        "grade": grade["id"] if grade else None,
        "change": change.get("points"),
        "change_low": change.get("low"),
        "change_high": change.get("high"),
    }
    for category in row["categories"]:
        flat[f"category.{category['id']}"] = category["points"]
    return flat


STATUS_LABELS: dict[str, str] = {
    "scored": N_("scored"),
    "missing": N_("items without a figure"),
    "withheld": N_("survey figure withheld (too few respondents)"),
    "unreliable": N_("not ranked: a survey figure fails the reliability standard"),
}
COLUMNS: tuple[tuple[str, str], ...] = (
    ("unit", N_("Unit code")),
    ("name", N_("Unit")),
    ("year", N_("Year")),
    ("status", N_("Status")),
    ("total", N_("Total")),
    ("total_low", N_("Total, interval low (95%)")),
    ("total_high", N_("Total, interval high (95%)")),
    ("rank", N_("Rank")),
    ("rank_low", N_("Rank, best plausible")),
    ("rank_high", N_("Rank, worst plausible")),
    ("grade", N_("Grade")),
    ("change", N_("Change from last year")),
    ("change_low", N_("Change, interval low (95%)")),
    ("change_high", N_("Change, interval high (95%)")),
)


def _columns(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The fixed columns, then one per category (by the first row's framework)."""
    categories = [
        (f"category.{c['id']}", localised(c["title"]))
        for c in (rows[0]["categories"] if rows else [])
    ]
    return [(key, text(label)) for key, label in COLUMNS] + categories


def scores_csv(cycle: Cycle, year: int) -> bytes:
    """RFC 4180 CSV in UTF-8 with a BOM (Excel reads the Chinese): column keys, then units."""
    rows = score_rows(cycle, year)
    columns = _columns(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([key for key, _ in columns])
    for row in rows:
        flat = _flat(row, year)
        writer.writerow(
            [
                csv_text(v) if isinstance(v, str) else ("" if v is None else v)
                for v in (flat.get(key) for key, _ in columns)
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def scores_xlsx(cycle: Cycle, year: int) -> bytes:
    """An XLSX sheet with the headers in the reader's language and numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows = score_rows(cycle, year)
    columns = _columns(rows)
    book = Workbook()
    sheet = book.active
    sheet.title = str(year)
    sheet.append([label for _, label in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        flat = _flat(row, year)
        flat["status"] = text(STATUS_LABELS[row["status"]])
        flat["grade"] = localised(row["grade"]["title"]) if row["grade"] else None
        sheet.append([flat.get(key) for key, _ in columns])
    xlsx_text_cells(sheet)
    sheet.freeze_panes = "C2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
