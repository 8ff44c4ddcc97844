"""The audit trail: every administrative change, who made it, when, before and after.

Call ``record_audit`` in the same transaction as the change, so the trail and
the data can never disagree.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import inspect, select

from ..extensions import db
from ..models import AuditEvent, User


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def snapshot(row: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """A row's column values as plain JSON-ready data (for ``before`` and ``after``)."""
    mapper = inspect(row).mapper
    names = list(fields) if fields is not None else [c.key for c in mapper.column_attrs]
    return {name: _plain(getattr(row, name)) for name in names if name != "password_hash"}


def shell_user() -> str:
    """Who runs a command, as the operating system names them.

    A change made from the command line has no staff account behind it; the
    shell's user name is what is left to tell who made it.
    """
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid without a passwd entry (containers)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _actor(user: User | None) -> tuple[int | None, str]:
    if user is not None:
        return user.id, user.username
    if has_request_context():
        if current_user.is_authenticated:
            return current_user.id, current_user.username
        return None, "cli"
    return None, f"cli:{shell_user()}"[:80]


def record_audit(
    action: str,
    entity: str,
    entity_id: Any = None,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
    campaign_id: int | None = None,
    user: User | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Add one audit event to the session; the caller commits it with the change.

    ``actor`` names who acted when no staff account did (a kiosk tablet typing
    its enrolment code); by default the signed-in account or the shell user.
    """
    user_id, actor = (None, actor[:80]) if actor and user is None else _actor(user)
    event = AuditEvent(
        user_id=user_id,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
        after=None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
        reason=reason,
        campaign_id=campaign_id,
    )
    db.session.add(event)
    return event


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Only what differs, so an event shows the change rather than the whole row."""
    return {key: after[key] for key in after if before.get(key) != after[key]}


def record_change(
    action: str,
    entity: str,
    entity_id: Any,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    **extra: Any,
) -> bool:
    """Audit an update with only the fields it changed, before and after; False if none did.

    Saving a form unchanged is not an administrative change, so it leaves no event.
    """
    changed = changed_fields(before, after)
    if not changed:
        return False
    record_audit(
        action,
        entity,
        entity_id,
        before={key: before.get(key) for key in changed},
        after=changed,
        **extra,
    )
    return True


def events_for_campaign(campaign_id: int) -> list[AuditEvent]:
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.campaign_id == campaign_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        ).scalars()
    )
