"""QR codes for service points and receipt tickets, as PNG and SVG.

Error correction level Q (25% of the code can be soiled or torn, as happens to
posters at a counter and to thermal receipts) and the standard quiet zone of
four modules, without which many phone cameras fail to lock on.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_Q

QUIET_ZONE = 4


def _code(url: str, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=box_size, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str, *, box_size: int = 10) -> bytes:
    """A PNG of the code for ``url`` (10 px per module prints sharply at 300 dpi on A4)."""
    image = _code(url, box_size).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    """A self-contained SVG of the code for ``url``, scalable for posters and print sheets."""
    image = _code(url, 10).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


def inline_svg(url: str) -> str:
    """The SVG without its XML declaration, to embed in an HTML page."""
    svg = qr_svg(url)
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
