"""The campaign a results page reads, or 404 (thin: the rule is survey.results.readable)."""

from __future__ import annotations

from flask import abort

from ..models import Campaign
from ..results.readable import readable_campaign
from ..web.navigation import whole_number


def campaign_or_404(campaign_id: int) -> Campaign:
    """The campaign whose answers the page reads; 404 for an unknown one and for a draft.

    A draft is as unknown here as in the API: its test answers count in nothing,
    so every page of its results would be empty (the set-up pages show drafts).
    """
    campaign = readable_campaign(campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def chosen_campaign_or_404(raw: str) -> Campaign:
    """The campaign of a ``?campaign=<id>`` choice; 404 for a malformed id as for a draft."""
    chosen = whole_number(raw)
    if chosen is None:
        abort(404)
    return campaign_or_404(chosen)
