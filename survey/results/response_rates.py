"""AAPOR response rates of a campaign's phone cases, whole or by group, unit or operator.

Each case counts once, by the category of its latest disposition (a case
never attempted is "unknown eligibility, not attempted", 3.11). By operator,
a case counts for the operator of its latest attempt. One GROUP BY.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select

from ..channels.phone import DISPOSITIONS
from ..extensions import db
from ..models import Campaign, Group, Invitation
from ..phone_models import CallAttempt, CallCase
from ..stats.aapor import DispositionCounts, ResponseRates, estimate_e, response_rates

BY_CHOICES = (None, "group", "unit", "operator")


def _category(disposition: str | None) -> str:
    if disposition is None:
        return "UH"
    found = DISPOSITIONS.get(disposition)
    return found.category if found else "UO"


def disposition_counts(campaign: Campaign, by: str | None = None) -> dict[Any, DispositionCounts]:
    """Cases per AAPOR category, per key of ``by`` (None: the whole campaign, key None)."""
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {BY_CHOICES}, not {by!r}")
    if by == "operator":
        latest = (
            select(
                CallAttempt.case_id,
                CallAttempt.operator_id,
                func.row_number()
                .over(
                    partition_by=CallAttempt.case_id,
                    order_by=(CallAttempt.ended_at.desc(), CallAttempt.id.desc()),
                )
                .label("rank"),
            )
            .join(CallCase, CallCase.id == CallAttempt.case_id)
            .where(CallCase.campaign_id == campaign.id)
            .subquery()
        )
        stmt = (
            select(latest.c.operator_id, CallCase.last_disposition, func.count())
            .join(CallCase, CallCase.id == latest.c.case_id)
            .where(latest.c.rank == 1)
            .group_by(latest.c.operator_id, CallCase.last_disposition)
        )
    else:
        key: Any = {
            None: None,
            "group": Group.code,
            "unit": Invitation.unit_id,
        }[by]
        columns = [key] if key is not None else []
        stmt = (
            select(*columns, CallCase.last_disposition, func.count())
            .join(Invitation, Invitation.id == CallCase.invitation_id)
            .join(Group, Group.id == Invitation.group_id)
            .where(CallCase.campaign_id == campaign.id)
            .group_by(*columns, CallCase.last_disposition)
        )
    tallies: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in db.session.execute(stmt):
        values = tuple(row)
        group_key = values[0] if by is not None else None
        disposition, count = values[-2], values[-1]
        tallies[group_key][_category(disposition)] += int(count)
    return {k: DispositionCounts(**v) for k, v in tallies.items()}


def phone_response_rates(
    campaign: Campaign, by: str | None = None, e: float | None = None
) -> dict[Any, ResponseRates]:
    """RR1, RR2, RR3, RR4, COOP1, REF1, CON1 per key of ``by``.

    ``e`` (for RR3 and RR4) defaults to the share eligible among the WHOLE campaign's
    cases of known eligibility, so every group and operator is read with the
    same e, stated beside the rates.
    """
    counts = disposition_counts(campaign, by)
    if e is None:
        whole = disposition_counts(campaign) if by is not None else counts
        total = whole.get(None, DispositionCounts())
        e = estimate_e(total)
    return {key: response_rates(c, e=e) for key, c in counts.items()}
