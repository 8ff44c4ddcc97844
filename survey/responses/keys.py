"""Submission keys and client hashes: how a retry is recognised and a client told apart."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import select

from ..extensions import db
from ..models import (
    Response,
    utcnow,
)
from .targets import Tampered, Target


def _signer(target: Target) -> TimestampSigner:
    return _signer_of(current_app.config["SECRET_KEY"], target.scope)


@lru_cache(maxsize=256)
def _signer_of(secret: str | bytes, scope: str) -> TimestampSigner:
    """Made once per secret and card: a signer never changes, and making one cost a dozen calls."""
    return TimestampSigner(secret, salt="submission-key:" + scope)


def new_submission_key(target: Target) -> str:
    """A random key for a card being shown, signed with the time and the card it belongs to.

    Response.submission_key is unique, so a retried POST finds the row the
    first one stored; the signature lets the server trust the start time and
    recognise a form posted to another card's address.
    """
    return _signer(target).sign(secrets.token_urlsafe(16)).decode("ascii")


def check_submission_key(target: Target, key: str) -> dt.datetime:
    """When the card was shown (UTC, naive); raises Tampered for a key not made for this card."""
    if not key or len(key) > 64:
        raise Tampered("key")
    try:
        _value, signed_at = _signer(target).unsign(key, return_timestamp=True)
    except BadSignature:
        raise Tampered("key") from None
    started = signed_at.astimezone(dt.UTC).replace(tzinfo=None)
    return min(started, utcnow())


def response_by_key(key: str) -> Response | None:
    return db.session.execute(
        select(Response).where(Response.submission_key == key)
    ).scalar_one_or_none()


def client_hash(remote_addr: str | None) -> str:
    """A keyed hash of the client address: enough to see a burst, useless to find the person."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, (remote_addr or "").encode("utf-8"), hashlib.sha256).hexdigest()
