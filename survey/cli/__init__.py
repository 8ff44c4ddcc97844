"""``flask survey ...`` commands and ``flask translate ...`` for the Babel catalogs.

Each command is a thin shell over a plain function elsewhere, so the same work
can be done from a test, a web page or a script.
"""

from __future__ import annotations

from flask import Flask

from . import campaigns, demo, frameworks, instruments, invitations, points, sms, translate, users  # noqa: F401
from .groups import (
    cycle_cli,
    framework_cli,
    instruments_cli,
    survey_cli,
    translate_cli,
    user_cli,
)


def register_cli(app: Flask) -> None:
    """``flask survey ...`` and ``flask translate ...`` on the app's command line."""
    from .devices import device_cli
    from .summaries import summaries_cli
    from .tokens import api_token_cli

    survey_cli.add_command(instruments_cli)
    survey_cli.add_command(framework_cli)
    survey_cli.add_command(cycle_cli)
    survey_cli.add_command(user_cli)
    survey_cli.add_command(api_token_cli)
    survey_cli.add_command(device_cli)
    survey_cli.add_command(summaries_cli)
    app.cli.add_command(survey_cli)
    app.cli.add_command(translate_cli)
