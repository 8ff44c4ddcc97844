"""Composite scores with their sampling error, against hand computations.

Every expected value is worked out here from the formula (a linear rule on a t
estimate has a closed form; a banded or clamped rule has exact probabilities from
the t distribution, which the simulation must reproduce within its Monte Carlo
error), never taken from the code's own output. Simulations are seeded, and the
hand-derived quantiles are chosen far from the cut-offs, so that the assertions
hold for any seed, not only the one used.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from survey.scorecard.rules import Band, BandsRule, LinearRule
from survey.stats.composite import SurveyTerm, UnitYear, change, ranks, score
from survey.stats.estimate import Estimate

T30_975 = 2.042272456  # t quantile, 30 df, 0.975 (printed tables: 2.042)
T20_975 = 2.085963447  # 20 df (tables: 2.086)
DRAWS = 20_000


def estimate(value: float, se: float, df: float) -> Estimate:
    half = stats.t.ppf(0.975, df) * se
    return Estimate(value, se, df, value - half, value + half, 0.95, int(df) + 1, "test")


# The service users' rule of the shipped framework: 50 -> 0, 95 -> 8, a line between.
USERS = LinearRule(low=50.0, low_points=0.0, high=95.0, high_points=8.0)
# The stakeholders' bands of the shipped framework.
STAKEHOLDERS = BandsRule(
    bands=(
        Band(0, 60, 0),
        Band(60, 70, 2),
        Band(70, 75, 3),
        Band(75, 80, 4),
        Band(80, 85, 5),
        Band(85, 90, 6),
        Band(90, 100, 7),
    )
)


def one_item(fixed: float, term: SurveyTerm, unit: str = "u") -> UnitYear:
    return UnitYear(unit=unit, fixed={"other": fixed}, survey={"social.users": term})


# --- totals --------------------------------------------------------------------------------------


def test_linear_rule_total_is_the_closed_form() -> None:
    # Index 80 (se 2, 30 df) is 30 above 50: 30 * 8/45 = 5.3333 points; other items 70.
    year = one_item(70.0, SurveyTerm(estimate(80.0, 2.0, 30), USERS))
    result = score(year, rng=1)
    slope = 8 / 45
    point = 70 + slope * 30
    se = slope * 2
    assert result.total.method == "delta"
    assert result.total.points == pytest.approx(point, abs=1e-12)
    assert result.total.se == pytest.approx(se, abs=1e-12)
    assert result.total.df == 30
    assert result.total.low == pytest.approx(point - T30_975 * se, abs=1e-8)
    assert result.total.high == pytest.approx(point + T30_975 * se, abs=1e-8)
    item = result.items["social.users"]
    assert (item.points, item.method) == (pytest.approx(slope * 30), "delta")
    assert result.items["other"].low == result.items["other"].high == 70.0


def test_two_linear_items_add_variances_with_welch_satterthwaite_df() -> None:
    staff = LinearRule(low=50.0, low_points=0.0, high=90.0, high_points=3.0)
    year = UnitYear(
        unit="u",
        fixed={"rest": 60.0},
        survey={
            "users": SurveyTerm(estimate(80.0, 2.0, 30), USERS),
            "staff": SurveyTerm(estimate(70.0, 3.0, 12), staff),
        },
    )
    result = score(year, rng=1)
    v1 = (8 / 45 * 2.0) ** 2  # 0.126420
    v2 = (3 / 40 * 3.0) ** 2  # 0.050625
    df = (v1 + v2) ** 2 / (v1**2 / 30 + v2**2 / 12)
    point = 60 + 8 / 45 * 30 + 3 / 40 * 20
    half = stats.t.ppf(0.975, df) * math.sqrt(v1 + v2)
    assert result.total.df == pytest.approx(df, rel=1e-12)
    assert (result.total.low, result.total.high) == pytest.approx((point - half, point + half))
    assert result.note == "survey-fed items taken as independent estimates"


def test_simulation_of_a_linear_rule_agrees_with_the_closed_form() -> None:
    year = one_item(70.0, SurveyTerm(estimate(80.0, 2.0, 30), USERS))
    simulated = score(year, rng=20240601, draws=DRAWS, method="simulation")
    point = 70 + 8 / 45 * 30
    half = T30_975 * 8 / 45 * 2
    # The 2.5% quantile of 20000 draws has a Monte Carlo sd of about 0.008 points here.
    assert simulated.total.method == "simulation"
    assert simulated.total.points == pytest.approx(point, abs=1e-12)
    assert simulated.total.low == pytest.approx(point - half, abs=0.04)
    assert simulated.total.high == pytest.approx(point + half, abs=0.04)
    sd_t30 = math.sqrt(30 / 28)  # sd of a t variable with 30 df
    assert simulated.total.se == pytest.approx(8 / 45 * 2 * sd_t30, rel=0.03)


def test_a_clamp_within_reach_is_simulated_and_mapped_through_the_rule() -> None:
    # Index 94 (se 2): P(index > 95) = P(T30 > 0.5), about 31%, so the full 8 points are a
    # plausible outcome. A clamped line is monotone, so the quantiles of its points are the
    # rule applied to the index's quantiles: low = 8/45 * (94 - t*2 - 50), high = 8.
    year = one_item(70.0, SurveyTerm(estimate(94.0, 2.0, 30), USERS))
    result = score(year, rng=7, draws=DRAWS)
    assert result.total.method == "simulation"
    assert result.total.points == pytest.approx(70 + 8 / 45 * 44)
    assert result.total.low == pytest.approx(70 + 8 / 45 * (94 - T30_975 * 2 - 50), abs=0.04)
    assert result.total.high == 78.0
    assert result.items["social.users"].method == "simulation"


def test_bands_give_an_interval_of_totals_that_can_happen() -> None:
    # Index 84 (se 2.5, 20 df) sits in the band [80, 85): 5 points; other items 78.
    # P(index < 75) = P(T20 < -3.6) = 0.0009 and P(index < 80) = P(T20 < -1.6) = 0.063:
    # the 2.5% quantile of points is 4 (band [75, 80)). P(index < 90) = P(T20 < 2.4) =
    # 0.987: the 97.5% quantile is 6 (band [85, 90)). So the total's interval is [82, 84].
    assert stats.t.cdf(-3.6, 20) < 0.025 < stats.t.cdf(-1.6, 20)
    assert stats.t.cdf(2.4, 20) > 0.975
    year = one_item(78.0, SurveyTerm(estimate(84.0, 2.5, 20), STAKEHOLDERS))
    result = score(year, rng=3, draws=DRAWS)
    assert result.total.method == "simulation"
    assert (result.total.points, result.total.low, result.total.high) == (83.0, 82.0, 84.0)


# --- grades --------------------------------------------------------------------------------------


def test_grade_probabilities_of_a_linear_total_follow_the_t_distribution() -> None:
    # Total 75.333 with se 0.35556 on 30 df; "good" from 75.
    year = one_item(70.0, SurveyTerm(estimate(80.0, 2.0, 30), USERS))
    grades = (("good", 75.0), ("fair", 60.0), ("poor", None))
    result = score(year, rng=1, grades=grades)
    assert result.grade is not None
    point, se = 70 + 8 / 45 * 30, 8 / 45 * 2
    p_good = stats.t.sf((75 - point) / se, 30)  # about 0.822
    assert result.grade.grade == "good"
    assert result.grade.probabilities["good"] == pytest.approx(p_good, abs=1e-12)
    assert result.grade.probabilities["fair"] == pytest.approx(1 - p_good, abs=1e-12)
    assert result.grade.probabilities["poor"] == pytest.approx(0.0, abs=1e-12)
    assert result.grade.uncertain  # the interval 74.6-76.1 crosses 75


def test_grade_probabilities_of_banded_totals_are_band_probabilities() -> None:
    # As above: total = 78 + band points of an index ~ 84 + 2.5 T20.
    # "excellent" from 84 needs 6 or 7 points: index >= 85, P = P(T20 >= 0.4).
    # "good" from 82 needs 4 or 5 points: 75 <= index < 85, P = P(-3.6 <= T20 < 0.4).
    year = one_item(78.0, SurveyTerm(estimate(84.0, 2.5, 20), STAKEHOLDERS))
    grades = (("excellent", 84.0), ("good", 82.0), ("poor", None))
    result = score(year, rng=11, draws=DRAWS, grades=grades)
    assert result.grade is not None
    expected = {
        "excellent": stats.t.sf(0.4, 20),
        "good": stats.t.cdf(0.4, 20) - stats.t.cdf(-3.6, 20),
        "poor": stats.t.cdf(-3.6, 20),
    }
    for name, p in expected.items():
        tolerance = 4 * math.sqrt(p * (1 - p) / DRAWS) + 1e-4
        assert result.grade.probabilities[name] == pytest.approx(p, abs=tolerance)
    assert result.grade.grade == "good"  # 83 points
    assert result.grade.uncertain


def test_a_total_well_inside_its_grade_is_not_uncertain() -> None:
    year = UnitYear(unit="u", fixed={"a": 92.0}, survey={})
    result = score(year, rng=1, grades=(("excellent", 90.0), ("poor", None)))
    assert result.total.method == "fixed"
    assert result.grade is not None
    assert result.grade.probabilities == {"excellent": 1.0, "poor": 0.0}
    assert not result.grade.uncertain


# --- year on year -------------------------------------------------------------------------------


def test_change_between_years_adds_independent_variances() -> None:
    now = UnitYear("u", {"rest": 70.0}, {"users": SurveyTerm(estimate(80.0, 2.0, 30), USERS)})
    before = UnitYear("u", {"rest": 68.0}, {"users": SurveyTerm(estimate(75.0, 2.5, 25), USERS)})
    result = change(now, before, rng=1)
    slope = 8 / 45
    v_now, v_before = (slope * 2.0) ** 2, (slope * 2.5) ** 2
    df = (v_now + v_before) ** 2 / (v_now**2 / 30 + v_before**2 / 25)
    delta_users = slope * (80 - 75)  # 0.8889
    half = stats.t.ppf(0.975, df) * math.sqrt(v_now + v_before)
    users = result.items["users"]
    assert users.points == pytest.approx(delta_users)
    assert users.df == pytest.approx(df)
    assert (users.low, users.high) == pytest.approx((delta_users - half, delta_users + half))
    assert result.items["rest"].points == 2.0 and result.items["rest"].method == "fixed"
    assert result.total.points == pytest.approx(2.0 + delta_users)
    assert (result.total.low, result.total.high) == pytest.approx(
        (2.0 + delta_users - half, 2.0 + delta_users + half)
    )
    assert result.total.verdict == "higher"  # 2.89 +- 1.15
    assert users.verdict == "no_clear_change"  # 0.89 +- 1.15
    assert result.note is None


def test_change_notes_items_scored_in_one_year_only() -> None:
    now = UnitYear("u", {"a": 5.0, "b": 3.0}, {})
    before = UnitYear("u", {"a": 4.0}, {})
    result = change(now, before, rng=1)
    assert set(result.items) == {"a"}
    assert result.total.points == 4.0
    assert result.note == "scored in one year only: b"
    with pytest.raises(ValueError, match="one unit"):
        change(now, UnitYear("v", {}, {}), rng=1)


# --- ranks --------------------------------------------------------------------------------------


def test_rank_intervals_from_the_simulation_match_hand_probabilities() -> None:
    # d: 90 for sure; a and f: 80 for sure (f as 79.9 + 0.1, a tie all the same);
    # b: 72.5 + points of an index ~ 80 + 10 T10 on a 0-100 line worth 10, i.e. 80.5 + T10
    # (the clamp at index 100 only cuts totals above 82.5). c: 70.
    # P(b > 80) = P(T10 > -0.5) = 0.686: then b is 2nd, a and f share 3rd, c is 5th;
    # otherwise a and f share 2nd and b is 4th. Every rank has probability far from 2.5%.
    line = LinearRule(low=0.0, low_points=0.0, high=100.0, high_points=10.0)
    units = [
        UnitYear("a", {"x": 80.0}, {}),
        UnitYear("b", {"x": 72.5}, {"s": SurveyTerm(estimate(80.0, 10.0, 10), line)}),
        UnitYear("c", {"x": 70.0}, {}),
        UnitYear("d", {"x": 90.0}, {}),
        UnitYear("f", {"x": 79.9, "y": 0.1}, {}),
    ]
    p_b_above = stats.t.sf(-0.5, 10)
    assert 0.05 < 1 - p_b_above < 0.95
    result = {r.unit: (r.rank, r.low, r.high) for r in ranks(units, rng=5, draws=DRAWS)}
    assert result == {
        "d": (1, 1, 1),
        "b": (2, 2, 4),
        "a": (3, 2, 3),
        "f": (3, 2, 3),
        "c": (5, 5, 5),
    }
    assert [r.unit for r in ranks(units, rng=5, draws=DRAWS)] == ["d", "b", "a", "f", "c"]


def test_ranks_are_reproducible_from_the_seed() -> None:
    line = LinearRule(low=0.0, low_points=0.0, high=100.0, high_points=10.0)
    units = [
        UnitYear(name, {"x": 70.0 + i}, {"s": SurveyTerm(estimate(80.0, 15.0, 8), line)})
        for i, name in enumerate("pqrstu")
    ]
    first = ranks(units, rng=123, draws=5000)
    assert ranks(units, rng=123, draws=5000) == first
    assert ranks(units, rng=np.random.default_rng(123), draws=5000) == first


# --- correlation --------------------------------------------------------------------------------


def test_correlated_items_add_their_covariance() -> None:
    # Two indicators answered by the same people, correlation 0.5.
    b1, b2 = 8 / 45 * 2.0, 3 / 40 * 3.0
    staff = LinearRule(low=50.0, low_points=0.0, high=90.0, high_points=3.0)
    year = UnitYear(
        unit="u",
        fixed={},
        survey={
            "overall": SurveyTerm(estimate(80.0, 2.0, 1000), USERS),
            "speed": SurveyTerm(estimate(70.0, 3.0, 400), staff),
        },
        correlation={("overall", "speed"): 0.5},
    )
    variance = b1**2 + b2**2 + 2 * 0.5 * b1 * b2
    result = score(year, rng=1)
    assert result.total.se == pytest.approx(math.sqrt(variance), rel=1e-12)
    assert result.total.df == 400  # the smaller df of the correlated terms, to err wide
    assert result.note is None
    simulated = score(year, rng=2, draws=DRAWS, method="simulation")
    assert simulated.total.se == pytest.approx(math.sqrt(variance), rel=0.03)
    independent = score(
        UnitYear("u", {}, dict(year.survey)), rng=2, draws=DRAWS, method="simulation"
    )
    assert independent.total.se == pytest.approx(math.sqrt(b1**2 + b2**2), rel=0.03)


# --- refusals and reproducibility ---------------------------------------------------------------


def test_same_seed_same_result_and_inputs_are_checked() -> None:
    year = one_item(78.0, SurveyTerm(estimate(84.0, 2.5, 20), STAKEHOLDERS))
    assert score(year, rng=9, draws=5000) == score(year, rng=9, draws=5000)
    with pytest.raises(TypeError, match="rng must be an int seed or a numpy Generator"):
        score(year, rng=0.5, draws=5000)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="draws must be a whole number of at least 1000"):
        score(year, rng=1, draws=10)
    with pytest.raises(ValueError, match="thresholds must fall strictly"):
        score(year, rng=1, grades=(("a", 60.0), ("b", 80.0), ("c", None)))
    with pytest.raises(ValueError, match="the last none"):
        score(year, rng=1, grades=(("a", 60.0), ("b", 50.0)))
    with pytest.raises(ValueError, match="has a suppressed estimate"):
        one_item(1.0, SurveyTerm(Estimate.suppressed(n=2), USERS))
    with pytest.raises(ValueError, match="both fixed and survey"):
        UnitYear("u", {"s": 1.0}, {"s": SurveyTerm(estimate(80.0, 2.0, 30), USERS)})
    with pytest.raises(ValueError, match="must pair two survey items"):
        UnitYear("u", {}, {"s": SurveyTerm(estimate(80.0, 2.0, 30), USERS)}, {("s", "t"): 0.3})
    three = {k: SurveyTerm(estimate(80.0, 2.0, 30), USERS) for k in "abc"}
    impossible = {("a", "b"): 0.9, ("a", "c"): 0.9, ("b", "c"): -0.9}
    with pytest.raises(ValueError, match="not a valid correlation matrix"):
        score(UnitYear("u", {}, three, impossible), rng=1)
    with pytest.raises(ValueError, match="each unit once"):
        ranks([UnitYear("u", {}, {}), UnitYear("u", {}, {})], rng=1)
