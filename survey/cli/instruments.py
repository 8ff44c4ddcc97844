"""``flask survey instruments check`` and ``... load``."""

from __future__ import annotations

import sys

import click
from flask import current_app

from ..extensions import db
from .groups import instruments_cli


@instruments_cli.command("check")
@click.argument("directory", required=False)
def instruments_check(directory: str | None) -> None:
    """Validate every instrument file; print ``file:question: problem`` and exit 1 on the first."""
    from ..instruments import InstrumentError, load_directory

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
    from ..instruments.store import register_versions

    added = register_versions()
    db.session.commit()
    for row in added:
        click.echo(f"stored {row.instrument_id} version {row.version[:12]}")
    if not added:
        click.echo("all instrument versions already stored")
