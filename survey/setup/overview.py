"""The set-up overview: how many of each thing there are."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import ApiToken, Campaign, Group, ServicePoint, Unit, User


def overview_counts() -> dict[str, int]:
    """Units, service points, groups, campaigns, accounts and API tokens, counted."""
    models = {
        "units": Unit,
        "points": ServicePoint,
        "groups": Group,
        "campaigns": Campaign,
        "users": User,
        "tokens": ApiToken,
    }
    return {
        name: int(db.session.execute(select(func.count()).select_from(model)).scalar_one())
        for name, model in models.items()
    }
