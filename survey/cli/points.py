"""``flask survey qr``, ``tickets`` and ``phone-queue``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask_babel import force_locale

from ..extensions import db
from ..models import Campaign, ServicePoint
from .groups import _campaign_by_code, _cli_locale, _point_or_exit, survey_cli


@survey_cli.command("qr")
@click.option("--point", "point_code", required=True, help="Service point code.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def qr(point_code: str, out_dir: str) -> None:
    """A service point's QR code (PNG, SVG), its kiosk code and a printable A4 poster."""
    from ..channels.links import point_url
    from ..channels.print_sheets import write_point_files

    point = _point_or_exit(point_code)
    try:
        files = write_point_files(point, Path(out_dir))
    except OSError as error:
        click.echo(f"cannot write to {out_dir}: {error.strerror or error}", err=True)
        sys.exit(1)
    click.echo(point_url(point))
    for path in files:
        click.echo(f"  {path}")


def _ticket_campaign(point: ServicePoint, campaign_code: str | None) -> Campaign:
    """The campaign named with --campaign (checked), else the one serving the point now.

    Nothing serving it now (a draft, a campaign not begun): exit 1, naming the
    campaigns tickets may be printed ahead for, and how.
    """
    from ..responses.targets import Unavailable, resolve_point
    from ..setup import SetupError, campaigns_for_tickets, check_ticket_campaign

    if campaign_code is not None:
        campaign = _campaign_by_code(campaign_code)
        try:
            check_ticket_campaign(campaign, point)
        except SetupError as error:
            click.echo(str(error), err=True)
            sys.exit(1)
        return campaign
    try:
        serving = resolve_point(point.code, "ticket").campaign  # as kept per worker: detached
    except Unavailable:
        ahead = [
            f"--campaign {c.code} ({'draft' if c.draft else f'from {c.opens().date()}'})"
            for c in campaigns_for_tickets(point)
        ]
        hint = f"; to print them ahead, name the campaign: {', '.join(ahead)}" if ahead else ""
        click.echo(f"no open campaign takes receipt tickets at {point.code!r}{hint}", err=True)
        sys.exit(1)
    found = db.session.get(Campaign, serving.id)
    assert found is not None
    return found


@survey_cli.command("tickets")
@click.option("--point", "point_code", required=True, help="Service point code.")
@click.option("--count", required=True, type=int, help="How many one-time codes.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option(
    "--format",
    "layout",
    type=click.Choice(["a4", "58mm", "80mm"]),
    default="a4",
    show_default=True,
    help="A4 sheets of 12, or one ticket a receipt for a 58 or 80 mm receipt printer "
    "(a PNG at the printer's 384 or 576 dots each, and a PDF of them all).",
)
@click.option(
    "--campaign",
    "campaign_code",
    help="The campaign the tickets are for (default: the one the point serves now); "
    "to print them ahead for a draft or a campaign not begun yet.",
)
def tickets(
    point_code: str, count: int, out_dir: str, layout: str, campaign_code: str | None
) -> None:
    """N one-time receipt codes for a service point, printable (A4 or receipt roll), and a CSV."""
    from ..channels.links import issue_tickets
    from ..channels.print_sheets import MAX_TICKETS, write_ticket_files
    from ..channels.receipts import ROLLS
    from ..setup import record_ticket_issue, tickets_ahead_notes

    if not 1 <= count <= MAX_TICKETS:
        click.echo(f"--count must be between 1 and {MAX_TICKETS}, got {count}", err=True)
        sys.exit(1)
    point = _point_or_exit(point_code)
    with force_locale(_cli_locale()):
        campaign = _ticket_campaign(point, campaign_code)
        issued = issue_tickets(campaign, point, count)
        record_ticket_issue(campaign, point, [ticket for ticket, _token in issued])
        try:
            sheet = write_ticket_files(point, issued, Path(out_dir), ROLLS.get(layout))
        except OSError as error:
            db.session.rollback()
            click.echo(f"cannot write to {out_dir}: {error.strerror or error}", err=True)
            sys.exit(1)
        db.session.commit()
        expires = issued[0][0].expires_at
        click.echo(f"{len(sheet)} tickets for {point.code} in campaign {campaign.code}: {out_dir}")
        for note in tickets_ahead_notes(campaign, expires):
            click.echo(f"note: {note}")


@survey_cli.command("phone-queue")
@click.argument("campaign_code")
def phone_queue(campaign_code: str) -> None:
    """Put every phone invitation of a campaign into the operators' call queue (idempotent)."""
    from ..channels.phone import enqueue_phone_cases, queue_counts

    campaign = _campaign_by_code(campaign_code)
    added = enqueue_phone_cases(campaign)
    db.session.commit()
    counts = queue_counts(campaign)
    click.echo(f"{added} cases added; due now {counts['due']}, later {counts['later']}")
