"""Characters no page takes: refused before any view sees them.

A NUL byte cannot be stored in a PostgreSQL text column ("text fields cannot
contain NUL"), so a path, query or form value carrying one failed deep in a
view with a 500 after work had begun. No person types it; it is refused at the
door, the same way on every route and every database, with nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request
from flask_babel import gettext

from .errors import BadInput

NUL = "\x00"


def _carries_nul(pairs: Iterable[tuple[str, list[str]]]) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in pairs)


def refuse_nul() -> None:
    """before_request: a 400 in the reader's language when the request carries a NUL byte.

    Registered after the upload limit (the form is read here) and before CSRF,
    so the answer does not depend on whether the form's token was right.
    """
    carried = (
        NUL in request.path
        or _carries_nul(request.args.lists())
        or (request.method in {"POST", "PUT", "PATCH"} and _carries_nul(request.form.lists()))
    )
    if carried:
        raise BadInput(
            gettext(
                "The address or the form contains a character that cannot be accepted "
                "(a NUL byte). Nothing was changed."
            )
        )
