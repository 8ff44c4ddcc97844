"""Tokens of the indicator API: made once (the plain token shown once), revoked for good."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import select

from ..access.accounts import issue_api_token
from ..access.audit import record_audit, snapshot
from ..extensions import db
from ..models import (
    ApiToken,
    User,
    utcnow,
)
from .common import _flush, _refuse

# What the audit trail keeps of an API token (never its hash).
TOKEN_FIELDS = ("id", "name", "created_by_id", "created_at", "revoked_at")


def create_api_token(name: str, *, by: User | None) -> tuple[ApiToken, str]:
    """A token for the indicator API; the plain token is returned once, never stored.

    ``by`` is None from the command line, where the audit trail names the shell user.
    """
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise _refuse(gettext("The token's name must have 1 to 200 characters."))
    row, token = issue_api_token(name, created_by=by)
    record_audit("api_token.create", "api_token", row.id, after=snapshot(row, TOKEN_FIELDS))
    _flush()
    return row, token


def revoke_api_token(row: ApiToken) -> None:
    if row.revoked_at is not None:
        raise _refuse(gettext("This token was already revoked."))
    before = snapshot(row, TOKEN_FIELDS)
    row.revoked_at = utcnow()
    record_audit(
        "api_token.revoke", "api_token", row.id, before=before, after=snapshot(row, TOKEN_FIELDS)
    )
    _flush()


def tokens_newest_first() -> list[ApiToken]:
    """Every API token, the newest first (revoked ones too, marked as such)."""
    return list(db.session.execute(select(ApiToken).order_by(ApiToken.id.desc())).scalars())
