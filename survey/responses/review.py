"""An evaluator's review of held bursts, in bulk: accept (the cards count) or exclude.

Accepting a burst unflags its cards, so they count in every result from then
on, and opens the bad-review cases they held, due from the moment of the
acceptance (the unit could not see them before). Excluding keeps the cards out
for good and closes their held cases as excluded, with the same reason. Either
needs a reason, and each burst's decision is one event in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..access.audit import record_audit, snapshot
from ..extensions import db
from ..followup.cases import REASON_TOO_SHORT, deadline, reason_is_enough
from ..models import Burst, Campaign, FollowUpCase, Response, User, touch_responses, utcnow
from . import usual_cache

DECISIONS = {"accept": "accepted", "exclude": "excluded"}
# What the audit trail keeps of a burst.
BURST_FIELDS = ("id", "status", "source", "channel", "cards", "lowest", "first_at", "last_at")


class ReviewError(ValueError):
    """A review that cannot be done as asked; the message says why. Nothing changed."""


def held_bursts(campaign: Campaign) -> list[Burst]:
    """The campaign's bursts waiting for review, the oldest first."""
    return list(
        db.session.execute(
            select(Burst)
            .where(Burst.campaign_id == campaign.id, Burst.status == "held")
            .order_by(Burst.first_at, Burst.id)
        ).scalars()
    )


def reviewed_bursts(campaign: Campaign, limit: int = 100) -> list[Burst]:
    """The campaign's reviewed bursts, the latest decision first."""
    return list(
        db.session.execute(
            select(Burst)
            .where(Burst.campaign_id == campaign.id, Burst.status != "held")
            .order_by(Burst.reviewed_at.desc(), Burst.id.desc())
            .limit(limit)
        ).scalars()
    )


def bursts_of(campaign: Campaign, ids: Sequence[int]) -> list[Burst]:
    """The campaign's bursts among ``ids`` (others' ids are ignored, never reviewed here)."""
    if not ids:
        return []
    return list(
        db.session.execute(
            select(Burst)
            .where(Burst.campaign_id == campaign.id, Burst.id.in_(list(ids)))
            .order_by(Burst.id)
        ).scalars()
    )


def review(bursts: Sequence[Burst], decision: str, reason: str, *, by: User) -> int:
    """Accept or exclude ``bursts`` together; how many cards were decided. Flushed.

    All or nothing: a missing reason, an unknown decision, no burst chosen or a
    burst decided already (by someone else meanwhile) raises ReviewError.
    """
    reason = (reason or "").strip()
    if decision not in DECISIONS:
        raise ReviewError(_l("Choose to accept or to exclude."))
    if not bursts:
        raise ReviewError(_l("Choose at least one burst."))
    if not reason_is_enough(reason):
        raise ReviewError(REASON_TOO_SHORT)
    if any(b.status != "held" for b in bursts):
        raise ReviewError(_l("A burst chosen has been reviewed already; reload the page."))
    now = utcnow()
    cards = 0
    for burst in bursts:
        before = snapshot(burst, BURST_FIELDS)
        burst.status = DECISIONS[decision]
        burst.reason = reason
        burst.reviewed_by_id = by.id
        burst.reviewed_at = now
        if decision == "accept":
            _accept(burst, now)
        else:
            _exclude(burst, reason, by, now)
        cards += burst.cards
        record_audit(
            f"burst.{decision}",
            "burst",
            burst.id,
            before=before,
            after=snapshot(burst, BURST_FIELDS),
            reason=reason,
            campaign_id=burst.campaign_id,
            user=by,
        )
    db.session.flush()
    return cards


def _held_cases(burst: Burst) -> list[FollowUpCase]:
    members = select(Response.id).where(Response.burst_id == burst.id)
    return list(
        db.session.execute(
            select(FollowUpCase).where(
                FollowUpCase.response_id.in_(members), FollowUpCase.status == "held"
            )
        ).scalars()
    )


def _accept(burst: Burst, now: dt.datetime) -> None:
    usual_cache.drop()  # its cards count again in their sources' usual
    members = select(Response.id).where(Response.burst_id == burst.id)
    touch_responses(db.session, db.session.execute(members).scalars())  # counted from now on
    db.session.execute(
        update(Response)
        .where(Response.burst_id == burst.id)
        .values(flagged=False)
        .execution_options(synchronize_session=False)
    )
    for case_row in _held_cases(burst):
        case_row.status = "open"
        case_row.opened_at = now
        case_row.due_at = deadline(now, burst.campaign)


def _exclude(burst: Burst, reason: str, by: User, now: dt.datetime) -> None:
    for case_row in _held_cases(burst):
        case_row.status = "excluded"
        case_row.excluded_reason = reason
        case_row.excluded_by_id = by.id
        case_row.closed_at = now
