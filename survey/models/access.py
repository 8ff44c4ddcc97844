"""Who may do what: staff accounts, API tokens and the audit trail.

Kept apart from the survey data: an account is never linked to an answer except
through ``Response.operator_id``, which evaluators' screens never read.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow
from .units import Unit

# admin: users, units, campaigns, contacts. evaluator: set-up and results.
# operator: the phone console. handler: a unit's follow-up of bad reviews.
# liaison: a unit's self-assessment, evidence and answers to required fixes.
ROLES: tuple[str, ...] = ("admin", "evaluator", "operator", "handler", "liaison")
# Roles bound to one unit (User.unit_id), which see that unit only.
UNIT_ROLES: tuple[str, ...] = ("handler", "liaison")


def username_key(username: str) -> str:
    """A username as it is compared: NFKC, then case-folded (Unicode's caseless matching).

    People type names with a Chinese input method that may give full-width
    letters (ＺｈａｎｇＷｅｉ), or with Cyrillic or Greek capitals; SQL's lower()
    folds only ASCII on SQLite. NFKC makes full-width and half-width one spelling,
    casefold makes every script's capitals one case, and the second NFKC puts
    back what case-folding may have decomposed.
    """
    folded = unicodedata.normalize("NFKC", username.strip()).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


class User(UserMixin, Model):
    """A staff account; citizens and invited respondents never have one."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # username_key(username): what sign-in looks up and what must be unique, so that
    # two spellings of one name are one account.
    username_key: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # The unit of a handler or liaison (UNIT_ROLES); None for the other roles.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Part of every session of this account (get_id); raised when the password is
    # reset or the role changes, which ends the sessions signed in before.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return bool(self.active)

    def get_id(self) -> str:
        """What a session keeps of the account: its id and session version.

        Flask-Login would keep the id alone, and a session would then outlive a
        password reset: whoever had the old password stayed signed in.
        """
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Sign out every session of this account, wherever it is (the caller commits)."""
        self.session_version = (self.session_version or 0) + 1

    def label(self) -> str:
        return self.display_name or self.username


class ApiToken(Model):
    """A bearer token for the read-only indicator API, stored only as a hash."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AuditEvent(Model):
    """One administrative change: who, what, when, before and after (JSON text).

    ``actor`` keeps the username as it was, so the trail survives a renamed or
    deactivated account; a command records ``cli:<the shell's user name>``.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # Campaign the change belongs to, so results can list the settings changes they rest on.
    campaign_id: Mapped[int | None] = mapped_column(Integer, index=True)
