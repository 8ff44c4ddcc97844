"""Which campaigns have results to read: every campaign but a draft.

A draft (survey.setup.opening) takes only test answers, which count in no
figure, export, report, comment or follow-up case, and its settings still
change. A page of its results would show an empty campaign as if it were
running, so the pages that read answers (results, exports, reports, comments,
bursts, anomalies, fieldwork, follow-up) know a draft no more than the API does
(survey.results.publication): as an unknown campaign. The set-up pages, which
exist to try, change and open a draft, read it directly.
"""

from __future__ import annotations

from ..extensions import db
from ..models import Campaign, campaigns_newest_first, latest_campaign

__all__ = ["latest_readable_campaign", "readable_campaign", "readable_campaigns"]


def readable_campaign(campaign_id: int) -> Campaign | None:
    """The campaign ``campaign_id`` if its results may be read; None if unknown or a draft."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.draft:
        return None
    return campaign


def readable_campaigns() -> list[Campaign]:
    """The campaigns a results page may offer, newest period first (no draft)."""
    return campaigns_newest_first(drafts=False)


def latest_readable_campaign() -> Campaign | None:
    """The newest campaign that is not a draft: a results page's default choice."""
    return latest_campaign(drafts=False)
