"""Staff accounts: add, edit, deactivate, reset a password; nobody locks out the last admin."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select

from ..access.accounts import AccountError, create_user, set_password
from ..access.audit import record_audit, snapshot
from ..extensions import db
from ..models import (
    ROLES,
    UNIT_ROLES,
    Unit,
    User,
)
from .common import _flush, _refuse

USER_FIELDS = ("id", "username", "display_name", "role", "unit_id", "active")


def _user_snapshot(user: User) -> dict[str, Any]:
    return snapshot(user, USER_FIELDS)


def add_user(
    *, username: str, password: str, role: str, display_name: str = "", unit: Unit | None = None
) -> User:
    """A new staff account (AccountError's message on a refusal); a handler needs a unit."""
    if role not in ROLES:
        raise _refuse(gettext("Unknown role %(role)s.", role=repr(role)))
    try:
        user = create_user(
            username,
            password,
            role,
            display_name=" ".join((display_name or "").split())[:200],
            unit_id=unit.id if unit is not None and role in UNIT_ROLES else None,
        )
    except AccountError as error:
        raise _refuse(str(error)) from None
    record_audit("user.create", "user", user.id, after=_user_snapshot(user))
    _flush()
    return user


def _active_admins() -> int:
    return int(
        db.session.execute(
            select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
        ).scalar_one()
    )


def set_user_active(user: User, active: bool, *, by: User) -> None:
    """Deactivate or reactivate an account; nobody locks out themselves or the last admin."""
    if user.active == active:
        return
    if not active and user.id == by.id:
        raise _refuse(gettext("You cannot deactivate your own account."))
    if not active and user.role == "admin" and _active_admins() <= 1:
        raise _refuse(gettext("The last active administrator cannot be deactivated."))
    before = _user_snapshot(user)
    user.active = active
    record_audit(
        "user.reactivate" if active else "user.deactivate",
        "user",
        user.id,
        before={"active": before["active"]},
        after={"active": active},
    )
    _flush()


def update_user(user: User, *, display_name: str, role: str, unit: Unit | None, by: User) -> bool:
    """Change an account's name, role or unit, audited; False when nothing changed.

    A role change ends the account's sessions: whoever is signed in with it
    signs in again under the new role (pages opened before, and forms on them,
    belonged to the old one). Nobody takes the administrator role from
    themselves or from the last active administrator, so the workspace always
    keeps someone who can manage it.
    """
    if role not in ROLES:
        raise _refuse(gettext("Unknown role %(role)s.", role=repr(role)))
    if role == "handler" and unit is None:
        raise _refuse(gettext("A handler needs the unit whose bad reviews they follow up."))
    if role == "liaison" and unit is None:
        raise _refuse(gettext("A liaison needs the unit they speak for."))
    if user.role == "admin" and role != "admin":
        if user.id == by.id:
            raise _refuse(gettext("You cannot take the administrator role from your own account."))
        if user.active and _active_admins() <= 1:
            raise _refuse(gettext("The last active administrator must stay an administrator."))
    before = _user_snapshot(user)
    if role != user.role:
        user.end_sessions()
    user.display_name = " ".join((display_name or "").split())[:200]
    user.role = role
    user.unit_id = unit.id if unit is not None and role in UNIT_ROLES else None
    after = _user_snapshot(user)
    if after == before:
        return False
    record_audit("user.update", "user", user.id, before=before, after=after)
    _flush()
    return True


def reset_password(user: User, password: str) -> None:
    """A new password for an account; the trail says it changed, never what it is.

    The account's sessions end (set_password), so whoever knew the old password
    is signed out everywhere.
    """
    try:
        set_password(user, password)
    except AccountError as error:
        raise _refuse(str(error)) from None
    record_audit("user.password_reset", "user", user.id, after={"password": "changed"})
    _flush()


def users_by_name() -> list[User]:
    """Every staff account, by username."""
    return list(db.session.execute(select(User).order_by(User.username)).scalars())
