"""Disclosure control worked out before the first evaluator asks (gunicorn ``--preload``).

Each worker keeps every table's protection once worked out
(survey.results.protection), but a fresh worker's first results page works them
all out: 1 to 3 seconds at 100 units, 8 at 1,000. With ``gunicorn --preload`` the
app is made once, in the master process, before the workers are forked: what
:func:`warm_results` works out there, every worker (and every worker the master
starts later) begins with, shared until written. A table that a card changed
since has another fingerprint and is worked out again on its next view, as ever.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Campaign
from .messages import ResultsError
from .service import satisfaction
from .unit_report import OVERALL


def warm_results(most_campaigns: int) -> list[str]:
    """Work out the results page of the ``most_campaigns`` campaigns opened last; their codes.

    The page's own read (every unit's overall figures, no period), so the tables
    kept are the ones its first view looks up. Drafts are left out (they have
    no figures), and so is a campaign whose figures cannot be worked out yet.
    Reads only; the caller's session is left as it was.
    """
    if most_campaigns <= 0:
        return []
    campaigns = db.session.execute(
        select(Campaign).where(Campaign.draft.is_(False)).order_by(Campaign.id.desc())
    ).scalars()
    newest = sorted(campaigns, key=lambda c: c.opens(), reverse=True)[:most_campaigns]
    warmed = []
    for campaign in newest:
        try:
            satisfaction(
                campaign, by=("unit",), indicator=OVERALL, period=None, group_breakdown=False
            )
        except ResultsError:
            continue
        warmed.append(campaign.code)
    return warmed
