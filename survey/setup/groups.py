"""The respondent groups: the shipped ones (GROUP_CODES), the administrators' own, their order."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select

from ..access.audit import record_audit, record_change, snapshot
from ..extensions import db
from ..labels import group_label
from ..models import (
    DIMENSIONS,
    GROUP_CODES,
    Group,
    forget_own_group_names,
)
from .common import SetupError, _flush, _refuse, check_code, check_name

LANGUAGES = ("zh_Hans", "zh_Hant", "en")


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


def _checked_names(names: dict[str, str]) -> dict[str, str]:
    """A name in each of the three languages, each 1 to 200 characters."""
    checked = {}
    for lang in LANGUAGES:
        try:
            checked[lang] = check_name(names.get(lang, ""))
        except SetupError as error:
            raise _refuse(f"{lang}: {error}") from None
    return checked


def _put_names(group: Group, names: dict[str, str]) -> None:
    group.name_zh_hans, group.name_zh_hant, group.name_en = (names[lang] for lang in LANGUAGES)


def add_own_group(code: str, names: dict[str, str], dimension: str) -> Group:
    """An administrator's own group (enterprise representatives, village cadres, ...).

    Named in the three languages and placed in a dimension (service users,
    stakeholders, staff) whose figures are never pooled with another's; it
    takes its place at the end of the order, usable in any campaign.
    """
    try:
        code = check_code(code, gettext("group"))
    except SetupError as error:
        raise _refuse(str(error)) from None
    if code in GROUP_CODES:
        raise _refuse(
            gettext(
                "%(code)s is the code of a shipped group (%(group)s): add it from the list.",
                code=code,
                group=group_label(code),
            )
        )
    if db.session.execute(select(Group.id).where(Group.code == code)).first():
        raise _refuse(gettext("The group %(group)s exists already.", group=group_label(code)))
    if dimension not in DIMENSIONS:
        raise _refuse(gettext("Choose the group's dimension."))
    checked = _checked_names(names)
    last = db.session.execute(select(func.max(Group.position))).scalar()
    group = Group(code=code, position=(last + 1) if last is not None else 0, dimension=dimension)
    _put_names(group, checked)
    db.session.add(group)
    _flush()
    record_audit("group.create", "group", group.id, after=snapshot(group))
    _flush()
    forget_own_group_names()
    return group


def rename_own_group(group: Group, names: dict[str, str]) -> None:
    """New names for an administrator's own group; a shipped group's are in the catalogs."""
    if not group.names():
        raise _refuse(gettext("A shipped group's name cannot be changed here."))
    checked = _checked_names(names)
    before = snapshot(group)
    _put_names(group, checked)
    _flush()
    record_change("group.update", "group", group.id, before, snapshot(group))
    _flush()
    forget_own_group_names()
