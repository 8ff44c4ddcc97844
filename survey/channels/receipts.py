"""Ticket codes for the counters' thermal receipt printers: 58 mm and 80 mm rolls.

A receipt printer prints a bitmap as it is, dot for dot: at 203 dpi (8 dots a
millimetre) a 58 mm roll takes 384 dots and an 80 mm roll 576 (48 and 72 mm of
the paper's width). So each code is drawn as a black-and-white PNG exactly that
wide, the QR code's modules a whole number of dots (never blurred by scaling),
with the instruction, the unit, the point and the ticket's number above and
below it: ready to send as an ESC/POS raster image. The PDF puts the same
images on pages the roll's width, one code a page, for a printer driver.

The text is in Simplified Chinese, as on the A4 sheet (the counters are in
mainland service halls), in the font of the PDF report (SURVEY_PDF_FONT).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import qrcode
from flask import current_app
from flask_babel import force_locale, gettext
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_Q

from ..models import ServicePoint
from .qr import QUIET_ZONE

DOTS_PER_MM = 8  # 203 dpi, the resolution of nearly every receipt printer


@dataclass(frozen=True)
class Roll:
    """A receipt roll: its paper width and the dots a printer prints across it."""

    key: str  # "58mm" or "80mm": the CLI's --format and the form's choice
    paper_mm: int
    dots: int

    @property
    def print_mm(self) -> float:
        return self.dots / DOTS_PER_MM


ROLLS = {roll.key: roll for roll in (Roll("58mm", 58, 384), Roll("80mm", 80, 576))}


def receipt_png(point: ServicePoint, number: int, url: str, roll: Roll) -> bytes:
    """Ticket ``number`` (its code leads to ``url``) as a 1-bit PNG exactly ``roll.dots`` wide."""
    return _to_png(_receipt_image(point, number, url, roll))


def receipts_pdf(point: ServicePoint, tickets: Sequence[tuple[int, str]], roll: Roll) -> bytes:
    """The tickets, (number, url) each, as a PDF: one a page, as wide as the roll.

    The image is placed at the printer's 203 dpi, centred in the paper's width
    (the printer's margins are the paper's beyond its dots).
    """
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setTitle(f"{point.unit.name} · {point.name}")
    width = roll.paper_mm * mm
    for number, url in tickets:
        image = _receipt_image(point, number, url, roll)
        length = image.height / DOTS_PER_MM * mm
        pdf.setPageSize((width, length))
        left = (width - roll.print_mm * mm) / 2
        pdf.drawImage(ImageReader(image.convert("L")), left, 0, roll.print_mm * mm, length)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _receipt_image(point: ServicePoint, number: int, url: str, roll: Roll) -> Image.Image:
    """Instruction, code, unit · point and the number; 2 mm of white above and below."""
    with force_locale("zh_Hans"):
        call = gettext("Scan to rate this service")
        numbered = gettext("No. %(number)s", number=number)
    code = _qr_image(url, roll.dots)
    big = _font(roll.dots // 14)
    small = _font(roll.dots // 20)
    blocks = [
        _text_block(call, big, roll.dots),
        code,
        _text_block(f"{point.unit.name} · {point.name}", small, roll.dots),
        _text_block(numbered, small, roll.dots),
    ]
    margin = 2 * DOTS_PER_MM
    height = margin * 2 + sum(block.height for block in blocks)
    image = Image.new("1", (roll.dots, height), 1)
    top = margin
    for block in blocks:
        image.paste(block, ((roll.dots - block.width) // 2, top))
        top += block.height
    return image


def _qr_image(url: str, dots: int) -> Image.Image:
    """The code, quiet zone included, as large as fits in ``dots`` with whole dots a module."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=1, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    modules = code.modules_count + 2 * QUIET_ZONE
    code.box_size = max(1, dots // modules)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("1")


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(current_app.config["SURVEY_PDF_FONT"]), size)


def _text_block(text: str, font: ImageFont.FreeTypeFont, width: int) -> Image.Image:
    """``text`` centred, wrapped at ``width`` dots (by character: Chinese has no spaces)."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and font.getlength(line + char) > width:
            lines.append(line)
            line = char
        else:
            line += char
    lines.append(line)
    step = int(font.size * 1.3)
    block = Image.new("1", (width, step * len(lines)), 1)
    draw = ImageDraw.Draw(block)
    for index, text_line in enumerate(lines):
        left = (width - font.getlength(text_line)) / 2
        draw.text((left, index * step), text_line, font=font, fill=0)
    return block


def _to_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(203, 203))
    return buffer.getvalue()
