"""``flask survey demo``: the demo data, and what to try with it."""

from __future__ import annotations

import click
from flask_babel import gettext

from ..demo import DEMO_PASSWORD, DemoResult
from ..extensions import db
from .groups import _cli_locale, survey_cli


@survey_cli.command("demo")
def demo() -> None:
    """Load demo units, groups, a campaign and responses (once; a second run changes nothing)."""
    from flask_babel import force_locale

    from ..demo import (
        load_demo,
        load_demo_burst,
        load_demo_followups,
        load_demo_phone_queue,
        load_demo_report_comments,
        load_demo_users,
    )
    from ..demo.scorecard import load_demo_scorecard

    with force_locale(_cli_locale()):
        result = load_demo()
        load_demo_followups()  # first: the demo handler gets the unit with open cases
        load_demo_burst()  # one burst held for review on the bursts page
        accounts = load_demo_users()
        calls = load_demo_phone_queue()
        load_demo_report_comments()
        load_demo_scorecard()  # last: its opinion quotes the comments chosen for the report
        db.session.commit()
        _report(result, accounts, calls)


def _report(result: DemoResult, accounts: list[str], calls: int) -> None:
    """What was loaded, the demo accounts and the addresses to try (in the shell's language)."""
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
