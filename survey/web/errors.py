"""Error pages in the reader's language and the site's look, for every status the app gives.

Three audiences: the API gets JSON ``{"error": message}``; the staff workspace
(sign-in, results, set-up, phone survey) a page in the workspace's look; everyone
else (respondents, webhooks, an unknown address) a page in the respondent's look,
which says what a respondent can do. No error page reads the database: a 500 may
come from a database that is gone, and the error page must still be shown.
"""

from __future__ import annotations

from flask import Flask, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

from .uploads import too_large_message

STAFF_BLUEPRINTS = frozenset({"auth", "evaluate", "operator", "admin"})
STAFF_PREFIXES = ("/evaluate/", "/operator/", "/admin/", "/login", "/logout")


class BadInput(BadRequest):
    """A 400 whose page says what was wrong, in the reader's language.

    ``message`` is already translated (gettext at the point of the error);
    Werkzeug's own description stays English for the logs.
    """

    def __init__(self, message: str) -> None:
        super().__init__(description="bad input: " + message)
        self.message = message


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(400, bad_request)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, not_allowed_method)
    app.register_error_handler(413, too_large)
    app.register_error_handler(429, too_many)
    app.register_error_handler(500, server_error)
    app.register_error_handler(HTTPException, other_error)


def audience() -> str:
    """Who is reading: "api", "staff" or "respondent" (the default, also for unknown addresses)."""
    path = request.path
    if request.blueprint == "api" or path.startswith("/api/"):
        return "api"
    if request.blueprint in STAFF_BLUEPRINTS or path.startswith(STAFF_PREFIXES):
        return "staff"
    return "respondent"


def error_page(
    title: str,
    message: str,
    status: int,
    *,
    reload_url: str | None = None,
    account: bool = True,
) -> ResponseReturnValue:
    """The error as JSON (API), a staff page or a respondent page; never cached.

    ``account=False`` leaves the signed-in account out of the staff page's header:
    finding it reads the database, which may be what failed.
    """
    reader = audience()
    if reader == "api":
        response = make_response(jsonify(error=message), status)
    else:
        template = "staff/error.html" if reader == "staff" else "error.html"
        body = render_template(
            template, title=title, message=message, reload_url=reload_url, hide_account=not account
        )
        response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def csrf_error(_error: CSRFError) -> ResponseReturnValue:
    message = gettext(
        "This form has expired or was not sent from this site. "
        "Please go back, reload the page and try again. Nothing was saved."
    )
    return error_page(gettext("Form expired"), message, 400)


def bad_request(error: HTTPException) -> ResponseReturnValue:
    if isinstance(error, BadInput):
        message = error.message
    else:
        message = gettext(
            "Something in this address or form is not as the page expects, "
            "so it cannot be answered. Nothing was changed."
        )
    return error_page(gettext("Request not understood"), message, 400)


def forbidden(_error: HTTPException) -> ResponseReturnValue:
    return error_page(
        gettext("Not allowed"),
        gettext("Your account's role does not give access to this page."),
        403,
    )


def not_found(_error: HTTPException) -> ResponseReturnValue:
    reader = audience()
    if reader == "respondent":
        message = gettext("This address does not lead to a questionnaire.")
    else:
        message = gettext("There is no page at this address. It may have been removed.")
    return error_page(gettext("Page not found"), message, 404)


def not_allowed_method(_error: HTTPException) -> ResponseReturnValue:
    return error_page(
        gettext("Request not understood"),
        gettext("This address cannot be used this way. Please open it from a link."),
        405,
    )


def too_many(_error: HTTPException) -> ResponseReturnValue:
    message = gettext("Please wait a minute and try again.")
    if request.endpoint == "auth.login":
        message = gettext(
            "Too many failed sign-ins with this username or from this address. "
            "Please wait a few minutes and try again."
        )
    return error_page(gettext("Too many requests"), message, 429)


def too_large(_error: HTTPException) -> ResponseReturnValue:
    file_message = too_large_message()
    if file_message is not None:
        return error_page(gettext("File too large"), file_message, 413)
    return error_page(
        gettext("Too much text"),
        gettext("What you sent is too long. Please shorten it. Nothing was saved."),
        413,
    )


def server_error(_error: Exception) -> ResponseReturnValue:
    """An unexpected failure (already logged by Flask): the transaction was not committed."""
    _forget_transaction()
    return error_page(
        gettext("Something went wrong"),
        gettext(
            "An error occurred on our side and what you sent was not saved. "
            "Please try again in a moment."
        ),
        500,
        account=False,
    )


def other_error(error: HTTPException) -> ResponseReturnValue:
    """Any other status Werkzeug raises (410, 415, 501, ...), never its English page."""
    status = error.code or 500
    if status < 400:
        return error
    return error_page(
        gettext("Request not understood"),
        gettext(
            "Something in this address or form is not as the page expects, "
            "so it cannot be answered. Nothing was changed."
        ),
        status,
    )


def _forget_transaction() -> None:
    """Roll back what the failed request began, if the connection still answers."""
    from ..extensions import db

    try:
        db.session.rollback()
    except Exception:  # the page must be shown even when the database is gone
        db.session.close()
