"""Flask extensions, created unbound and wired with ``init_app`` in the app factory."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_login.config import COOKIE_NAME
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
    """Flask-Limiter's before_request check, run for writes only, and only when it has work.

    Called once after ``limiter.init_app(app)``: its hook is swapped for one that
    returns at once for a GET, HEAD or OPTIONS (see :func:`limit_posts`), and for
    a write while every limit is a route's own. The hook checks the default,
    application, blueprint and meta limits; a route's own limits are checked by
    its decorator (Flask-Limiter leaves them out of the hook), so with none of the
    others, as here, the hook looked up the route's limits for nothing on every POST.
    """
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit  # noqa: SLF001 - the hook it registered

    def writes_only() -> None:
        if request.method not in _READS and _limits_beyond_routes():
            check()

    app.before_request_funcs[None] = [writes_only if hook == check else hook for hook in hooks]
    _response_hooks_for_writes(app)


def _response_hooks_for_writes(app: Flask) -> None:
    """Flask-Limiter's after-request and teardown hooks, skipped for a read.

    They add the limit's headers and conditional deductions, and clear the
    request's limiter state: a read never enters the limiter (see
    :func:`limit_posts`), so for it they found nothing to add and nothing to
    clear, and cost a card's GET some fifty calls in doing so.
    """
    inject = next(
        (
            hook
            for hook in app.after_request_funcs.get(None, [])
            if getattr(hook, "func", None) is getattr(Limiter, "_Limiter__inject_headers", None)
        ),
        None,
    )
    release = limiter._Limiter__release_context  # type: ignore[attr-defined]  # noqa: SLF001
    if inject is not None:

        def inject_for_writes(response: Any) -> Any:
            return response if request.method in _READS else inject(response)

        after = app.after_request_funcs[None]
        app.after_request_funcs[None] = [inject_for_writes if h is inject else h for h in after]

    def release_for_writes(error: BaseException | None = None) -> None:
        if request.method not in _READS:
            release(error)

    teardown = app.teardown_request_funcs.get(None, [])
    app.teardown_request_funcs[None] = [
        release_for_writes if hook == release else hook for hook in teardown
    ]


def _limits_beyond_routes() -> bool:
    """Whether a limit is declared that only Flask-Limiter's hook checks (none is, today)."""
    manager = limiter.limit_manager
    return bool(
        manager.default_limits
        or manager.application_limits
        or manager._blueprint_limits  # noqa: SLF001 - no public view of them
        or any(limiter._meta_limits)  # noqa: SLF001
    )


class GuardedLoginManager(LoginManager):
    """Flask-Login, whose "strong" session protection guards logins, not CSRF tokens.

    Flask-Login skips the check for an empty session, taking it for an anonymous
    visitor's. Here an anonymous visitor's session holds a CSRF token (every
    card, the sign-in page), so the check took it for a stolen login: it told the
    browser to delete a remember-me cookie this app never sets and re-signed the
    session, on every page that looked at the user. A session with no login in
    it, and no remember-me cookie beside it, has nothing to protect; any other is
    checked as Flask-Login does (tests/test_session_cookies.py).
    """

    def _session_protection_failed(self) -> bool:
        if "_user_id" not in session and not request.cookies.get(
            current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
        ):
            return False
        return bool(super()._session_protection_failed())


login_manager = GuardedLoginManager()


class LeanTalisman(Talisman):
    """Flask-Talisman, with the work that is the same for every request done once.

    For each response Talisman read the view's options afresh eight times, and
    built the Content-Security-Policy section by section, asking the request for
    its nonce once a section: a tenth of a card's GET. Here the options of a view
    that sets none of its own (every view of this app) are worked out once, and
    the policy's sections are joined once, the request's nonce put in where
    Talisman puts it. A view given options by ``talisman(...)`` gets Talisman's
    own handling, unchanged; so does a policy other than the app's.
    """

    def init_app(self, app: Flask, **options: Any) -> None:
        """Talisman's, and what was worked out once is worked out again for the new options."""
        super().init_app(app, **options)
        self.__dict__.pop("_app_options", None)
        self.__dict__.pop("_policy_sections", None)

    def _get_local_options(self) -> Any:
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "talisman_view_options", None):
            return super()._get_local_options()
        options: dict[str, Any] | None = self.__dict__.get("_app_options")
        if options is None:
            options = self._app_options = {
                "force_https": self.force_https,
                "frame_options": self.frame_options,
                "frame_options_allow_from": self.frame_options_allow_from,
                "content_security_policy": self.content_security_policy,
                "content_security_policy_nonce_in": self.content_security_policy_nonce_in,
                "permissions_policy": self.permissions_policy,
                "document_policy": self.document_policy,
                "feature_policy": self.feature_policy,
            }
        return options

    def _force_https(self) -> Any:
        if self.force_https or self.session_cookie_secure:
            return super()._force_https()
        if self._get_local_options()["force_https"]:  # a view's own options
            return super()._force_https()
        return None

    def _parse_policy(self, policy: Any) -> str:
        options = self._get_local_options()
        if policy is not self.content_security_policy or isinstance(policy, str):
            return str(super()._parse_policy(policy))
        if options["content_security_policy_nonce_in"] != self.content_security_policy_nonce_in:
            return str(super()._parse_policy(policy))
        sections: list[tuple[str, bool]] | None = self.__dict__.get("_policy_sections")
        if sections is None:
            sections = self._policy_sections = [
                (
                    f"{name} {content if isinstance(content, str) else ' '.join(content)}",
                    name in self.content_security_policy_nonce_in,
                )
                for name, content in policy.items()
            ]
        nonce = getattr(request, "csp_nonce", None)
        if nonce is None:  # as Talisman: no nonce asked for, none added
            return "; ".join(text for text, _takes in sections)
        return "; ".join(f"{text} 'nonce-{nonce}'" if takes else text for text, takes in sections)


# Security headers (survey.web.headers sets the policy).
talisman = LeanTalisman()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"


def rows_changed(statement: Executable) -> int:
    """Run an UPDATE or DELETE in the session; how many rows it changed.

    A conditional UPDATE's row count is how a claim knows it won (the call
    queue, the SMS outbox, a ticket answered from two devices at once).
    """
    result = cast("CursorResult[Any]", db.session.execute(statement))
    return int(result.rowcount or 0)
