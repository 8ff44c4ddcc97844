"""Complementary suppression, on small tables worked by hand.

The rule (Hundepool et al. 2012, 4.2): withhold the cells below k, then, where
any is withheld, the smallest others until at least two cells holding at
least k respondents together are withheld, so that the total minus the shown
cells gives only a pooled figure of k or more.
"""

from __future__ import annotations

import pytest

from survey.stats import complementary_suppression


def test_nothing_small_nothing_withheld():
    assert complementary_suppression({"a": 5, "b": 9, "c": 30}, 5) == set()


def test_one_small_cell_takes_the_next_smallest_with_it():
    # deputies 2 beside service users 40 and the public 6: deputies + public = 8 >= 5
    assert complementary_suppression({"su": 40, "deputy": 2, "public": 6}, 5) == {
        "deputy",
        "public",
    }


def test_two_small_cells_that_do_not_reach_k_take_a_third():
    # 1 + 2 = 3 < 5: the smallest remaining (7) joins, 10 >= 5
    got = complementary_suppression({"a": 1, "b": 2, "c": 7, "d": 50}, 5)
    assert got == {"a", "b", "c"}


def test_two_small_cells_that_reach_k_are_enough():
    assert complementary_suppression({"a": 3, "b": 4, "c": 50}, 5) == {"a", "b"}


def test_with_only_two_cells_both_go():
    assert complementary_suppression({"qr": 20, "sms": 2}, 5) == {"qr", "sms"}


def test_a_cell_withheld_for_another_total_is_protected_here_too():
    # March was withheld for its quarter; within the year it must not be the only one.
    sizes = {"2025-01": 9, "2025-03": 12, "2025-07": 30}
    assert complementary_suppression(sizes, 5, withheld={"2025-03"}) == {"2025-01", "2025-03"}
    # a withheld cell not among these siblings is ignored
    assert complementary_suppression(sizes, 5, withheld={"2024-12"}) == set()


def test_ties_are_broken_in_the_order_given():
    assert complementary_suppression({"a": 1, "b": 8, "c": 8}, 5) == {"a", "b"}


def test_k_zero_withholds_nothing_and_negative_k_is_refused():
    assert complementary_suppression({"a": 1, "b": 2}, 0) == set()
    with pytest.raises(ValueError):
        complementary_suppression({"a": 1}, -1)
