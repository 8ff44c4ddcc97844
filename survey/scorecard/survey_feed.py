"""The survey figures a cycle's survey items read: a dimension's indicator, per unit and year.

An item such as "satisfaction of service users" reads the index (or the share
satisfied) of one indicator over the groups of one dimension only: the three
dimensions are never pooled (DESIGN.md). The figures are the published ones:
the same running summaries, weights, small-cell rule and reliability standard as
the results pages (:data:`survey.results.PUBLISHED`), computed within the
dimension's groups for the calendar year in the campaign's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Campaign, CampaignGroup, Group
from ..results import (
    PUBLISHED,
    ResultRow,
    StratumSummary,
    estimates_from_summaries,
    stratum_summaries,
)
from ..results.options import Dimension
from ..results.settings import campaign_groups
from ..stats import Estimate
from .framework import Framework, SurveyFeed

__all__ = ["SurveyFigure", "dimension_rows", "dimensions_of", "survey_figures"]


@dataclass(frozen=True, slots=True)
class SurveyFigure:
    """A unit's figure for one feed in one year: the estimate the rule reads, and its row."""

    feed: SurveyFeed
    row: ResultRow

    @property
    def estimate(self) -> Estimate:
        """The index (0-100) or the share satisfied (0-1), as the feed's measure says."""
        return self.row.index if self.feed.measure == "index" else self.row.share_satisfied


def dimensions_of(campaign: Campaign) -> dict[str, str]:
    """Group code -> dimension, for the campaign's groups."""
    rows = db.session.execute(
        select(Group.code, Group.dimension)
        .join(CampaignGroup, CampaignGroup.group_id == Group.id)
        .where(CampaignGroup.campaign_id == campaign.id)
    ).all()
    return {code: dimension for code, dimension in rows}


def dimension_rows(
    campaign: Campaign,
    summaries: Sequence[StratumSummary],
    dimension: str,
    *,
    by: Sequence[str],
    disclosure: bool = False,
) -> list[ResultRow]:
    """The published rows of one feed dimension: its groups' summaries only, never pooled.

    ``disclosure``: the summaries were marked by disclosure control already.
    """
    settings = campaign_groups(campaign)
    dimension_of = dimensions_of(campaign)
    groups = {code: s for code, s in settings.items() if dimension_of.get(code) == dimension}
    within = [s for s in summaries if s.group in groups]
    if not within:
        return []
    # The published figures are of one published dimension: the staff's own, or the
    # external one (whose groups here are this dimension's only); without saying which,
    # the staff's rows were dropped and no staff item could be scored.
    published: Dimension = "staff" if dimension == "staff" else "external"
    return estimates_from_summaries(
        within, groups, options=PUBLISHED, by=by, dimension=published, disclosure=disclosure
    )


def survey_figures(
    campaign: Campaign, year: int, frameworks: Mapping[int, Framework], unit_ids: Iterable[int]
) -> dict[tuple[int, SurveyFeed], SurveyFigure]:
    """(unit id, feed) -> figure for every survey feed of the units' frameworks, in one query.

    ``frameworks`` maps unit ids to the framework each is scored on (a unit's
    individual set may read other indicators). A unit nobody in a dimension
    answered gets no entry; a small cell gets its suppressed row.
    """
    units = sorted(set(unit_ids))
    feeds = {
        item.survey
        for unit in units
        for item in frameworks[unit].items
        if item.survey is not None
    }
    if not feeds or not units:
        return {}
    indicators = sorted({feed.indicator for feed in feeds})
    summaries = stratum_summaries(
        campaign,
        indicator=indicators,
        by=("indicator", "unit"),
        period=str(year),
        units=units,
    )
    figures: dict[tuple[int, SurveyFeed], SurveyFigure] = {}
    for dimension in sorted({feed.dimension for feed in feeds}):
        rows = dimension_rows(campaign, summaries, dimension, by=("indicator", "unit"))
        by_cell = {(row.unit_id, row.indicator): row for row in rows}
        for feed in feeds:
            if feed.dimension != dimension:
                continue
            for unit in units:
                row = by_cell.get((unit, feed.indicator))
                if row is not None and feed in {i.survey for i in frameworks[unit].items}:
                    figures[(unit, feed)] = SurveyFigure(feed, row)
    return figures
