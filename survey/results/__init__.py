"""The results service: stratified satisfaction estimates from one SQL GROUP BY.

:mod:`.summaries` holds the only SQL (per-cell, per-group sums); :mod:`.service`
turns the sums into estimates with survey.stats, applying the campaign's
weights, populations and small-cell suppression.
"""

from .service import (
    VERDICT_LABELS,
    GroupRow,
    GroupSetting,
    ResultRow,
    YearChange,
    YearOnYear,
    campaign_groups,
    check_indicators,
    estimates_from_summaries,
    satisfaction,
    year_on_year,
)
from .summaries import (
    BY_KEYS,
    CellKey,
    Period,
    ResultsError,
    StratumSummary,
    local_period,
    parse_period,
    resolve_period,
    stratum_summaries,
)

__all__ = [
    "BY_KEYS",
    "VERDICT_LABELS",
    "CellKey",
    "GroupRow",
    "GroupSetting",
    "Period",
    "ResultRow",
    "ResultsError",
    "StratumSummary",
    "YearChange",
    "YearOnYear",
    "campaign_groups",
    "check_indicators",
    "estimates_from_summaries",
    "local_period",
    "parse_period",
    "resolve_period",
    "satisfaction",
    "stratum_summaries",
    "year_on_year",
]
