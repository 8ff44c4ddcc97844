"""Units (the institutions evaluated), their service points, and the respondent groups."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .base import dimension_of_code


class Unit(Model):
    """An institution being evaluated."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(80))
    # The unit's own SMS signature (without 【】), for messages about it alone.
    sms_signature: Mapped[str | None] = mapped_column(String(12))

    service_points: Mapped[list[ServicePoint]] = relationship(
        back_populates="unit", order_by="ServicePoint.code"
    )


class ServicePoint(Model):
    """A counter or hall of a unit where a reusable QR code hangs."""

    __tablename__ = "service_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    unit: Mapped[Unit] = relationship(back_populates="service_points")


class Group(Model):
    """A respondent group; in the statistics, a stratum."""

    __tablename__ = "respondent_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # service_users, stakeholders or staff (models.base.DIMENSIONS): figures of
    # different dimensions are never pooled.
    dimension: Mapped[str] = mapped_column(
        String(16),
        default=lambda context: dimension_of_code(context.get_current_parameters()["code"]),
        server_default="stakeholders",
    )
    # An administrator's own group (enterprise representatives, people's supervisors,
    # village cadres, ...) has its name in the three languages; a shipped group has
    # none here: its name is in the catalogs (labels.GROUP_LABELS).
    name_zh_hans: Mapped[str | None] = mapped_column(String(200))
    name_zh_hant: Mapped[str | None] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))

    def names(self) -> dict[str, str]:
        """Language -> name of an administrator's own group; empty for a shipped one."""
        given = {"zh_Hans": self.name_zh_hans, "zh_Hant": self.name_zh_hant, "en": self.name_en}
        return {lang: name for lang, name in given.items() if name}


def units_in_code_order() -> list[Unit]:
    return list(db.session.execute(db.select(Unit).order_by(Unit.code)).scalars())


def unit_by_code(code: str) -> Unit | None:
    return db.session.execute(db.select(Unit).where(Unit.code == code)).scalar_one_or_none()


def point_by_code(code: str) -> ServicePoint | None:
    return db.session.execute(
        db.select(ServicePoint).where(ServicePoint.code == code)
    ).scalar_one_or_none()


def group_by_code(code: str) -> Group | None:
    return db.session.execute(db.select(Group).where(Group.code == code)).scalar_one_or_none()


def own_group_names() -> dict[str, dict[str, str]]:
    """Code -> names of every administrator's own group, for labels.group_label.

    Read once per application context (a request, a command): a page names
    dozens of groups, and each would otherwise be a query.
    """
    from flask import g, has_app_context

    if has_app_context() and "own_group_names" in g:
        return g.own_group_names
    found = {
        group.code: group.names()
        for group in db.session.execute(
            db.select(Group).where(Group.name_zh_hans.is_not(None))
        ).scalars()
    }
    if has_app_context():
        g.own_group_names = found
    return found


def forget_own_group_names() -> None:
    """After a group is added or renamed: the next label reads the names again."""
    from flask import g, has_app_context

    if has_app_context():
        g.pop("own_group_names", None)
