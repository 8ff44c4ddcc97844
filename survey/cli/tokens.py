"""``flask survey api-token add NAME`` and ``... revoke ID``: tokens for the indicator API.

Both are recorded in the audit trail; the plain token is printed once and only
its hash is stored, so a lost token is revoked and replaced, never recovered.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .. import setup as service
from ..extensions import db
from ..models import ApiToken

api_token_cli = AppGroup("api-token", help="Tokens of the read-only indicator API.")


@api_token_cli.command("add")
@click.argument("name")
def api_token_add(name: str) -> None:
    """Create a token for NAME (e.g. the evaluation system) and print it once."""
    try:
        row, token = service.create_api_token(name, by=None)
    except service.SetupError as problem:
        click.echo(f"not created: {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"token {row.id} for {row.name} (shown once, store it now):")
    click.echo(token)


@api_token_cli.command("revoke")
@click.argument("token_id", type=int)
def api_token_revoke(token_id: int) -> None:
    """Revoke token ID at once; requests with it get 401 from now on."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        click.echo(f"no API token with id {token_id}", err=True)
        sys.exit(1)
    if row.revoked_at is not None:
        click.echo(f"token {token_id} was already revoked at {row.revoked_at:%Y-%m-%d %H:%M} UTC")
        return
    service.revoke_api_token(row)
    db.session.commit()
    click.echo(f"revoked token {token_id} ({row.name})")
