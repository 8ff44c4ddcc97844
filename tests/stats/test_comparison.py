"""Year on year on the same groups: standardised weights, and the change of group mix said."""

from __future__ import annotations

import functools

import pytest

from survey.stats import Stratum, same_groups_change, stratified_mean, stratified_proportion


def _s(*values: float, population: float | None = None) -> Stratum:
    return Stratum.from_values(values, population=population)


def test_groups_present_in_one_period_only_are_left_out_and_said() -> None:
    """2024: deputies 87.5 and CPPCC members 75; 2025: deputies 91.67 and retirees 37.5.

    With weights renormalised over the groups present, 2024 reads (2*87.5 + 75)/3 =
    83.3 and 2025 (2*91.67 + 37.5)/3 = 73.6: a fall of 9.7 that is only a change of
    who answered. On the group present in both, deputies, the change is +4.17.
    """
    before = {"deputy": _s(100, 75, 75, 100), "cppcc": _s(50, 75, 100)}
    after = {"deputy": _s(100, 100, 75), "retiree": _s(25, 50)}
    weights = {"deputy": 2.0, "cppcc": 1.0, "retiree": 1.0}
    naive = stratified_mean(after, weights).estimate - stratified_mean(before, weights).estimate
    assert naive == pytest.approx((2 * 275 / 3 + 37.5) / 3 - (2 * 87.5 + 75) / 3)
    change = same_groups_change(before, after, weights)
    assert change.groups == ("deputy",) and change.weights == {"deputy": 1.0}
    assert change.only_before == ("cppcc",) and change.only_after == ("retiree",)
    assert change.change.estimate == pytest.approx(275 / 3 - 87.5)
    assert change.mix_changed
    assert "'cppcc' (earlier period only)" in (change.note or "")
    assert "'retiree' (later period only)" in (change.note or "")
    assert change.note is not None and change.note in (change.change.note or "")


def test_same_groups_use_one_set_of_weights() -> None:
    """Same groups, new sample sizes: change = sum W_h (after_h - before_h), W = 0.25, 0.75."""
    before = {"a": _s(100, 50), "b": _s(75, 75, 100)}
    after = {"a": _s(100, 100, 75, 50, 100), "b": _s(50, 75)}
    change = same_groups_change(before, after, {"a": 1.0, "b": 3.0})
    expected = 0.25 * (85 - 75) + 0.75 * (62.5 - 250 / 3)
    assert change.change.estimate == pytest.approx(expected, rel=1e-12)
    assert not change.mix_changed and change.note is None
    assert change.verdict in ("higher", "lower", "no_clear_change")
    assert change.before == stratified_mean(before, {"a": 0.25, "b": 0.75})


def test_population_shares_come_from_the_later_period() -> None:
    before = {"a": _s(100, 50, population=40), "b": _s(75, 75, population=60)}
    after = {"a": _s(100, 75, population=20), "b": _s(50, 75, population=80)}
    change = same_groups_change(before, after)
    assert change.weights == pytest.approx({"a": 0.2, "b": 0.8})
    # Each period keeps its own fpc: before's a is 2 of 40, after's a 2 of 20.
    assert change.before.estimate == pytest.approx(0.2 * 75 + 0.8 * 75)


def test_shares_and_other_estimators() -> None:
    before = {"a": Stratum.from_counts(20, 15), "b": Stratum.from_counts(30, 27)}
    after = {"a": Stratum.from_counts(25, 24), "c": Stratum.from_counts(10, 5)}
    share = functools.partial(stratified_proportion, method="korn-graubard")
    change = same_groups_change(before, after, {"a": 1, "b": 1, "c": 1}, estimator=share)
    assert change.change.estimate == pytest.approx(24 / 25 - 15 / 20)
    assert "Korn-Graubard" in change.after.method


def test_no_group_in_both_periods() -> None:
    change = same_groups_change({"a": _s(1, 2)}, {"b": _s(3, 4)}, {"a": 1, "b": 1})
    assert change.verdict == "not_available" and change.groups == ()
    assert change.change.estimate is None and change.change.reasons == ("no_common_groups",)


def test_missing_weight_is_named() -> None:
    with pytest.raises(ValueError, match="weights has no entry for groups 'b'"):
        same_groups_change({"a": _s(1, 2), "b": _s(3, 4)}, {"a": _s(1, 2), "b": _s(3, 4)}, {"a": 1})
