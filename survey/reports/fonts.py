"""The one font of the PDF report: a TrueType font, embedded as a subset.

Why not ReportLab's built-in CID fonts (STSong-Light, MSung-Light): they are
not embedded, and a viewer without Adobe's Asian font packs (poppler, so
evince and pdftoppm, and many phone viewers) draws every Chinese character as
an empty box. Why not the standard Helvetica for Latin text: it is not
embedded either. So every word of the report, Chinese or Latin, in every
language, is set in one TrueType font that ReportLab embeds and subsets (only
the glyphs the report uses travel, a few tens of kilobytes).

The default ships with the app (WenQuanYi Micro Hei, Apache-2.0, in
survey/static/fonts/), so a fresh machine needs nothing but Python;
SURVEY_PDF_FONT names another. It must have TrueType (glyf) outlines:
ReportLab cannot embed CFF outlines, which rules out the .otf and .ttc files
of Noto Sans CJK and Source Han Sans.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

DEFAULT_FONT = Path(__file__).resolve().parent.parent / "static" / "fonts" / "wqy-microhei.ttc"
SETTING = "SURVEY_PDF_FONT"

# Registered fonts by file, so a process parses a font file once (about 0.3 s for 5 MB).
_registered: dict[str, str] = {}


class ReportFontError(RuntimeError):
    """The configured font cannot be used: says which setting, which file and why."""


def report_font(path: str | Path | None = None) -> str:
    """Register the report's font (once per file) and return its ReportLab name.

    A TrueType collection (.ttc) gives its first face. A missing file or one
    without TrueType outlines raises ReportFontError naming SURVEY_PDF_FONT,
    rather than a PDF that quietly falls back to a font nobody embeds.
    """
    file = str(Path(path) if path else DEFAULT_FONT)
    name = _registered.get(file)
    if name is not None:
        return name
    if not Path(file).is_file():
        raise ReportFontError(f"{SETTING}={file}: no such file")
    name = "Report-" + hashlib.sha256(file.encode()).hexdigest()[:12]
    try:
        font = TTFont(name, file, subfontIndex=0)
    except TTFError as error:
        raise ReportFontError(
            f"{SETTING}={file}: {error}; the PDF report needs a TrueType (glyf) font, "
            f"such as the shipped {DEFAULT_FONT.name}"
        ) from error
    pdfmetrics.registerFont(font)
    _registered[file] = name
    return name


def fit_to_font(text: str, font: str) -> str:
    """The text with each character the font lacks replaced by its compatibility form.

    Why: the locale data puts characters a CJK font may not carry into
    formatted values (CLDR's English times have a narrow no-break space before
    "PM"); their compatibility form (a plain space) is drawn instead of an
    empty box. A character with no drawable form is left as it is.
    """
    glyphs = pdfmetrics.getFont(font).face.charToGlyph
    if all(ord(ch) in glyphs for ch in text):
        return text
    return "".join(_fitted(ch, glyphs) for ch in text)


def _fitted(ch: str, glyphs: dict[int, int]) -> str:
    if ord(ch) in glyphs:
        return ch
    plain = unicodedata.normalize("NFKC", ch)
    return plain if plain and all(ord(c) in glyphs for c in plain) else ch
