"""A unit's survey-fed items period by period (month, quarter or year) over a cycle's years.

The scorecard reads one figure a year per survey item (:mod:`.survey_feed`);
its charts also show how that figure moved within the years. The figures are
the published ones: the same summaries, dimension, weights and small-cell rule
as the scorecard's, and disclosure control (:mod:`survey.results.protection`)
marks every group part of every period before anything is estimated, so a
withheld period comes back suppressed and is never drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..extensions import db
from ..models import Campaign, Cycle, CycleCampaign
from ..results import PUBLISHED, ResultRow, stratum_summaries
from ..results.periods import resolve_period
from ..results.protection import protect_summaries
from .framework import Framework, SurveyFeed
from .survey_feed import dimension_rows

__all__ = ["FeedSeries", "PERIOD_KEYS", "PeriodKey", "feed_series"]

PeriodKey = Literal["month", "quarter", "year"]
PERIOD_KEYS: tuple[PeriodKey, ...] = ("month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class FeedSeries:
    """One survey feed of a unit: the items that read it and its figure per period."""

    feed: SurveyFeed
    item_ids: tuple[str, ...]
    periods: tuple[tuple[str, ResultRow], ...]  # ("2025-Q1", row), oldest first


def _rows_of_year(
    campaign: Campaign, year: int, unit_id: int, feeds: set[SurveyFeed], by: PeriodKey
) -> dict[tuple[SurveyFeed, str], ResultRow]:
    """(feed, period) -> the published row of the unit, within ``year``."""
    indicators = sorted({feed.indicator for feed in feeds})
    keys = ("indicator", "unit", by)
    window = str(year)
    summaries = stratum_summaries(
        campaign, indicator=indicators, by=keys, period=window, units=[unit_id]
    )
    k = PUBLISHED.checked().small_cell_k
    if k > 1:
        summaries = protect_summaries(
            campaign,
            summaries,
            by=keys,
            k=k,
            window=resolve_period(campaign, window),
            channels=None,
            units=[unit_id],
            include_flagged=False,
            indicators=indicators,
        )
    found: dict[tuple[SurveyFeed, str], ResultRow] = {}
    for dimension in sorted({feed.dimension for feed in feeds}):
        rows = dimension_rows(campaign, summaries, dimension, by=keys, disclosure=k > 1)
        for row in rows:
            period = getattr(row, by)
            for feed in feeds:
                if feed.dimension == dimension and feed.indicator == row.indicator and period:
                    found[(feed, period)] = row
    return found


def feed_series(
    cycle: Cycle, unit_id: int, framework: Framework, by: PeriodKey
) -> list[FeedSeries]:
    """Every survey feed of the unit's framework, its published figure per ``by`` period.

    Years of the cycle without a campaign, and periods nobody answered in, have
    no entry; a withheld period keeps its suppressed row, so the chart says so.
    """
    items: dict[SurveyFeed, list[str]] = {}
    for item in framework.items:
        if item.survey is not None:
            items.setdefault(item.survey, []).append(item.id)
    if not items:
        return []
    found: dict[tuple[SurveyFeed, str], ResultRow] = {}
    for year in cycle.year_list:
        link = db.session.get(CycleCampaign, (cycle.id, year))
        if link is not None:
            found.update(_rows_of_year(link.campaign, year, unit_id, set(items), by))
    return [
        FeedSeries(
            feed,
            tuple(ids),
            tuple(sorted(((p, row) for (f, p), row in found.items() if f == feed))),
        )
        for feed, ids in items.items()
    ]
