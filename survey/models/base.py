"""What every model module shares: the clock, the respondent groups and the channels."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Timestamps are stored in UTC, naive, the same on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# The respondent groups of DESIGN.md; for the statistics each is a stratum.
GROUP_CODES: tuple[str, ...] = (
    "deputy",
    "cppcc",
    "retiree",
    "expert",
    "supervisor",
    "party",
    "staff",
    "service_user",
    "public",
)

# How a response reached us.
CHANNELS: tuple[str, ...] = ("qr", "ticket", "kiosk", "link", "sms", "paper", "phone", "ivr")
