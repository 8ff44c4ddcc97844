"""What every set-up change shares: the refusal (SetupError), codes and names.

Each set-up function either flushes the change together with its audit event
(the view or command commits), or raises ``SetupError`` having changed nothing
(the session is rolled back), so a refused form never leaves half a change
behind and every change has its before and after in the trail.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from ..extensions import db

# Codes appear in addresses (/p/<point code>) and in CSV files: letters, digits, - _ .
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


HHMM_PATTERN = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


MAX_NAME = 200


class SetupError(ValueError):
    """A set-up change that was refused; the message (translated) says why. Nothing changed."""


def _refuse(message: str) -> SetupError:
    db.session.rollback()
    return SetupError(message)


def _flush() -> None:
    """Flush the change; a failure leaves the session clean (rolled back) and is raised."""
    try:
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise


def check_code(code: str, what: str) -> str:
    """A code as stored: trimmed, 1 to 40 letters, digits, '-', '_' or '.'."""
    code = (code or "").strip()
    if not CODE_PATTERN.match(code):
        raise SetupError(
            gettext(
                "The %(what)s code %(code)s is not valid: use 1 to 40 letters, digits, "
                "'-', '_' or '.', starting with a letter or digit.",
                what=what,
                code=repr(code),
            )
        )
    return code


def check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SetupError(gettext("The name is empty."))
    if len(name) > MAX_NAME:
        raise SetupError(gettext("The name is longer than %(n)d characters.", n=MAX_NAME))
    return name
