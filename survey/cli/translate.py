"""``flask translate extract``, ``update``, ``compile`` for the Babel catalogs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .groups import translate_cli

_TRANSLATIONS = Path(__file__).parent.parent / "translations"


_BABEL_CFG = Path(__file__).parent.parent.parent / "babel.cfg"


_POT = _TRANSLATIONS / "messages.pot"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


@translate_cli.command("extract")
def translate_extract() -> None:
    """Collect the strings marked for translation into messages.pot."""
    _extract()


def _extract() -> None:
    _pybabel(
        "extract",
        "-F",
        str(_BABEL_CFG),
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "-o",
        str(_POT),
        str(_BABEL_CFG.parent),
    )


@translate_cli.command("update")
def translate_update() -> None:
    """Extract, then merge new strings into every catalog."""
    _extract()
    _pybabel(
        "update",
        "-i",
        str(_POT),
        "-d",
        str(_TRANSLATIONS),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogs to .mo files."""
    _pybabel("compile", "-d", str(_TRANSLATIONS))
