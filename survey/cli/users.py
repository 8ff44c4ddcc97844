"""``flask survey user add``."""

from __future__ import annotations

import sys

import click

from ..extensions import db
from ..models import unit_by_code
from .groups import _cli_locale, user_cli


@user_cli.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["admin", "evaluator", "operator", "handler", "liaison"]),
    default="admin",
    show_default=True,
)
@click.option("--name", "display_name", default="", help="The name shown in the workspace.")
@click.option("--unit", "unit_code", default=None, help="A handler's or liaison's unit code.")
@click.password_option(help="At least 10 characters; asked for when not given.")
def user_add(
    username: str, role: str, display_name: str, unit_code: str | None, password: str
) -> None:
    """Create a staff account (the first admin, for instance); recorded in the audit trail."""
    from flask_babel import force_locale, gettext

    from ..access.accounts import AccountError, create_user
    from ..access.audit import record_audit, snapshot

    with force_locale(_cli_locale()):
        unit_id = None
        if unit_code:
            unit = unit_by_code(unit_code)
            if unit is None:
                click.echo(gettext("No unit with code %(code)s.", code=unit_code), err=True)
                sys.exit(1)
            unit_id = unit.id
        try:
            user = create_user(username, password, role, display_name=display_name, unit_id=unit_id)
        except AccountError as error:
            db.session.rollback()
            click.echo(gettext("Not created: %(why)s", why=error), err=True)
            sys.exit(1)
        record_audit("user.create", "user", user.id, after=snapshot(user))
        db.session.commit()
        click.echo(gettext("Account %(name)s created.", name=user.username))
