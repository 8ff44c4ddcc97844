"""Printable A4 pages: a service point's poster and a sheet of receipt tickets.

Tickets for a counter's receipt printer (58 or 80 mm rolls) are drawn by
survey.channels.receipts; write_ticket_files writes either.

Self-contained HTML (the codes inline as SVG, no external resources) so that a
counter clerk can open the file offline and print it from any browser. Posters
are in Simplified Chinese: they hang in mainland service halls.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import render_template
from flask_babel import force_locale

from ..models import ServicePoint, Ticket
from .links import kiosk_url, point_url, ticket_url
from .qr import inline_svg, qr_png, qr_svg
from .receipts import Roll, receipt_png, receipts_pdf

MAX_TICKETS = 10_000


@dataclass(frozen=True)
class SheetTicket:
    number: int
    url: str


def poster_html(point: ServicePoint) -> str:
    """The A4 poster of a service point's reusable code."""
    url = point_url(point)
    with force_locale("zh_Hans"):
        return render_template(
            "print/poster.html", point=point, unit=point.unit, url=url, svg=inline_svg(url)
        )


def ticket_sheet_html(point: ServicePoint, tickets: Sequence[SheetTicket]) -> str:
    """An A4 sheet of one-time ticket codes, 3 by 4 a page, with cut lines."""
    with force_locale("zh_Hans"):
        return render_template(
            "print/tickets.html",
            point=point,
            unit=point.unit,
            tickets=[(t, inline_svg(t.url)) for t in tickets],
        )


def write_point_files(point: ServicePoint, out: Path) -> list[Path]:
    """The point's code (PNG, SVG), its kiosk code and its poster, written into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    url = point_url(point)
    files = {
        out / f"{point.code}.png": qr_png(url),
        out / f"{point.code}.svg": qr_svg(url).encode("utf-8"),
        out / f"{point.code}-kiosk.png": qr_png(kiosk_url(point)),
        out / f"{point.code}-poster.html": poster_html(point).encode("utf-8"),
    }
    for path, content in files.items():
        path.write_bytes(content)
    return list(files)


def write_ticket_files(
    point: ServicePoint, issued: Sequence[tuple[Ticket, str]], out: Path, roll: Roll | None = None
) -> list[SheetTicket]:
    """Write the codes of tickets just issued (``issue_tickets``), a printable sheet and a CSV.

    On A4 (``roll`` None): each code as PNG and SVG, and tickets.html, 12 a page.
    For a receipt roll: each ticket as the printer's PNG (ticket-00001-58mm.png)
    and tickets-58mm.pdf, one ticket a page.

    Files are named by a running number, never by token; the plain tokens exist
    only in these files (the database keeps their hashes). The caller commits
    after the files are written, so a failed write leaves no orphan tickets; it
    issues the tickets itself so that it can audit them in the same transaction.
    """
    out.mkdir(parents=True, exist_ok=True)
    sheet = [SheetTicket(number, ticket_url(token)) for number, (_t, token) in enumerate(issued, 1)]
    if roll is not None:
        for item in sheet:
            png = receipt_png(point, item.number, item.url, roll)
            (out / f"ticket-{item.number:05d}-{roll.key}.png").write_bytes(png)
        pdf = receipts_pdf(point, [(item.number, item.url) for item in sheet], roll)
        (out / f"tickets-{roll.key}.pdf").write_bytes(pdf)
    else:
        for item in sheet:
            (out / f"ticket-{item.number:05d}.png").write_bytes(qr_png(item.url))
            (out / f"ticket-{item.number:05d}.svg").write_text(qr_svg(item.url), encoding="utf-8")
        (out / "tickets.html").write_text(ticket_sheet_html(point, sheet), encoding="utf-8")
    with open(out / "tickets.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "url"])
        writer.writerows([item.number, item.url] for item in sheet)
    return sheet
