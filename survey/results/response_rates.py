"""AAPOR response rates of a campaign's phone cases, whole or by group, unit or operator.

Each case counts once, under the most informative outcome of all its attempts
(survey.stats.aapor.PRECEDENCE), not its latest one: a soft refusal followed
by a no-answer on the retry is a refusal, not "unknown eligibility", and a
refusal followed by proof that the person is outside the survey leaves the
rates (not eligible). A case
never attempted is "unknown eligibility, not attempted" (3.11, counted as UH).
By operator, a case counts for the operator of the attempt that decided its
category (the latest such attempt when several share it). One query: the
attempts ranked per case in a window, then a GROUP BY.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ..channels.phone import DISPOSITIONS
from ..extensions import db
from ..instruments import localized
from ..instruments.store import current_instruments
from ..models import Attempt, CallCase, Campaign, Group, Invitation
from ..stats.aapor import (
    PRECEDENCE,
    DispositionCounts,
    ResponseRates,
    estimate_e,
    response_rates,
)

BY_CHOICES = (None, "group", "unit", "operator")
# What each rate category means, for the table of dispositions beside the rates.
CATEGORY_LABELS: dict[str, Any] = {
    "I": _l("complete interview (I, 1.1)"),
    "P": _l("partial interview (P, 1.2)"),
    "NE": _l("not eligible (NE, 4.0): left out of every rate"),
    "R": _l("refusal or break-off (R, 2.10)"),
    "O": _l("other eligible non-interview (O, 2.30)"),
    "NC": _l("non-contact (NC, 2.20)"),
    "UO": _l("unknown eligibility, other (UO, 3.90)"),
    "UH": _l("unknown eligibility, not reached (UH, 3.10)"),
}
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


def _tallies(
    campaign: Campaign, by: str | None
) -> tuple[dict[Any, DispositionCounts], dict[Any, int]]:
    """Cases per AAPOR category per key of ``by``, and how many of them were attempted."""
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
    attempted: dict[Any, int] = defaultdict(int)
    for row in db.session.execute(stmt):
        values = tuple(row)
        group_key = values[0] if by is not None else None
        rank, count = values[-2], values[-1]
        category = NEVER_ATTEMPTED if rank is None else PRECEDENCE[int(rank)]
        tallies[group_key][category] += int(count)
        if rank is not None:
            attempted[group_key] += int(count)
    counts = {k: DispositionCounts(**v) for k, v in tallies.items()}
    return counts, {k: attempted.get(k, 0) for k in counts}


def disposition_counts(campaign: Campaign, by: str | None = None) -> dict[Any, DispositionCounts]:
    """Cases per AAPOR category, per key of ``by`` (None: the whole campaign, key None)."""
    return _tallies(campaign, by)[0]


def phone_response_rates(
    campaign: Campaign, by: str | None = None, e: float | None = None
) -> dict[Any, ResponseRates | None]:
    """RR1, RR2, RR3, RR4, COOP1, REF1, CON1 per key of ``by``; None where nobody was called yet.

    Cases never called are "unknown eligibility, not attempted" (3.11) in the
    counts, but rates made of them alone (0% and e = 1) would read as a
    failed fieldwork rather than one not begun: such a key has None, which
    the pages show as "no attempts yet".

    ``e`` (for RR3 and RR4) defaults to the share eligible among the WHOLE campaign's
    cases of known eligibility, so every group and operator is read with the
    same e, stated beside the rates.
    """
    counts, attempted = _tallies(campaign, by)
    if e is None:
        whole = disposition_counts(campaign) if by is not None else counts
        total = whole.get(None, DispositionCounts())
        e = estimate_e(total)
    return {
        key: response_rates(c, e=e) if attempted[key] else None for key, c in counts.items()
    }


def partial_thresholds(campaign: Campaign, lang: str) -> list[tuple[str, int, list[str]]]:
    """Per questionnaire of the campaign's groups: its title, the share of the questions asked
    a partial interview needs (%), and the questions it must have answered (their texts).

    Shown beside the rates: whether a cut-short call counted as partial (1.2)
    or break-off (2.12) depends on it (survey.instruments.partial).
    """
    instruments = current_instruments()
    found = []
    for instrument_id in sorted({settings.instrument_id for settings in campaign.groups}):
        instrument = instruments.get(instrument_id)
        if instrument is None:
            continue
        rule = instrument.partial
        needs = [localized(instrument.question(qid).text, lang) for qid in rule.needs]
        found.append((instrument.text(lang), round(rule.share * 100), needs))
    return found


def disposition_rows() -> list[tuple[str, str, str]]:
    """Every disposition's label, AAPOR code and the rate category it counts under.

    In the order of precedence (survey.stats.aapor.PRECEDENCE): a case
    counts under the highest row any of its attempts reached.

    Shown beside the rates (fieldwork page, operators' queue), so that a
    reader can check what each outcome counted as.
    """
    ordered = sorted(
        DISPOSITIONS.values(), key=lambda d: (PRECEDENCE.index(d.category), d.aapor)
    )
    return [(str(d.label), d.aapor, str(CATEGORY_LABELS[d.category])) for d in ordered]
