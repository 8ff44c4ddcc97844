"""Tokens for personal links and tickets: 128 random bits, stored only as a hash.

22 URL-safe characters carry 128 bits (base64 without padding), short enough for
an SMS and for a person to type from a printed letter.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

TOKEN_BYTES = 16
TOKEN_LENGTH = 22
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_token() -> str:
    """A fresh 128-bit token as 22 URL-safe characters."""
    return base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).rstrip(b"=").decode("ascii")


def hash_token(token: str) -> str:
    """The only form in which a token is stored: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(token: str) -> bool:
    """Cheap shape check, so garbage never reaches the database."""
    return bool(_TOKEN_RE.match(token))
