"""Accounts and roles: passwords, the login manager, the role guard on every staff view.

``role_required`` also records the roles on the view function itself
(``view.allowed_roles``), so a test can walk the URL map and prove that every
staff route refuses everyone else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import abort, jsonify, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db, login_manager
from .models import ROLES, ApiToken, User, username_key, utcnow
from .tokens import hash_token, new_token

F = TypeVar("F", bound=Callable[..., Any])

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A user account could not be created or changed; the message says why."""


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
    return user


@login_manager.unauthorized_handler
def _unauthorized():  # type: ignore[no-untyped-def]
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

        guarded.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Mark a view as open to everyone on purpose (respondent pages, login, webhooks)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def find_user(username: str) -> User | None:
    """Usernames are matched as people type them: any case, full- or half-width letters."""
    return db.session.execute(
        select(User).where(User.username_key == username_key(username))
    ).scalar_one_or_none()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            gettext("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    unit_id: int | None = None,
) -> User:
    """A new account with a scrypt-hashed password; the caller commits."""
    username = username.strip()
    key = username_key(username)
    if not username or len(username) > 80 or not key or len(key) > 80:
        raise AccountError(gettext("The username must have 1 to 80 characters."))
    if role not in ROLES:
        raise AccountError(
            gettext(
                "Unknown role %(role)s; choose one of %(roles)s.", role=role, roles=", ".join(ROLES)
            )
        )
    if role == "handler" and unit_id is None:
        raise AccountError(gettext("A handler needs the unit whose bad reviews they follow up."))
    if find_user(username) is not None:
        raise AccountError(gettext("The username %(name)s is taken.", name=username))
    check_password_rules(password)
    user = User(
        username=username,
        username_key=key,
        display_name=display_name,
        password_hash=generate_password_hash(password),
        role=role,
        unit_id=unit_id,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """A new password; every session signed in with the old one ends."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password)
    user.end_sessions()


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, else None (same answer for both failures)."""
    user = find_user(username)
    if user is None:
        # Spend the same time as a real check, so a timing cannot tell which names exist.
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


_DUMMY_HASH = generate_password_hash("not a real password, only for timing")


def issue_api_token(name: str, created_by: User | None = None) -> tuple[ApiToken, str]:
    """A new API token; the plain token is returned once and never stored."""
    token = new_token()
    row = ApiToken(
        name=name, token_hash=hash_token(token), created_by_id=created_by.id if created_by else None
    )
    db.session.add(row)
    db.session.flush()
    return row, token


def api_token_from_request() -> ApiToken | None:
    """The live token in ``Authorization: Bearer ...``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return row


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

    guarded.api_token = True  # type: ignore[attr-defined]
    return guarded  # type: ignore[return-value]


def roles_of(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v for v in values if v in ROLES)
