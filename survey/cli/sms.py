"""``flask survey send``, ``rq-worker``, ``remind``, ``sms-invite``, ``sms-redact``, and
``unlink-contacts`` (retention of who was asked)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask import current_app

from ..extensions import db
from ..models import group_by_code
from .groups import _campaign_by_code, _cli_locale, survey_cli

if TYPE_CHECKING:
    from ..channels.twilio_backend import ConsoleBackend


@survey_cli.command("send")
@click.option("--once", is_flag=True, help="One pass over the due messages, then stop.")
@click.option("--limit", default=100, show_default=True, help="Messages per pass.")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between passes.")
@click.option(
    "--console",
    is_flag=True,
    help="Never send: print each message here (the console backend), whatever is configured.",
)
def sms_send(once: bool, limit: int, poll: float, console: bool) -> None:
    """Send due SMS from the outbox (Twilio, or the log without credentials)."""
    import time

    from ..channels.sms import send_due
    from ..channels.twilio_backend import ConsoleBackend, SmsBackend, backend_from_config

    if limit < 1:
        raise click.BadParameter("must be at least 1", param_hint="--limit")
    backend: SmsBackend = ConsoleBackend() if console else backend_from_config(current_app.config)
    shown = 0
    while True:
        report = send_due(backend, limit=limit)
        if report.handled or report.recovered or once:
            click.echo(
                f"sent {report.sent}, found already sent {report.found}, "
                f"retrying {report.retried}, failed {report.failed}, "
                f"cancelled {report.cancelled}, unknown {report.unknown}"
            )
            for error in report.errors:
                click.echo(error, err=True)
        if isinstance(backend, ConsoleBackend):
            shown = _show_console_messages(backend, shown)
        if once:
            return
        if report.handled < limit:
            time.sleep(poll)


def _show_console_messages(backend: ConsoleBackend, shown: int) -> int:
    """Print the messages the console backend took since the last pass; returns how many now.

    The demo (``make run``) runs this worker beside the server, so a text
    message and its link appear in the terminal instead of sitting in the outbox.
    """
    from ..contacts.phones import mask_phone

    for item in backend.sent[shown:]:
        click.echo(f"SMS (not sent) to {mask_phone(item['to'])}: {item['body']}")
    return len(backend.sent)


@survey_cli.command("sms-signature")
@click.option("--campaign", "campaign_code", help="The campaign whose signature to set.")
@click.option("--unit", "unit_code", help="The unit whose own signature to set.")
@click.argument("signature", required=False, default="")
def sms_signature(campaign_code: str | None, unit_code: str | None, signature: str) -> None:
    """Set the SMS signature (【...】, 2 to 12 characters) of a campaign or a unit.

    Without SIGNATURE the signature is removed (a unit then signs with its campaign's).
    """
    from flask_babel import force_locale

    if (campaign_code is None) == (unit_code is None):
        raise click.UsageError("give --campaign or --unit")
    with force_locale(_cli_locale()):
        _set_signature(campaign_code, unit_code, signature)


def _set_signature(campaign_code: str | None, unit_code: str | None, signature: str) -> None:
    from ..models import unit_by_code
    from ..setup import SetupError, save_unit, set_sms_signature

    try:
        if campaign_code is not None:
            stored = set_sms_signature(_campaign_by_code(campaign_code), signature)
        else:
            unit = unit_by_code(unit_code or "")
            if unit is None:
                raise click.BadParameter(f"no unit with code {unit_code!r}", param_hint="--unit")
            stored = save_unit(
                unit, code=unit.code, name=unit.name, kind=unit.kind, sms_signature=signature
            ).sms_signature
    except SetupError as error:
        db.session.rollback()
        click.echo(str(error), err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"SMS signature: 【{stored}】" if stored else "SMS signature removed")


@survey_cli.command("rq-worker")
@click.option("--burst", is_flag=True, help="Work the jobs there are, then stop.")
def rq_worker(burst: bool) -> None:
    """Work the SMS outbox as an RQ worker on Redis (SURVEY_RQ_REDIS_URL)."""
    from rq import SimpleWorker

    from ..channels.sms.rq import NotConfigured, notify_outbox, sms_queue

    try:
        queue = sms_queue()
    except NotConfigured as error:
        click.echo(f"{error}: set it to a Redis URL, or use flask survey send", err=True)
        sys.exit(1)
    notify_outbox()  # catch up with whatever is due now
    SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=True)


@survey_cli.command("remind")
@click.option("--campaign", "campaign_code", required=True, help="Campaign code.")
def sms_remind(campaign_code: str) -> None:
    """Queue the reminders that are due for unanswered SMS invitations."""
    from ..channels.sms import queue_reminders
    from ..channels.sms.rq import notify_outbox

    queued = queue_reminders(_campaign_by_code(campaign_code))
    click.echo(f"queued {len(queued)} reminders")
    if queued and notify_outbox():
        click.echo("the RQ worker was told")


@survey_cli.command("sms-invite")
@click.option("--campaign", "campaign_code", required=True, help="Campaign code.")
@click.option("--group", "group_code", required=True, help="Respondent group code.")
def sms_invite(campaign_code: str, group_code: str) -> None:
    """Queue invitation SMS for the group's SMS invitations that have no message yet.

    Their tokens were never sent, so each gets a fresh one for its link.
    """
    from ..channels.sms import reissue_sms_invitations

    campaign = _campaign_by_code(campaign_code)
    group = group_by_code(group_code)
    if group is None:
        raise click.BadParameter(f"no group with code {group_code!r}", param_hint="--group")
    from ..channels.sms.rq import notify_outbox

    queued = reissue_sms_invitations(campaign, group)
    db.session.commit()
    click.echo(f"queued {len(queued)} invitation messages")
    if queued and notify_outbox():
        click.echo("the RQ worker was told")


@survey_cli.command("sms-redact")
def sms_redact() -> None:
    """Close unrated follow-up cases past SURVEY_RATING_DAYS, then blank old messages' links.

    Also closes the IVR calls whose end Twilio never reported (an hour old):
    their answers become a partial response or stay a break-off.
    """
    from ..channels.sms import redact_expired
    from ..followup.cases import close_unrated_cases
    from ..responses.ivr_calls import close_abandoned_calls

    click.echo(f"closed {close_unrated_cases()} follow-up cases nobody rated")
    click.echo(f"redacted {redact_expired()} messages")
    closed = close_abandoned_calls()
    db.session.commit()
    click.echo(f"closed {closed} phone calls whose end was not reported, as partial responses")


@survey_cli.command("unlink-contacts")
@click.option(
    "--after-days",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Only campaigns whose period ended more than this many days ago.",
)
def unlink_contacts_command(after_days: int) -> None:
    """Unlink contacts and forget phone numbers of closed campaigns (run from cron).

    A campaign counts as closed when its period has ended and its last follow-up
    case is closed. Its answers and response rates stay; who gave them does not.
    """
    from ..contacts.retention import unlink_contacts

    done = unlink_contacts(after_days=after_days)
    db.session.commit()
    click.echo(
        f"campaigns: {', '.join(done.campaigns) or 'none closed'}; "
        f"invitations unlinked: {done.invitations}; contacts deleted: {done.contacts}; "
        f"call-back numbers deleted: {done.callbacks}; message numbers blanked: {done.messages}"
    )
