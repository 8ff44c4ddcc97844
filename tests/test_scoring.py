"""Scoring a cycle's year, checked against a computation by hand.

Unit a in 2025: 40 service users' cards, 20 "satisfied" (75) and 20 "basically
satisfied" (50): index 62.5, s^2 = 40 * 12.5^2 / 39, se = sqrt(s^2 / 40), df 39.
Its survey item (50 -> 0, 90 -> 3 points, a line between) gives
3 * 12.5 / 40 = 0.9375 points with se 3/40 * se(index), exactly linear (the
estimate is more than 6 se from either end), so the total's interval is
t(0.975, 39) * that se around the fixed items' sum plus 0.9375.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scipy import stats
from scorecard_support import mini_cycle

from survey.extensions import db
from survey.models import DataValue, ItemScore, ScoreEvent
from survey.scorecard.entries import record_data, record_event, record_score
from survey.scorecard.messages import ScorecardError
from survey.scorecard.scoring import cycle_year

SE_INDEX = math.sqrt(40 * 12.5**2 / 39 / 40)
SE_POINTS = 3 / 40 * SE_INDEX


def _fill(cycle, a, b) -> None:  # type: ignore[no-untyped-def]
    for year, done in ((2024, 3.0), (2025, 3.5)):
        record_score(cycle, a, year, "work.done", source="on_site", score=done)
        record_data(cycle, a, year, "work.rate", numerator=45, denominator=50)
        record_score(cycle, a, year, "people.self", source="self", score=1)
        # The evaluators checked the self-assessment and gave less: theirs counts.
        record_score(cycle, a, year, "people.self", source="on_site", score=0.5)
    record_score(cycle, b, 2025, "work.done", source="on_site", score=4)
    record_data(cycle, b, 2025, "work.rate", numerator=40, denominator=50)
    record_score(cycle, b, 2025, "people.self", source="self", score=1)
    for level in ("national", "provincial", "national"):
        record_event(cycle, a, 2025, "plus.prize", level=level, reason="award")
    record_event(cycle, a, 2025, "plus.pilot", reason="pilot")
    record_event(cycle, a, 2025, "minus.breach", reason="breach")
    db.session.commit()


def test_totals_intervals_grades_changes_and_ranks_match_the_hand_computation(
    app, tmp_path: Path
) -> None:
    cycle, a, b = mini_cycle(app, tmp_path)
    _fill(cycle, a, b)
    results = {r.unit.code: r for r in cycle_year(cycle, 2025)}
    ra, rb = results["a"], results["b"]
    # a: on-site 3.5 + ratio 90% (band 80+: 2) + checked self 0.5 + survey 0.9375
    #    + bonus (prize 1 + 0.5 + 1 capped at 1.5, pilot 1: 2.5 capped at 2) - breach 1.
    assert ra.composite is not None and ra.innovation is not None
    assert ra.innovation.bonus == 2.0 and ra.innovation.deduction == 1.0
    assert set(ra.innovation.capped) == {"plus.prize", "plus"}
    total = ra.composite.total
    assert total.points == pytest.approx(7.9375, abs=1e-12)
    assert total.method == "delta" and total.df == pytest.approx(39)
    half = stats.t.ppf(0.975, 39) * SE_POINTS
    assert (total.low, total.high) == (
        pytest.approx(7.9375 - half, abs=1e-9),
        pytest.approx(7.9375 + half, abs=1e-9),
    )
    # Grade: below 8, "poor"; the interval crosses 8, so "good" has P(T39 >= z).
    grade = ra.composite.grade
    assert grade is not None and grade.grade == "poor" and grade.uncertain
    z = (8 - 7.9375) / SE_POINTS
    assert grade.probabilities["good"] == pytest.approx(stats.t.sf(z, 39), abs=1e-9)
    # 2024: on-site 3.0, no events: 3.0 + 2 + 0.5 + 0.9375 = 6.4375; change 1.5,
    # se sqrt(2) * SE_POINTS on 78 Welch-Satterthwaite df.
    assert ra.change is not None
    moved = ra.change.total
    assert moved.points == pytest.approx(1.5, abs=1e-12)
    half = stats.t.ppf(0.975, 78) * math.sqrt(2) * SE_POINTS
    assert (moved.low, moved.high) == (
        pytest.approx(1.5 - half, abs=1e-9),
        pytest.approx(1.5 + half, abs=1e-9),
    )
    assert ra.change.items["work.done"].points == pytest.approx(0.5)
    # b: 4 + 2 (80% is in the top band) + its own 1 + 3 * 37.5 / 40 = 9.8125; ranked first,
    # b had no 2024 scores, so no change.
    assert rb.composite is not None
    assert rb.composite.total.points == pytest.approx(9.8125, abs=1e-12)
    assert rb.change is None
    assert [(r.unit.code, r.rank.rank, r.rank.low, r.rank.high) for r in (rb, ra) if r.rank] == [
        ("b", 1, 1, 1),
        ("a", 2, 2, 2),
    ]


def test_a_unit_with_items_missing_is_listed_not_scored(app, tmp_path: Path) -> None:
    cycle, a, b = mini_cycle(app, tmp_path)
    record_score(cycle, a, 2024, "work.done", source="on_site", score=3)
    db.session.commit()
    results = {r.unit.code: r for r in cycle_year(cycle, 2024)}
    assert results["a"].missing == ("work.rate", "people.self")
    assert results["a"].composite is None and results["a"].rank is None
    # b had no answers in 2024: its survey item is missing too.
    assert results["b"].missing == ("work.done", "work.rate", "people.users", "people.self")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda c, u: record_score(c, u, 2025, "work.done", source="on_site", score=4.5),
            "Item work.done: 4.5 is above the item's maximum of 4 points.",
        ),
        (
            lambda c, u: record_score(c, u, 2025, "work.done", source="on_site", score=-1),
            "Item work.done: a score cannot be below 0.",
        ),
        (
            lambda c, u: record_score(c, u, 2025, "people.users", source="on_site", score=1),
            "Item people.users is not assessed: its points come from its survey.",
        ),
        (
            lambda c, u: record_score(c, u, 2026, "work.done", source="on_site", score=1),
            "2026 is not a year of the cycle (2024 to 2025).",
        ),
        (
            lambda c, u: record_data(c, u, 2025, "work.rate", numerator=60, denominator=50),
            "Item work.rate: 120 is outside its range (0 to 100).",
        ),
        (
            lambda c, u: record_event(c, u, 2025, "plus.prize", level="city", reason="x"),
            "Item plus.prize: choose the event's level (national, provincial).",
        ),
        (
            lambda c, u: record_event(c, u, 2025, "plus.pilot", reason="  "),
            "Say why: an event needs its reason.",
        ),
        (
            lambda c, u: record_score(c, u, 2025, "nope", source="self", score=1),
            "nope is not an item of the framework unit a is scored on.",
        ),
    ],
)
def test_bad_entries_are_refused_with_their_message_and_change_nothing(
    app, tmp_path: Path, call, message
) -> None:
    cycle, a, _ = mini_cycle(app, tmp_path)
    with pytest.raises(ScorecardError) as raised:
        call(cycle, a)
    assert raised.value.message() == message
    db.session.rollback()
    for model in (ItemScore, DataValue, ScoreEvent):
        assert db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one() == 0
