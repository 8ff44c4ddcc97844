"""AAPOR rates against a worked example whose rates are worked out by hand."""

from __future__ import annotations

import pytest

from survey.stats.aapor import DispositionCounts, estimate_e, response_rates

# 1,100 sampled cases: 400 completes, 50 partials, 200 refusals and break-offs,
# 150 non-contacts, 50 other, 100 + 50 of unknown eligibility, 100 not eligible.
EXAMPLE = DispositionCounts(I=400, P=50, R=200, NC=150, O=50, UH=100, UO=50, NE=100)


def test_worked_example():
    rates = response_rates(EXAMPLE, e=0.5)
    # Denominator with all unknowns: 450 + 400 + 150 = 1000.
    assert rates.rr1 == pytest.approx(400 / 1000)
    assert rates.rr2 == pytest.approx(450 / 1000)
    # RR3 and RR4 (Standard Definitions): the same denominator with e = 0.5,
    # (I+P) + (R+NC+O) + e(UH+UO) = 450 + 400 + 0.5 * 150 = 925;
    # RR3 counts completes only, I = 400: 400 / 925 = 0.43243...;
    # RR4 counts partials too, I+P = 450: 450 / 925 = 0.48648...
    assert rates.rr3 == pytest.approx(400 / 925)
    assert rates.rr3 == pytest.approx(0.4324324324)
    assert rates.rr4 == pytest.approx(450 / 925)
    assert rates.rr4 == pytest.approx(0.4864864865)
    # COOP1: I / (I + P + R + O) = 400 / 700.
    assert rates.coop1 == pytest.approx(400 / 700)
    assert rates.ref1 == pytest.approx(200 / 1000)
    # CON1: (450 + 200 + 50) / (700 + 150 + 150) = 700 / 1000.
    assert rates.con1 == pytest.approx(700 / 1000)
    assert rates.e == 0.5


def test_e_estimated_from_known_eligibility():
    # Eligible known: 850; known in all: 850 + 100 NE = 950.
    assert estimate_e(EXAMPLE) == pytest.approx(850 / 950)
    rates = response_rates(EXAMPLE)
    # Denominator: 850 + 150 * 850 / 950 = 850 + 134.2105... = 984.2105...
    # RR3 = 400 / 984.2105... = 0.40641...; RR4 = 450 / 984.2105... = 0.45721...
    assert rates.rr3 == pytest.approx(400 / (850 + 150 * 850 / 950))
    assert rates.rr3 == pytest.approx(0.4064171123)
    assert rates.rr4 == pytest.approx(450 / (850 + 150 * 850 / 950))
    assert rates.rr4 == pytest.approx(0.4572192513)


def test_rr3_and_rr4_between_all_unknowns_eligible_and_none():
    # e = 1 counts every unknown as eligible: RR3 is RR1 (400 / 1000), RR4 is RR2 (450 / 1000).
    everyone = response_rates(EXAMPLE, e=1.0)
    assert everyone.rr3 == pytest.approx(400 / 1000) == everyone.rr1
    assert everyone.rr4 == pytest.approx(450 / 1000) == everyone.rr2
    # e = 0 counts none of them: 400 / 850 and 450 / 850.
    nobody = response_rates(EXAMPLE, e=0.0)
    assert nobody.rr3 == pytest.approx(400 / 850)
    assert nobody.rr4 == pytest.approx(450 / 850)


def test_no_cases_gives_no_rates():
    rates = response_rates(DispositionCounts())
    assert (rates.rr1, rates.rr2, rates.rr3, rates.rr4) == (None,) * 4
    assert (rates.coop1, rates.ref1, rates.con1) == (None,) * 3
    assert rates.e == 1.0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="NC"):
        DispositionCounts(NC=-1)
    with pytest.raises(ValueError, match="e must be"):
        response_rates(EXAMPLE, e=1.5)


def test_counts_add():
    assert (EXAMPLE + EXAMPLE).I == 800 and (EXAMPLE + EXAMPLE).total == 2200
