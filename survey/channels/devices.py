"""Kiosk devices: enrolled by an administrator, recognised by a signed cookie, revocable.

Kiosk mode shows a fresh card after each thank-you and counts the cards as the
kiosk's (channel "kiosk"). A browser that merely opens ``/k/<point>`` gets the
public card instead, with the public card's limits: only a tablet that an
administrator enrolled for that service point is a kiosk.

Enrolment: the administrator names the device at a point (``/admin/devices``
or ``flask survey device enrol``) and gets a one-time code, valid for
SURVEY_DEVICE_CODE_MINUTES; typed on the tablet at ``/device/enrol``, it
gives the tablet a cookie signed with the app's secret key that carries the
device's id and a 128-bit secret. Only hashes of the code and the secret are
stored, so neither can be read back from the database. Revoking the device
ends kiosk mode on the tablet at its next card. Every step is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Any

from flask import current_app
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ..access.audit import record_audit, snapshot
from ..extensions import db
from ..models import Device, ServicePoint, User, utcnow
from ..tokens import hash_token, new_token

# The cookie that makes a tablet a kiosk; it lives long (browsers cap cookies at 400 days)
# and is renewed on every card the kiosk shows, so a tablet in use never loses it.
DEVICE_COOKIE = "survey_device"
DEVICE_COOKIE_DAYS = 400
# Enrolment codes: 10 characters of an alphabet without look-alikes (0/O, 1/I/L),
# about 50 bits, typed on a tablet's keyboard, shown as XXXXX-XXXXX.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MAX_NAME = 200
# What the audit trail keeps of a device (never a hash).
DEVICE_FIELDS = ("id", "service_point_id", "name", "enrolled_at", "revoked_at")
# last_seen_at is written at most this often, so a busy kiosk does not write on every card.
SEEN_EVERY = dt.timedelta(minutes=5)


class DeviceError(ValueError):
    """An enrolment step that cannot be done as asked; the message (translated) says why."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kiosk-device")


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """A typed code as stored: capitals, without the spaces or dashes people type between groups."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def shown_code(code: str) -> str:
    """The code as people read it: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def create_device(point: ServicePoint, name: str, *, by: User | None) -> tuple[Device, str]:
    """A device named at a point, waiting for its one-time code (returned once, as shown).

    ``by`` is None from the command line, where the audit trail names the shell user.
    Flushed; the caller commits.
    """
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise DeviceError(gettext("The device's name must have 1 to 200 characters."))
    code = _new_code()
    minutes = int(current_app.config["SURVEY_DEVICE_CODE_MINUTES"])
    device = Device(
        service_point=point,
        name=name,
        code_hash=hash_token(code),
        code_expires_at=utcnow() + dt.timedelta(minutes=minutes),
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(device)
    db.session.flush()
    record_audit("device.create", "device", device.id, after=snapshot(device, DEVICE_FIELDS))
    return device, shown_code(code)


def enrol(typed_code: str) -> tuple[Device, str]:
    """The device whose code was typed, now enrolled, and the value of its cookie.

    The code works once and only before it expires; a wrong, used or expired
    code raises DeviceError and changes nothing. Flushed; the view commits.
    """
    code = normalise_code(typed_code)
    device = None
    if len(code) == CODE_LENGTH:
        device = db.session.execute(
            select(Device).where(Device.code_hash == hash_token(code))
        ).scalar_one_or_none()
    if device is None or device.state() != "waiting":
        raise DeviceError(
            gettext(
                "This code is not valid: it may be mistyped, used already or expired. "
                "Ask the administrator for a new code."
            )
        )
    secret = new_token()
    device.secret_hash = hash_token(secret)
    device.code_hash = None
    device.code_expires_at = None
    device.enrolled_at = device.last_seen_at = utcnow()
    record_audit(
        "device.enrol",
        "device",
        device.id,
        after=snapshot(device, DEVICE_FIELDS),
        actor=f"device:{device.id}",
    )
    db.session.flush()
    return device, _serializer().dumps({"d": device.id, "s": secret})


def device_of_cookie(value: str | None) -> Device | None:
    """The enrolled, unrevoked device a cookie names, or None (unsigned, unknown, revoked)."""
    if not value or len(value) > 200:
        return None
    try:
        data: Any = _serializer().loads(value)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int):
        return None
    secret = data.get("s")
    if not isinstance(secret, str):
        return None
    device = db.session.get(Device, data["d"])
    if device is None or device.state() != "enrolled" or device.secret_hash is None:
        return None
    if not hmac.compare_digest(device.secret_hash, hash_token(secret)):
        return None
    return device


def kiosk_device(cookie: str | None, point_code: str) -> Device | None:
    """The device that may show ``/k/<point_code>`` in kiosk mode: enrolled for that point."""
    device = device_of_cookie(cookie)
    if device is None or device.service_point.code != point_code:
        return None
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at >= SEEN_EVERY:
        device.last_seen_at = now
    return device


def revoke_device(device: Device) -> None:
    """End a device's kiosk mode (or its unused code) for good; audited; flushed."""
    if device.revoked_at is not None:
        raise DeviceError(gettext("This device was already revoked."))
    before = snapshot(device, DEVICE_FIELDS)
    device.revoked_at = utcnow()
    device.code_hash = None
    record_audit(
        "device.revoke", "device", device.id, before=before, after=snapshot(device, DEVICE_FIELDS)
    )
    db.session.flush()


def devices_by_point() -> list[Device]:
    """Every device, by service point and name (revoked ones too, marked as such)."""
    return list(
        db.session.execute(
            select(Device)
            .join(ServicePoint, ServicePoint.id == Device.service_point_id)
            .order_by(ServicePoint.code, Device.name, Device.id)
        ).scalars()
    )
