"""Kiosk devices: a tablet at a window that an administrator enrolled for one service point.

Kiosk mode (a fresh card after each thank-you, cards counted as the kiosk's)
is only for a device enrolled here: the administrator names the device and
gets a one-time enrolment code, which is typed on the tablet; the tablet then
carries a signed cookie with the device's secret. Only hashes of the code and
of the secret are stored. Revoking the device ends its kiosk mode at once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow
from .units import ServicePoint

# What a device is, in the order of its life: waiting for its code to be typed,
# enrolled (kiosk mode), revoked; or its code expired before it was used.
DEVICE_STATES: tuple[str, ...] = ("waiting", "enrolled", "revoked", "expired")


class Device(Model):
    """A named tablet at one service point, enrolled by an administrator for kiosk mode."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The one-time enrolment code, as a hash, until it is used or expires.
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The secret in the tablet's signed cookie, as a hash; set when the code is typed.
    secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    service_point: Mapped[ServicePoint] = relationship()

    def state(self, now: dt.datetime | None = None) -> str:
        """One of DEVICE_STATES."""
        if self.revoked_at is not None:
            return "revoked"
        if self.enrolled_at is not None:
            return "enrolled"
        if self.code_expires_at is not None and (now or utcnow()) >= self.code_expires_at:
            return "expired"
        return "waiting"
