"""The results: stratified satisfaction estimates from one SQL GROUP BY, and how they are published.

- summaries: the only SQL of the figures (per-cell, per-group sums), periods in periods;
- settings: the campaign's group weights and populations; options: the estimation
  settings as one frozen object;
- estimates: sums -> figures with survey.stats, small cells suppressed
  (suppression: complementary suppression beside totals);
- service: satisfaction() and year_on_year(), the entry points;
- exports, publication (the indicator API), unit_report, comments, fieldwork,
  response_rates: what the faces show.
"""

from .estimates import GroupRow, ResultRow, estimates_from_summaries
from .messages import ResultsError
from .options import PUBLISHED, EstimationOptions
from .periods import Period, local_period, parse_period, resolve_period
from .service import VERDICT_LABELS, YearChange, YearOnYear, satisfaction, year_on_year
from .settings import GroupSetting, campaign_groups, check_indicators
from .summaries import BY_KEYS, CellKey, StratumSummary, stratum_summaries

__all__ = [
    "BY_KEYS",
    "PUBLISHED",
    "VERDICT_LABELS",
    "CellKey",
    "EstimationOptions",
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
