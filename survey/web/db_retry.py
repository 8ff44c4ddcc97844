"""A lost database connection: a respondent's submission retried once, else a page saying so.

When PostgreSQL drops a connection in the middle of a request (a restart, a
failover, a killed backend), or refuses a new one, the request failed with a 500.
Every respondent submission is idempotent (the submission key: a repeated POST
finds the stored response and shows the same thank-you), so the respondent's
views run again once on a new connection. When that fails too, or on a staff
page, the reader is told in their language that nothing was saved and the same
button can be pressed again; the API answers 503 with Retry-After. A connection
lost after the view has answered (before the session's final rollback) costs
nothing: the answer is sent, not Werkzeug's bare 500 (bench/bench_load.py found
both).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, make_response, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy.exc import DBAPIError, OperationalError

from ..extensions import db
from .errors import error_page

F = TypeVar("F", bound=Callable[..., Any])


def connection_lost(error: BaseException) -> bool:
    """The connection broke, or a new one could not be opened: the transaction is gone.

    SQLAlchemy marks a broken connection ``connection_invalidated``; a refused or
    broken *new* connection (the server restarting, or killed while the connection
    is set up) is an OperationalError outside any statement.
    """
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    return isinstance(error, OperationalError) and error.statement is None


def _forget_connection() -> None:
    try:
        db.session.rollback()
    except Exception:  # the session is reset either way
        db.session.close()


def retry_once_on_lost_connection(view: F) -> F:
    """Run the view again, once, when the database connection was lost during it.

    Only for views whose every request may be repeated safely (the respondent's:
    a submission key or a conditional update makes a second run find the first).
    """

    @functools.wraps(view)
    def retried(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DBAPIError as error:
            if not connection_lost(error):
                raise
            _forget_connection()
            current_app.logger.warning(
                "database connection lost during %s %s; running it once more",
                request.method,
                request.path,
            )
            return view(*args, **kwargs)

    return cast(F, retried)


def register_lost_connection_page(app: Flask) -> None:
    """The 503 page, and the end of each request's session that a lost connection cannot fail.

    Registered after ``db.init_app``, so the session is removed here first (Flask
    runs teardowns last-registered first) and Flask-SQLAlchemy finds nothing left.
    """
    app.register_error_handler(DBAPIError, database_error)
    app.teardown_appcontext(end_session)


def end_session(_error: BaseException | None) -> None:
    """Remove the request's session; when its final rollback finds the connection gone, forget it.

    The rollback has nothing to undo then (the server ended the transaction with
    the connection), and the page the view made is sent as it is.
    """
    try:
        db.session.remove()
    except DBAPIError as error:
        if not connection_lost(error):
            raise
        current_app.logger.warning("database connection lost at the end of a request")
        db.session.registry.clear()


def database_error(error: DBAPIError) -> ResponseReturnValue:
    """A lost connection is a 503 that says nothing was saved; any other database error a 500.

    The other errors are raised again, so that Flask logs them and shows its 500
    page (or, in the tests, lets them through to the test).
    """
    if not connection_lost(error):
        raise error
    current_app.logger.error(
        "database connection lost on %s %s", request.method, request.path, exc_info=error
    )
    _forget_connection()
    response = make_response(
        error_page(
            gettext("Nothing was saved"),
            gettext(
                "The connection to our database was interrupted, so nothing was saved. "
                "Please press the same button again."
            ),
            503,
            account=False,
        )
    )
    response.headers["Retry-After"] = "5"
    return response
