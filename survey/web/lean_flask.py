"""Flask, with the work it repeats for every request done once per worker.

Flask asks, for every hook and view it runs, whether the function is a
coroutine (``ensure_sync``: ``inspect.iscoroutinefunction``, a dozen calls a
function), about ten times a request; and it builds the session cookie's
signing serializer afresh when the session is opened and again when it is
saved (the serializer's set-up encodes a sample value to JSON to learn its
type). Neither answer changes while the function, or the secret key, stays the
same: here both are worked out once and kept. Nothing else differs from Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

# Functions known to be plain ``def``s, kept per app; past this many, forgotten and relearnt.
_MOST_KNOWN = 4096


class LeanSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer made once per secret key and fallbacks."""

    def __init__(self) -> None:
        self._serializer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, kept while the keys it signs with stay the same."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = self._serializer
        if kept is None or kept[0] != keys:
            kept = self._serializer = (keys, super().get_signing_serializer(app))
        return kept[1]


class LeanFlask(Flask):
    """Flask with ``ensure_sync``'s answer kept per function and a lean session interface."""

    session_interface = LeanSessionInterface()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session_interface = LeanSessionInterface()  # its own kept serializer per app
        self._plain: set[Callable[..., Any]] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's, with a function once found to be a plain ``def`` known as such."""
        try:
            if func in self._plain:
                return func
        except TypeError:  # an unhashable callable: asked each time, as Flask does
            return super().ensure_sync(func)
        made = super().ensure_sync(func)
        if made is func:
            if len(self._plain) >= _MOST_KNOWN:
                self._plain.clear()
            self._plain.add(func)
        return made
