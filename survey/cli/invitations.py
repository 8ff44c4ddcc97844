"""``flask survey invite``: contacts to personal invitations, all rows or none."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask_babel import gettext

from ..contacts.phones import mask_phone
from ..extensions import db
from ..setup import record_contact_import
from ..setup.invitations import (
    ImportRejected,
    ImportResult,
    import_invitations,
    write_links_csv,
)
from .groups import _cli_locale, survey_cli


@survey_cli.command("invite")
@click.option("--campaign", "campaign_code", required=True, help="Campaign code.")
@click.option("--group", "group_code", required=True, help="Respondent group code.")
@click.option("--unit", "unit_code", help="Unit code for rows without a unit column value.")
@click.option(
    "--contacts",
    "contacts_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV: name, phone, organisation, language, unit (UTF-8 or GB18030); "
    "other columns are ignored with a warning.",
)
@click.option("--channel", type=click.Choice(["link", "sms", "paper", "phone"]), default="link")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the links to this CSV for a mail merge instead of printing them.",
)
def invite(
    campaign_code: str,
    group_code: str,
    unit_code: str | None,
    contacts_path: Path,
    channel: str,
    out_path: Path | None,
) -> None:
    """Import contacts and create one personal invitation each; all rows or none."""
    from flask_babel import force_locale

    with force_locale(_cli_locale()):
        _invite(campaign_code, group_code, unit_code, contacts_path, channel, out_path)


def _invite(
    campaign_code: str,
    group_code: str,
    unit_code: str | None,
    contacts_path: Path,
    channel: str,
    out_path: Path | None,
) -> None:
    if out_path is not None and out_path.exists():
        # Overwriting an earlier list would lose its links for good: tokens are not stored.
        click.echo(gettext("%(path)s exists; choose another file name.", path=out_path), err=True)
        sys.exit(1)
    try:
        result = import_invitations(
            contacts_path.read_bytes(),
            campaign_code=campaign_code,
            group_code=group_code,
            unit_code=unit_code,
            channel=channel,
        )
    except ImportRejected as rejected:
        db.session.rollback()
        _refused(rejected, contacts_path)
    record_contact_import(result, unit_code=unit_code, channel=channel)
    click.echo(
        gettext("Read %(path)s as %(encoding)s.", path=contacts_path, encoding=result.encoding)
    )
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    if out_path is not None:
        _commit_with_file(result, out_path)
        return
    db.session.commit()
    click.echo(
        gettext(
            "%(n)d invitations created. The links are shown only this once:", n=result.invitations
        )
    )
    for link in result.links:
        if link.url is not None:
            click.echo(
                f"{link.contact.name}\t{mask_phone(link.contact.phone)}\t{link.unit_names}"
                f"\t{link.url}"
            )
    _added(result)


def _added(result: ImportResult) -> None:
    """The people whose earlier link now asks about more units (no new link for them)."""
    for link in result.links:
        if link.url is None:
            click.echo(
                gettext(
                    "%(name)s %(phone)s: the link sent earlier now also asks about %(units)s",
                    name=link.contact.name,
                    phone=mask_phone(link.contact.phone),
                    units="、".join(unit.name for unit in link.added),
                )
            )


def _refused(rejected: ImportRejected, contacts_path: Path) -> NoReturn:
    """Every problem of a refused file, with its line; nothing was imported."""
    if rejected.encoding:
        click.echo(
            gettext(
                "Read %(path)s as %(encoding)s.", path=contacts_path, encoding=rejected.encoding
            ),
            err=True,
        )
    for warning in rejected.warnings:
        click.echo(str(warning), err=True)
    for error in rejected.errors:
        click.echo(str(error), err=True)
    click.echo(gettext("Nothing imported: %(n)d problem(s).", n=len(rejected.errors)), err=True)
    sys.exit(1)


def _commit_with_file(result: ImportResult, out_path: Path) -> None:
    """Write the links for a mail merge, then commit; a failed write leaves nothing imported."""
    # Links on disk before the commit: a failed write leaves nothing imported.
    partial = write_links_csv(result.links, out_path)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out_path)
    click.echo(
        gettext(
            "%(n)d invitations created; links written to %(path)s.",
            n=result.invitations,
            path=out_path,
        )
    )
    _added(result)
