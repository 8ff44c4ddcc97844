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

# The three dimensions of opinion that are never pooled into one figure (DESIGN.md,
# "Indicators of different questions are not pooled"; issue 10): the served public's
# satisfaction, the stakeholders' evaluation of the institution, and the staff's own
# opinion of their unit. Every group belongs to exactly one.
DIMENSIONS: tuple[str, ...] = ("service_users", "stakeholders", "staff")

# The dimension of each shipped group; a group an administrator adds says its own.
GROUP_DIMENSIONS: dict[str, str] = {
    "deputy": "stakeholders",
    "cppcc": "stakeholders",
    "retiree": "stakeholders",
    "expert": "stakeholders",
    "supervisor": "stakeholders",
    "party": "stakeholders",
    "staff": "staff",
    "service_user": "service_users",
    "public": "service_users",
}


def dimension_of_code(code: str) -> str:
    """The dimension of a shipped group's code (stakeholders for any other code)."""
    return GROUP_DIMENSIONS.get(code, "stakeholders")


# How a response reached us.
CHANNELS: tuple[str, ...] = ("qr", "ticket", "kiosk", "link", "sms", "paper", "phone", "ivr")
