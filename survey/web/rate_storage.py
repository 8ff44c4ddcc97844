"""Rate limits counted in the worker's memory, without a timer thread per request.

limits' MemoryStorage starts a ``threading.Timer`` to sweep expired counters
whenever its previous one has ended (10 ms later), so under a steady trickle of
cards nearly every rate-limited POST started a thread. This storage sweeps
inline instead, at most once a second: a fixed-window counter is checked for
expiry whenever it is read anyway, so the sweep only frees counters nobody
reads again. ``memory://`` in RATELIMIT_STORAGE_URI means this storage;
``redis://`` (one count for every worker and host) is unchanged.
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

SCHEME = "survey-memory"
SWEEP_EVERY_SECONDS = 1.0


class LeanMemoryStorage(MemoryStorage):
    """MemoryStorage whose expiry runs in the request that is counting, once a second at most."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the name MemoryStorage calls
        now = time.time()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_EVERY_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweeping.release()


def storage_uri(configured: str) -> str:
    """The storage URI to give Flask-Limiter: ours for ``memory://``, anything else unchanged."""
    if configured.strip() in {"memory://", "memory:///"}:
        return f"{SCHEME}://"
    return configured
