"""A database connection checked before use only when it has sat idle, not on every request.

``pool_pre_ping`` sent a round trip (SELECT 1) to PostgreSQL at every checkout,
so each card paid for a ping before its first query. A connection handed back
a moment ago is as alive as a ping would show; one idle longer than
SURVEY_DB_PING_IDLE_SECONDS (a quiet night, a server restart meanwhile) is
pinged, and a dead one is replaced before the request sees it. A connection
lost in the middle of a request is still caught by survey.web.db_retry.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event, exc

CHECKED_IN_AT = "survey_checked_in_at"


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout if it sat idle ``idle_seconds`` or more.

    SQLite is a file: there is no server to lose, so nothing is pinged.
    """
    if engine.dialect.name == "sqlite":
        return

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(CHECKED_IN_AT)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or back in the pool a moment ago
        _ping(dbapi_connection)

    event.listen(engine, "checkin", _remember_checkin)
    event.listen(engine, "checkout", ping_if_idle)


def _remember_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[CHECKED_IN_AT] = time.monotonic()


def _ping(dbapi_connection: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1")
    except Exception as error:  # any failure: the pool drops it and connects afresh
        raise exc.DisconnectionError(f"idle connection failed its ping: {error}") from error
    finally:
        try:
            cursor.close()
        except Exception:  # noqa: BLE001, S110 - a dead connection's cursor may not close
            pass
