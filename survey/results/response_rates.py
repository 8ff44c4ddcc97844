"""AAPOR response rates of a campaign's phone cases, whole or by group, unit or operator.

Each case counts once, under the most informative outcome of all its attempts
(survey.stats.aapor.PRECEDENCE), not its latest one: a soft refusal followed
by a no-answer on the retry is a refusal, not "unknown eligibility". A case
never attempted is "unknown eligibility, not attempted" (3.11, counted as UH).
By operator, a case counts for the operator of the attempt that decided its
category (the latest such attempt when several share it). One query: the
attempts ranked per case in a window, then a GROUP BY.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import case, func, select

from ..channels.phone import DISPOSITIONS
from ..extensions import db
from ..models import Attempt, CallCase, Campaign, Group, Invitation
from ..stats.aapor import (
    PRECEDENCE,
    DispositionCounts,
    ResponseRates,
    estimate_e,
    response_rates,
)

BY_CHOICES = (None, "group", "unit", "operator")
# A disposition the queue does not know (any more) says nothing sure: unknown, other.
UNKNOWN_DISPOSITION = "UO"
NEVER_ATTEMPTED = "UH"


def _precedence_rank() -> Any:
    """SQL: an attempt's category as its position in PRECEDENCE (lower is more informative)."""
    return case(
        {code: PRECEDENCE.index(d.category) for code, d in DISPOSITIONS.items()},
        value=Attempt.disposition,
        else_=PRECEDENCE.index(UNKNOWN_DISPOSITION),
    )


def _deciding_attempts(campaign: Campaign) -> Any:
    """Per attempted case: the rank of its final category and the operator who got it."""
    rank = _precedence_rank()
    ranked = (
        select(
            Attempt.case_id,
            Attempt.operator_id,
            rank.label("rank"),
            func.row_number()
            .over(
                partition_by=Attempt.case_id,
                order_by=(rank, Attempt.ended_at.desc(), Attempt.id.desc()),
            )
            .label("pick"),
        )
        .join(CallCase, CallCase.id == Attempt.case_id)
        .where(CallCase.campaign_id == campaign.id)
        .subquery()
    )
    return (
        select(ranked.c.case_id, ranked.c.operator_id, ranked.c.rank)
        .where(ranked.c.pick == 1)
        .subquery()
    )


def disposition_counts(campaign: Campaign, by: str | None = None) -> dict[Any, DispositionCounts]:
    """Cases per AAPOR category, per key of ``by`` (None: the whole campaign, key None)."""
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {BY_CHOICES}, not {by!r}")
    deciding = _deciding_attempts(campaign)
    if by == "operator":
        # A case never attempted has no operator: it is in no operator's figures.
        stmt = select(deciding.c.operator_id, deciding.c.rank, func.count()).group_by(
            deciding.c.operator_id, deciding.c.rank
        )
    else:
        key: Any = {
            None: None,
            "group": Group.code,
            "unit": Invitation.unit_id,
        }[by]
        columns = [key] if key is not None else []
        stmt = (
            select(*columns, deciding.c.rank, func.count())
            .select_from(CallCase)
            .join(Invitation, Invitation.id == CallCase.invitation_id)
            .join(Group, Group.id == Invitation.group_id)
            .outerjoin(deciding, deciding.c.case_id == CallCase.id)
            .where(CallCase.campaign_id == campaign.id)
            .group_by(*columns, deciding.c.rank)
        )
    tallies: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in db.session.execute(stmt):
        values = tuple(row)
        group_key = values[0] if by is not None else None
        rank, count = values[-2], values[-1]
        category = NEVER_ATTEMPTED if rank is None else PRECEDENCE[int(rank)]
        tallies[group_key][category] += int(count)
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
