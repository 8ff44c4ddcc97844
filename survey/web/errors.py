"""Error pages in the reader's language: expired form, not allowed, not found, too much.

JSON for the API's 404, a page for everyone else.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .uploads import too_large_message


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(403, forbidden)
    app.register_error_handler(404, not_found)
    app.register_error_handler(429, too_many)
    app.register_error_handler(413, too_large)


def _page(title: str, message: str, status: int) -> ResponseReturnValue:
    return render_template("error.html", title=title, message=message), status


def csrf_error(_error: CSRFError) -> ResponseReturnValue:
    message = gettext(
        "This form has expired or was not sent from this site. "
        "Please go back, reload the page and try again. Nothing was saved."
    )
    return _page(gettext("Form expired"), message, 400)


def forbidden(_error: HTTPException) -> ResponseReturnValue:
    return _page(
        gettext("Not allowed"),
        gettext("Your account's role does not give access to this page."),
        403,
    )


def not_found(_error: HTTPException) -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        return jsonify(error="not found"), 404
    return _page(
        gettext("Page not found"),
        gettext("This address does not lead to a questionnaire."),
        404,
    )


def too_many(_error: HTTPException) -> ResponseReturnValue:
    message = gettext("Please wait a minute and try again.")
    if request.endpoint == "auth.login":
        message = gettext(
            "Too many failed sign-ins with this username or from this address. "
            "Please wait a few minutes and try again."
        )
    return _page(gettext("Too many requests"), message, 429)


def too_large(_error: HTTPException) -> ResponseReturnValue:
    file_message = too_large_message()
    if file_message is not None:
        return _page(gettext("File too large"), file_message, 413)
    return _page(
        gettext("Too much text"),
        gettext("What you sent is too long. Please shorten it. Nothing was saved."),
        413,
    )
