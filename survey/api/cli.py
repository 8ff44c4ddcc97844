"""``flask survey api-token add NAME`` and ``... revoke ID``: tokens for the indicator API.

Both are recorded in the audit trail; the plain token is printed once and only
its hash is stored, so a lost token is revoked and replaced, never recovered.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..access import issue_api_token
from ..access_models import ApiToken
from ..audit import record_audit, snapshot
from ..extensions import db
from ..models import utcnow

api_token_cli = AppGroup("api-token", help="Tokens of the read-only indicator API.")

# What the audit trail keeps of a token (never its hash).
AUDITED_FIELDS = ("id", "name", "created_by_id", "created_at", "revoked_at")


@api_token_cli.command("add")
@click.argument("name")
def api_token_add(name: str) -> None:
    """Create a token for NAME (e.g. the evaluation system) and print it once."""
    name = name.strip()
    if not name or len(name) > 200:
        click.echo("not created: the name must have 1 to 200 characters", err=True)
        sys.exit(1)
    row, token = issue_api_token(name)
    record_audit("api_token.create", "api_token", row.id, after=snapshot(row, AUDITED_FIELDS))
    db.session.commit()
    click.echo(f"token {row.id} for {name} (shown once, store it now):")
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
    before = snapshot(row, AUDITED_FIELDS)
    row.revoked_at = utcnow()
    record_audit(
        "api_token.revoke", "api_token", row.id, before=before, after=snapshot(row, AUDITED_FIELDS)
    )
    db.session.commit()
    click.echo(f"revoked token {token_id} ({row.name})")
