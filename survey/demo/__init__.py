"""Demo data: three units, all nine groups, one three-year campaign and a few hundred responses.

``make run`` loads it so that a fresh clone shows every screen with something
in it: a card to scan, a ticket and an invitation to open, and results with
differences between units and trends over months, quarters and years.

The data are generated, not invented case by case, from a seeded
``random.Random``: the same seed gives the same people, answers and dates
(only the link tokens are fresh, from the same generator as real ones, so a
demo that is left running somewhere does not hand out guessable links).
Answers are scored exactly as a submitted card is (``answer_columns`` ->
``question.score_of``, then ``store_scores``), so the demo's results are the
app's real computation on these answers.

The campaign's period is the three calendar years ending with the current one,
so the campaign is open whenever the demo is loaded. Policy weights (sum 1):
service users 0.4 (the citizens the units exist for), the general public,
deputies, CPPCC members and supervising departments 0.1 each, retired cadres,
experts, democratic-party members and internal staff 0.05 each.
"""

from __future__ import annotations

from .data import DEMO_CAMPAIGN, FALLBACK_INSTRUMENT, SEED, DemoResult
from .extras import (
    DEMO_PASSWORD,
    DEMO_USERS,
    load_demo_burst,
    load_demo_followups,
    load_demo_phone_queue,
    load_demo_report_comments,
    load_demo_users,
)
from .loader import demo_period, load_demo

__all__ = [
    "DEMO_CAMPAIGN",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "FALLBACK_INSTRUMENT",
    "SEED",
    "DemoResult",
    "demo_period",
    "load_demo",
    "load_demo_burst",
    "load_demo_followups",
    "load_demo_phone_queue",
    "load_demo_report_comments",
    "load_demo_users",
]
