"""``flask survey questionnaire``: a group's questionnaire in a campaign, per channel."""

from __future__ import annotations

import sys

import click
from flask_babel import force_locale

from ..extensions import db
from ..models import CHANNELS
from ..setup import SetupError, set_questionnaire
from .groups import _campaign_by_code, _cli_locale, survey_cli


@survey_cli.command("questionnaire")
@click.option("--campaign", "campaign_code", required=True, help="Campaign code.")
@click.option("--group", "group_code", required=True, help="Respondent group code.")
@click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    help="Only for this channel (e.g. phone); without it, the group's own questionnaire.",
)
@click.argument("instrument", required=False)
@click.option("--same", is_flag=True, help="With --channel: the group's own questionnaire again.")
def questionnaire(
    campaign_code: str, group_code: str, channel: str | None, instrument: str | None, same: bool
) -> None:
    """Set the questionnaire a group answers, or answers through one channel; audited.

    flask survey questionnaire --campaign C --group service_user --channel phone
    phone-post-service
    """
    campaign = _campaign_by_code(campaign_code)
    if same == (instrument is not None) or (same and channel is None):
        raise click.UsageError("give an INSTRUMENT, or --channel with --same")
    with force_locale(_cli_locale()):
        try:
            set_questionnaire(campaign, group_code, instrument, channel=channel)
        except SetupError as error:
            db.session.rollback()
            click.echo(str(error), err=True)
            sys.exit(1)
    db.session.commit()
    for settings in campaign.groups:
        if settings.group.code == group_code:
            mapping = ", ".join(f"{c.channel}: {c.instrument_id}" for c in settings.by_channel)
            click.echo(
                f"{group_code}: {settings.instrument_id}" + (f" ({mapping})" if mapping else "")
            )
