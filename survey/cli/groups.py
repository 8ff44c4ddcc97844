"""The command groups and what the commands share."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from ..models import Campaign, ServicePoint, campaign_by_code, point_by_code

survey_cli = AppGroup("survey", help="Survey platform commands.")


instruments_cli = AppGroup("instruments", help="Questionnaire files under instruments/.")


framework_cli = AppGroup(
    "framework", help="Evaluation frameworks under frameworks/ (and units/ for unit sets)."
)


cycle_cli = AppGroup("cycle", help="Evaluation cycles: a framework over units and years.")


translate_cli = AppGroup("translate", help="Babel catalogs: extract, update, compile.")


user_cli = AppGroup("user", help="Staff accounts: admin, evaluator, operator, handler.")


def _cli_locale() -> str:
    """The language of a command's messages: the shell's (LC_ALL, LC_MESSAGES, LANG), else ours.

    Commands run without a request, so the web's locale selector cannot choose.
    """
    import os

    from ..i18n import normalise

    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        chosen = normalise(os.environ.get(variable, "").split(".")[0])
        if chosen:
            return chosen
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _campaign_by_code(code: str) -> Campaign:
    campaign = campaign_by_code(code)
    if campaign is None:
        raise click.BadParameter(f"no campaign with code {code!r}", param_hint="--campaign")
    return campaign


def _point_or_exit(code: str) -> ServicePoint:
    point = point_by_code(code)
    if point is None:
        click.echo(f"unknown service point {code!r}", err=True)
        sys.exit(1)
    return point
