"""The audit trail as the administrator reads it: before and after side by side."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from ..extensions import db
from ..models import (
    AuditEvent,
)


@dataclass(frozen=True)
class DiffLine:
    key: str
    before: str
    after: str
    changed: bool


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix or "value": data}


def _show(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value) or "–"
    return str(value)


def audit_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[DiffLine]:
    """Before and after side by side, nested settings flattened to dotted keys."""
    old, new = _flatten(before or {}), _flatten(after or {})
    keys: Iterable[str] = sorted(set(old) | set(new))
    return [
        DiffLine(
            key,
            _show(old.get(key)) if key in old else "",
            _show(new.get(key)) if key in new else "",
            old.get(key) != new.get(key),
        )
        for key in keys
    ]


def audit_actions() -> Sequence[str]:
    return list(
        db.session.execute(
            select(AuditEvent.action).distinct().order_by(AuditEvent.action)
        ).scalars()
    )


def audit_page(
    *, action: str, actor: str, campaign_id: int | None, page: int, per_page: int
) -> Pagination:
    """One page of the trail, newest first, filtered by action, actor and campaign."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if campaign_id is not None:
        query = query.where(AuditEvent.campaign_id == campaign_id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
