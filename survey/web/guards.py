"""Who may open a page: the login manager, the role guard on every staff view, API tokens.

``role_required`` also records the roles on the view function itself
(``view.allowed_roles``), so a test can walk the URL map and prove that every
staff route refuses everyone else.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from flask import abort, current_app, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..access.accounts import api_token_by_token
from ..extensions import db, login_manager
from ..models import ROLES, ApiToken, User, utcnow

F = TypeVar("F", bound=Callable[..., Any])
# The session key of the last time a staff session was used (seconds since the epoch).
SEEN_KEY = "seen"


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The account of a session (``User.get_id``), unless its sessions were ended since.

    A session from before session versions (the id alone) is signed out too.
    """
    user_id, _, version = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or (user.session_version or 0) != int(version):
        return None
    if not still_active():
        return None
    return user


def mark_active() -> None:
    """The session was used now (at sign-in, then at most once a minute)."""
    session[SEEN_KEY] = int(time.time())


def still_active() -> bool:
    """False when the staff session was idle longer than SURVEY_STAFF_IDLE_MINUTES.

    The time of last use travels in the signed session cookie, so a copy of the
    cookie left unused (a shared computer, a stolen cookie) stops opening pages
    after the idle time, whatever the browser does with it. A session without
    the time (from before it was kept) counts as idle.
    """
    seen = session.get(SEEN_KEY)
    now = int(time.time())
    idle = int(current_app.config["SURVEY_STAFF_IDLE_MINUTES"]) * 60
    if not isinstance(seen, int) or now - seen > idle:
        session.pop(SEEN_KEY, None)
        return False
    if now - seen >= 60:
        mark_active()
    return True


@login_manager.unauthorized_handler
def _unauthorized() -> ResponseReturnValue:
    if request.blueprint == "api":
        return jsonify(error="authentication required"), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def role_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in users with one of ``roles`` may call the view; others get 403.

    Anonymous visitors are sent to the login page. The roles are kept on the
    view as ``allowed_roles`` for the route-walking test.
    """
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"role_required: unknown roles {sorted(unknown)}; known: {ROLES}")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        guarded.__dict__["allowed_roles"] = frozenset(roles)
        return cast(F, guarded)

    return decorate


def public(view: F) -> F:
    """Mark a view as open to everyone on purpose (respondent pages, login, webhooks)."""
    view.__dict__["is_public"] = True
    return view


def api_token_from_request() -> ApiToken | None:
    """The live token in ``Authorization: Bearer ...``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return api_token_by_token(token.strip())


def api_token_required(view: F) -> F:
    """The JSON API: a live bearer token, else 401 with a JSON body."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        row = api_token_from_request()
        if row is None:
            return jsonify(error="a valid API token is required (Authorization: Bearer ...)"), 401
        row.last_used_at = utcnow()
        db.session.commit()
        return view(*args, **kwargs)

    guarded.__dict__["api_token"] = True
    return cast(F, guarded)


def roles_of(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v for v in values if v in ROLES)
