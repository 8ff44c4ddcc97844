"""Flask extensions, created unbound and wired with ``init_app`` in the app factory."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Flask, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import CursorResult, Executable, MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that migrations can refer to (and drop) them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # db.Model is made at run time from Base; to the type checker it is Base.
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _reads_are_not_limited() -> bool:
    """A GET, HEAD or OPTIONS is never counted: every limit here is on POST.

    The limits (sign-in, cards, a kiosk's enrolment) count what is sent, not
    what is read, so a read is let through before Flask-Limiter works out the
    limits of its route: a fifth of a card's GET went on finding none.
    tests/test_rate_limits_reads.py fails when a limit on reads is added.
    """
    return request.method in _READS


_READS = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable[..., Any])


def limit_posts(limit_value: Callable[[], str]) -> Callable[[F], F]:
    """``limiter.limit(limit_value, methods=["POST"])``, and a read never enters Flask-Limiter.

    The request filter above lets a read through, but only after Flask-Limiter
    has looked up the route's limits and its exemptions, in its decorator as in
    its before_request hook: a twentieth of a QR card's GET, the most frequent
    request there is. Here a read goes straight to the view; a POST goes through
    the limited view as before (the same name, so the same limits and counters).
    """

    def decorate(view: F) -> F:
        limited = limiter.limit(limit_value, methods=["POST"])(view)

        @wraps(view)
        def chosen(*args: Any, **kwargs: Any) -> Any:
            if request.method in _READS:
                return view(*args, **kwargs)
            return limited(*args, **kwargs)

        return cast(F, chosen)

    return decorate


def check_limits_of_writes(app: Flask) -> None:
    """Flask-Limiter's before_request check, run for writes only (reads are never limited).

    Called once after ``limiter.init_app(app)``: its hook is swapped for one that
    returns at once for a GET, HEAD or OPTIONS (see :func:`limit_posts`).
    """
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit  # noqa: SLF001 - the hook it registered

    def writes_only() -> None:
        if request.method not in _READS:
            check()

    app.before_request_funcs[None] = [writes_only if hook == check else hook for hook in hooks]


login_manager = LoginManager()
# Security headers (survey.web.headers sets the policy).
talisman = Talisman()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"


def rows_changed(statement: Executable) -> int:
    """Run an UPDATE or DELETE in the session; how many rows it changed.

    A conditional UPDATE's row count is how a claim knows it won (the call
    queue, the SMS outbox, a ticket answered from two devices at once).
    """
    result = cast("CursorResult[Any]", db.session.execute(statement))
    return int(result.rowcount or 0)
