"""Collapsed strata: which group takes a lonely one, and the variance, computed by hand."""

from __future__ import annotations

import math

import pytest

from survey.stats import Stratum, stratified_mean, stratified_proportion
from survey.stats.collapse import collapse_plan

R_T = {"interval": "t", "variance": "design"}


def _s(*values: float, population: float | None = None) -> Stratum:
    return Stratum.from_values(values, population=population)


def test_without_order_a_lonely_group_joins_the_smallest_group() -> None:
    strata = {"a": _s(1, 2, 3), "lonely": _s(5), "b": _s(1, 2), "c": _s(4, 4, 4, 4)}
    assert collapse_plan(strata) == (("a",), ("b", "lonely"), ("c",))


def test_with_order_a_lonely_group_joins_its_neighbour() -> None:
    strata = {"a": _s(1, 2, 3), "lonely": _s(5), "b": _s(1, 2), "c": _s(4, 4, 4, 4)}
    # Nearest in the caller's order, whatever the sizes.
    assert collapse_plan(strata, ["lonely", "c", "a", "b"])[2] == ("c", "lonely")
    # Absent groups still count as positions: "x" sits between lonely and b.
    assert collapse_plan(strata, ["a", "x", "lonely", "x2", "x3", "b", "c"])[0] == ("a", "lonely")
    # At equal distance on both sides the one with fewer respondents (b: 2 < c: 4).
    assert ("b", "lonely") in collapse_plan(strata, ["a", "c", "lonely", "b"])


def test_census_and_lonely_groups_take_no_lonely_group() -> None:
    strata = {
        "census": _s(1, 2, population=2),
        "one": _s(5),
        "two": _s(6),
        "three": _s(7),
        "big": _s(1, 2, 3, 4),
    }
    plan = collapse_plan(strata)
    assert ("census",) in plan and ("big", "one", "two", "three") in plan


def test_lonely_groups_with_no_partner_are_paired_in_order() -> None:
    strata = {"a": _s(1), "b": _s(2), "c": _s(3), "census": _s(4, 5, population=2)}
    assert collapse_plan(strata, ["c", "b", "a", "census"]) == (
        ("census",),
        ("c", "b", "a"),
    )
    assert collapse_plan({"a": _s(1), "b": _s(2), "c": _s(3), "d": _s(4)}) == (
        ("a", "b"),
        ("c", "d"),
    )


def test_collapsed_variance_by_hand() -> None:
    """a = [100, 50] (W 0.5), b = [75] (lonely, W 0.25), c = [100, 75, 50] (W 0.25).

    Every group's mean is 75, so ybar = 75. Respondent weights w_i = W_h/n_h are
    0.25, 0.25 | 0.25 | 1/12 x 3, and z_i = w_i (y_i - ybar):
    a: +6.25, -6.25; b: 0; c: +25/12, 0, -25/12.
    b joins the smallest group with two or more respondents, a. The collapsed
    stratum {a, b} has n_g = 3, zbar = 0, sum (z - zbar)^2 = 2 * 6.25^2 = 78.125,
    v = 3/2 * 78.125 = 117.1875. Stratum c: 3/2 * 2 * (25/12)^2 = 13.0208333...
    (= W^2 s^2 / n = 0.0625 * 625 / 3). V = 130.2083333..., df = 6 - 2 = 4.
    """
    strata = {"a": _s(100, 50), "b": _s(75), "c": _s(100, 75, 50)}
    weights = {"a": 0.5, "b": 0.25, "c": 0.25}
    variance = 1.5 * 78.125 + 1.5 * 2 * (25 / 12) ** 2
    est = stratified_mean(strata, weights, **R_T)
    assert est.estimate == pytest.approx(75.0, rel=1e-15)
    assert est.se == pytest.approx(math.sqrt(variance), rel=1e-12)
    assert est.df == 4
    assert "lonely stratum 'b'" in (est.note or "") and "group 'a'" in (est.note or "")
    # Kish's floor for this cell is lower, so the published default keeps the same se:
    # weighted variance 416.67 * 6/5 = 500, sum W^2/n = 0.25/2 + 0.0625 + 0.0625/3.
    assert 500 * (0.125 + 0.0625 + 0.0625 / 3) < variance
    assert stratified_mean(strata, weights).se == pytest.approx(est.se, rel=1e-12)


def test_collapsed_variance_with_fpc_by_hand() -> None:
    """As above with N_a = 10, N_b = 5, N_c = 6: f_g = 3/15 for {a, b}, 3/6 for c."""
    strata = {
        "a": _s(100, 50, population=10),
        "b": _s(75, population=5),
        "c": _s(100, 75, 50, population=6),
    }
    weights = {"a": 0.5, "b": 0.25, "c": 0.25}
    variance = (1 - 3 / 15) * 1.5 * 78.125 + (1 - 3 / 6) * 1.5 * 2 * (25 / 12) ** 2
    est = stratified_mean(strata, weights, **R_T)
    assert est.se == pytest.approx(math.sqrt(variance), rel=1e-12)


def test_collapse_is_the_default_and_r_choices_remain() -> None:
    strata = {"a": _s(100, 50), "b": _s(75), "c": _s(100, 75, 50)}
    weights = {"a": 0.5, "b": 0.25, "c": 0.25}
    assert stratified_mean(strata, weights, **R_T) == stratified_mean(
        strata, weights, lonely="collapse", **R_T
    )
    adjust = stratified_mean(strata, weights, lonely="adjust", **R_T)
    # adjust: b's deviation from ybar is 0, so it adds nothing; a's own s^2 = 2 * 25^2 / 1,
    # so V = 0.5^2 * 1250 / 2 + 0.25^2 * 625 / 3; df = n - H = 3.
    assert adjust.se == pytest.approx(math.sqrt(0.25 * 1250 / 2 + 0.0625 * 625 / 3))
    assert adjust.df == 3
    with pytest.raises(ValueError, match="stratum 'b' has only one respondent"):
        stratified_mean(strata, weights, lonely="fail", **R_T)


def test_a_lonely_group_with_no_partner_falls_back_to_adjust() -> None:
    strata = {"alone": _s(40), "census": _s(100, 50, population=2)}
    est = stratified_mean(strata, {"alone": 1, "census": 1}, **R_T)
    # adjust: W^2 (y - ybar)^2 = 0.25 * (40 - 57.5)^2; the census adds nothing.
    assert est.se == pytest.approx(0.5 * 17.5, rel=1e-12)
    assert "no other sampled group to collapse with" in (est.note or "")


def test_collapse_in_proportions() -> None:
    strata = {
        "a": Stratum.from_counts(2, 1),
        "b": Stratum.from_counts(1, 1),
        "c": Stratum.from_counts(3, 2),
    }
    weights = {"a": 0.5, "b": 0.25, "c": 0.25}
    est = stratified_proportion(strata, weights, variance="design", method="korn-graubard")
    as_values = stratified_mean(
        {"a": _s(1, 0), "b": _s(1), "c": _s(1, 1, 0)}, weights, scale=None, **R_T
    )
    assert est.se == pytest.approx(as_values.se, rel=1e-12)
    assert est.df == as_values.df == 6 - 2
