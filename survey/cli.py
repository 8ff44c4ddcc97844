"""``flask survey ...`` commands and ``flask translate ...`` for the Babel catalogs.

Each command is a thin shell over a plain function elsewhere, so the same work
can be done from a test, a web page or a script.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .extensions import db

survey_cli = AppGroup("survey", help="Survey platform commands.")
instruments_cli = AppGroup("instruments", help="Questionnaire files under instruments/.")
translate_cli = AppGroup("translate", help="Babel catalogs: extract, update, compile.")
survey_cli.add_command(instruments_cli)


def register_cli(app: Flask) -> None:
    app.cli.add_command(survey_cli)
    app.cli.add_command(translate_cli)


# --- instruments -------------------------------------------------------------------------------


@instruments_cli.command("check")
@click.argument("directory", required=False)
def instruments_check(directory: str | None) -> None:
    """Validate every instrument file; print ``file:question: problem`` and exit 1 on the first."""
    from .instruments import InstrumentError, load_directory

    directory = directory or current_app.config["INSTRUMENTS_DIR"]
    try:
        instruments = load_directory(directory)
    except InstrumentError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    for instrument in instruments.values():
        count = len(instrument.questions)
        click.echo(f"{instrument.id}: {count} questions, version {instrument.version[:12]}")


@instruments_cli.command("load")
def instruments_load() -> None:
    """Store the current version of every instrument file, so responses can refer to it."""
    from .instrument_store import register_versions

    added = register_versions()
    db.session.commit()
    for row in added:
        click.echo(f"stored {row.instrument_id} version {row.version[:12]}")
    if not added:
        click.echo("all instrument versions already stored")


# --- translations ------------------------------------------------------------------------------

_TRANSLATIONS = Path(__file__).parent / "translations"
_BABEL_CFG = Path(__file__).parent.parent / "babel.cfg"
_POT = _TRANSLATIONS / "messages.pot"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


@translate_cli.command("extract")
def translate_extract() -> None:
    """Collect the strings marked for translation into messages.pot."""
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
        str(Path(__file__).parent),
    )


@translate_cli.command("update")
def translate_update() -> None:
    """Extract, then merge new strings into every catalog."""
    translate_extract.callback()  # type: ignore[misc]
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
