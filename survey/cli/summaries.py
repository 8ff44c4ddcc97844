"""``flask survey summaries rebuild | check``: the running monthly summaries results read.

``rebuild`` recomputes them from the responses (after a restore, a bulk load or
a change of a campaign's time zone); ``check`` compares them with the responses
and exits 1 listing every cell that differs.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import campaign_by_code
from ..results import running

summaries_cli = AppGroup("summaries", help="The running monthly summaries every result reads.")


def _campaign_ids(code: str | None) -> list[int] | None:
    if code is None:
        return None
    campaign = campaign_by_code(code)
    if campaign is None:
        click.echo(f"no campaign with code {code!r}", err=True)
        sys.exit(1)
    return [campaign.id]


@summaries_cli.command("rebuild")
@click.option("--campaign", "code", help="Only this campaign (by code); all by default.")
def summaries_rebuild(code: str | None) -> None:
    """Recompute the summaries from the responses that count."""
    rows = running.rebuild(db.session, _campaign_ids(code))
    db.session.commit()
    click.echo(f"{rows} summary rows written")


@summaries_cli.command("check")
@click.option("--campaign", "code", help="Only this campaign (by code); all by default.")
def summaries_check(code: str | None) -> None:
    """Compare the summaries with the responses; exit 1 if any cell differs."""
    problems = running.disagreements(db.session, _campaign_ids(code))
    db.session.commit()
    for line in problems:
        click.echo(line, err=True)
    if problems:
        click.echo(f"{len(problems)} cells differ: run 'flask survey summaries rebuild'", err=True)
        sys.exit(1)
    click.echo("summaries agree with the responses")
