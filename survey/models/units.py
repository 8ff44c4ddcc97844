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
