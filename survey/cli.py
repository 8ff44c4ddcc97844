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
    from .instruments.store import register_versions

    added = register_versions()
    db.session.commit()
    for row in added:
        click.echo(f"stored {row.instrument_id} version {row.version[:12]}")
    if not added:
        click.echo("all instrument versions already stored")


# --- invitations -------------------------------------------------------------------------------


def _cli_locale() -> str:
    """The language of a command's messages: the shell's (LC_ALL, LC_MESSAGES, LANG), else ours.

    Commands run without a request, so the web's locale selector cannot choose.
    """
    import os

    from .i18n import normalise

    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        chosen = normalise(os.environ.get(variable, "").split(".")[0])
        if chosen:
            return chosen
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


@survey_cli.command("invite")
@click.option("--campaign", "campaign_code", required=True, help="Campaign code.")
@click.option("--group", "group_code", required=True, help="Respondent group code.")
@click.option("--unit", "unit_code", help="Unit code for rows without a unit column value.")
@click.option(
    "--contacts",
    "contacts_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV: name, phone, organisation, language, unit (UTF-8 or GB18030).",
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
    from flask_babel import gettext

    from .invitations import ImportRejected, import_invitations, write_links_csv
    from .phones import mask_phone
    from .setup import record_contact_import

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
        if rejected.encoding:
            click.echo(
                gettext(
                    "Read %(path)s as %(encoding)s.", path=contacts_path, encoding=rejected.encoding
                ),
                err=True,
            )
        for error in rejected.errors:
            click.echo(str(error), err=True)
        click.echo(gettext("Nothing imported: %(n)d problem(s).", n=len(rejected.errors)), err=True)
        sys.exit(1)
    record_contact_import(result, unit_code=unit_code, channel=channel)
    click.echo(
        gettext("Read %(path)s as %(encoding)s.", path=contacts_path, encoding=result.encoding)
    )
    if out_path is not None:
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
                n=len(result.links),
                path=out_path,
            )
        )
        return
    db.session.commit()
    click.echo(
        gettext(
            "%(n)d invitations created. The links are shown only this once:", n=len(result.links)
        )
    )
    for link in result.links:
        click.echo(f"{link.contact.name}\t{mask_phone(link.contact.phone)}\t{link.url}")


# --- SMS -------------------------------------------------------------------------------------


def _campaign_by_code(code: str):  # type: ignore[no-untyped-def]
    from .models import Campaign

    campaign = db.session.execute(
        db.select(Campaign).where(Campaign.code == code)
    ).scalar_one_or_none()
    if campaign is None:
        raise click.BadParameter(f"no campaign with code {code!r}", param_hint="--campaign")
    return campaign


@survey_cli.command("send")
@click.option("--once", is_flag=True, help="One pass over the due messages, then stop.")
@click.option("--limit", default=100, show_default=True, help="Messages per pass.")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between passes.")
def sms_send(once: bool, limit: int, poll: float) -> None:
    """Send due SMS from the outbox (Twilio, or the log without credentials)."""
    import time

    from .channels.sms import send_due
    from .channels.twilio_backend import backend_from_config

    if limit < 1:
        raise click.BadParameter("must be at least 1", param_hint="--limit")
    backend = backend_from_config(current_app.config)
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
        if once:
            return
        if report.handled < limit:
            time.sleep(poll)


@survey_cli.command("rq-worker")
@click.option("--burst", is_flag=True, help="Work the jobs there are, then stop.")
def rq_worker(burst: bool) -> None:
    """Work the SMS outbox as an RQ worker on Redis (SURVEY_RQ_REDIS_URL)."""
    from rq import SimpleWorker

    from .channels.sms.rq import NotConfigured, notify_outbox, sms_queue

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
    from .channels.sms import queue_reminders
    from .channels.sms.rq import notify_outbox

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
    from .channels.sms import reissue_sms_invitations
    from .models import Group

    campaign = _campaign_by_code(campaign_code)
    group = db.session.execute(
        db.select(Group).where(Group.code == group_code)
    ).scalar_one_or_none()
    if group is None:
        raise click.BadParameter(f"no group with code {group_code!r}", param_hint="--group")
    from .channels.sms.rq import notify_outbox

    queued = reissue_sms_invitations(campaign, group)
    db.session.commit()
    click.echo(f"queued {len(queued)} invitation messages")
    if queued and notify_outbox():
        click.echo("the RQ worker was told")


@survey_cli.command("sms-redact")
def sms_redact() -> None:
    """Close unrated follow-up cases past SURVEY_RATING_DAYS, then blank old messages' links."""
    from .channels.sms import redact_expired
    from .followup import close_unrated_cases

    click.echo(f"closed {close_unrated_cases()} follow-up cases nobody rated")
    click.echo(f"redacted {redact_expired()} messages")


# --- QR codes and tickets ----------------------------------------------------------------------


def _point_or_exit(code: str):  # type: ignore[no-untyped-def]
    from .models import ServicePoint

    point = db.session.execute(db.select(ServicePoint).filter_by(code=code)).scalar_one_or_none()
    if point is None:
        click.echo(f"unknown service point {code!r}", err=True)
        sys.exit(1)
    return point


@survey_cli.command("qr")
@click.option("--point", "point_code", required=True, help="Service point code.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def qr(point_code: str, out_dir: str) -> None:
    """A service point's QR code (PNG, SVG), its kiosk code and a printable A4 poster."""
    from .channels.links import point_url
    from .channels.print_sheets import write_point_files

    point = _point_or_exit(point_code)
    try:
        files = write_point_files(point, Path(out_dir))
    except OSError as error:
        click.echo(f"cannot write to {out_dir}: {error.strerror or error}", err=True)
        sys.exit(1)
    click.echo(point_url(point))
    for path in files:
        click.echo(f"  {path}")


@survey_cli.command("tickets")
@click.option("--point", "point_code", required=True, help="Service point code.")
@click.option("--count", required=True, type=int, help="How many one-time codes.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def tickets(point_code: str, count: int, out_dir: str) -> None:
    """N one-time receipt codes for a service point, a printable sheet and a CSV."""
    from .channels.links import issue_tickets
    from .channels.print_sheets import MAX_TICKETS, write_ticket_files
    from .responses.targets import Unavailable, resolve_point
    from .setup import record_ticket_issue

    if not 1 <= count <= MAX_TICKETS:
        click.echo(f"--count must be between 1 and {MAX_TICKETS}, got {count}", err=True)
        sys.exit(1)
    point = _point_or_exit(point_code)
    try:
        campaign = resolve_point(point.code, "ticket").campaign
    except Unavailable:
        click.echo(f"no open campaign takes receipt tickets at {point_code!r}", err=True)
        sys.exit(1)
    issued = issue_tickets(campaign, point, count)
    record_ticket_issue(campaign, point, [ticket for ticket, _token in issued])
    try:
        sheet = write_ticket_files(point, issued, Path(out_dir))
    except OSError as error:
        db.session.rollback()
        click.echo(f"cannot write to {out_dir}: {error.strerror or error}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"{len(sheet)} tickets for {point.code} in campaign {campaign.code}: {out_dir}")


# --- phone survey ------------------------------------------------------------------------------


@survey_cli.command("phone-queue")
@click.argument("campaign_code")
def phone_queue(campaign_code: str) -> None:
    """Put every phone invitation of a campaign into the operators' call queue (idempotent)."""
    from .channels.phone import enqueue_phone_cases, queue_counts

    campaign = _campaign_by_code(campaign_code)
    added = enqueue_phone_cases(campaign)
    db.session.commit()
    counts = queue_counts(campaign)
    click.echo(f"{added} cases added; due now {counts['due']}, later {counts['later']}")


# --- users -------------------------------------------------------------------------------------

user_cli = AppGroup("user", help="Staff accounts: admin, evaluator, operator, handler.")
survey_cli.add_command(user_cli)


def _add_api_token_cli() -> None:
    from .api.cli import api_token_cli

    survey_cli.add_command(api_token_cli)


_add_api_token_cli()


@user_cli.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["admin", "evaluator", "operator", "handler"]),
    default="admin",
    show_default=True,
)
@click.option("--name", "display_name", default="", help="The name shown in the workspace.")
@click.option("--unit", "unit_code", default=None, help="A handler's unit code.")
@click.password_option(help="At least 10 characters; asked for when not given.")
def user_add(
    username: str, role: str, display_name: str, unit_code: str | None, password: str
) -> None:
    """Create a staff account (the first admin, for instance); recorded in the audit trail."""
    from flask_babel import force_locale, gettext
    from sqlalchemy import select

    from .access import AccountError, create_user
    from .audit import record_audit, snapshot
    from .models import Unit

    with force_locale(_cli_locale()):
        unit_id = None
        if unit_code:
            unit = db.session.execute(
                select(Unit).where(Unit.code == unit_code)
            ).scalar_one_or_none()
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


# --- demo --------------------------------------------------------------------------------------


@survey_cli.command("demo")
def demo() -> None:
    """Load demo units, groups, a campaign and responses (once; a second run changes nothing)."""
    from flask_babel import force_locale, gettext

    from .demo import (
        DEMO_PASSWORD,
        load_demo,
        load_demo_followups,
        load_demo_phone_queue,
        load_demo_report_comments,
        load_demo_users,
    )

    with force_locale(_cli_locale()):
        result = load_demo()
        load_demo_followups()  # first: the demo handler gets the unit with open cases
        accounts = load_demo_users()
        calls = load_demo_phone_queue()
        load_demo_report_comments()
        db.session.commit()
        if calls:
            click.echo(gettext("Phone survey: %(count)s people in the call queue.", count=calls))
        if accounts:
            click.echo(
                gettext(
                    "Demo accounts %(names)s, password %(password)s, sign in at /login.",
                    names=", ".join(accounts),
                    password=DEMO_PASSWORD,
                )
            )
        for missing in result.missing_instruments:
            click.echo(
                gettext(
                    "Warning: instrument %(missing)s not found; its groups answer %(used)s.",
                    missing=missing,
                    used=result.fallback_instrument,
                ),
                err=True,
            )
        if not result.created:
            click.echo(
                gettext(
                    "Demo data already loaded (campaign %(code)s); nothing changed.",
                    code=result.campaign_code,
                )
            )
        else:
            click.echo(gettext("Demo data loaded: campaign %(code)s.", code=result.campaign_code))
            labels = {
                "units": gettext("units"),
                "service points": gettext("service points"),
                "groups": gettext("groups"),
                "responses": gettext("responses"),
                "invitations": gettext("invitations"),
                "tickets": gettext("tickets"),
                "call-back requests": gettext("call-back requests"),
            }
            for what, n in result.counts.items():
                click.echo(f"  {labels.get(what, what)}: {n}")
            by_group = ", ".join(f"{code} {n}" for code, n in result.responses_by_group.items())
            click.echo(gettext("  responses by group: %(groups)s", groups=by_group))
        click.echo(gettext("Try:"))
        url_labels = {
            "point": gettext("QR code at a counter"),
            "kiosk": gettext("evaluation tablet at the window"),
            "ticket": gettext("receipt ticket"),
            "invitation": gettext("personal invitation"),
        }
        for what, url in result.urls:
            click.echo(f"  {url_labels.get(what, what)}: {url}")


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
        str(_BABEL_CFG.parent),
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
