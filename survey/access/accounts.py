"""Staff accounts and API tokens: passwords (scrypt), usernames as people type them.
"""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ROLES, ApiToken, User, username_key, utcnow
from ..tokens import hash_token, new_token

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A user account could not be created or changed; the message says why."""


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
    if role == "liaison" and unit_id is None:
        raise AccountError(gettext("A liaison needs the unit they speak for."))
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


def api_token_by_token(token: str) -> ApiToken | None:
    """The live (not revoked) API token whose plain text is ``token``, or None."""
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return row


def user_label(user_id: int | None) -> str:
    """The display name (else the username) of an account, "" when there is none."""
    if user_id is None:
        return ""
    user = db.session.get(User, user_id)
    return user.label() if user is not None else ""
