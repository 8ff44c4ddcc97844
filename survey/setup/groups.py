"""The respondent groups of GROUP_CODES and their order on every page."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select

from ..access.audit import record_audit, snapshot
from ..extensions import db
from ..labels import group_label
from ..models import (
    GROUP_CODES,
    Group,
)
from .common import _flush, _refuse


def groups_in_order() -> list[Group]:
    return list(db.session.execute(select(Group).order_by(Group.position, Group.code)).scalars())


def missing_group_codes() -> list[str]:
    present = set(db.session.execute(select(Group.code)).scalars())
    return [code for code in GROUP_CODES if code not in present]


def add_group(code: str) -> Group:
    """Add one of the respondent groups of GROUP_CODES, at the end of the order."""
    if code not in GROUP_CODES:
        raise _refuse(gettext("Unknown group %(code)s.", code=repr(code)))
    if code not in missing_group_codes():
        raise _refuse(gettext("The group %(group)s exists already.", group=group_label(code)))
    last = db.session.execute(select(func.max(Group.position))).scalar()
    group = Group(code=code, position=(last + 1) if last is not None else 0)
    db.session.add(group)
    db.session.flush()
    record_audit("group.create", "group", group.id, after=snapshot(group))
    _flush()
    return group


def move_group(group: Group, direction: str) -> None:
    """Move a group one place up or down; positions are renumbered 0, 1, 2 ... ."""
    if direction not in ("up", "down"):
        raise _refuse(gettext("Move a group up or down."))
    order = groups_in_order()
    before = [g.code for g in order]
    index = order.index(group)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        raise _refuse(gettext("The group is already at that end of the list."))
    order[index], order[other] = order[other], order[index]
    for position, item in enumerate(order):
        item.position = position
    record_audit(
        "group.reorder",
        "group",
        group.id,
        before={"order": before},
        after={"order": [g.code for g in order]},
    )
    _flush()
