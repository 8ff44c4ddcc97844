"""The reliability standard: each NCHS rule at its edges, and figures assessed end to end.

The NCHS rules (Parker et al. 2017, as NCHS's own SAS macro and R package
surveytable implement them) are restated in each test; the expected values are
computed here from the formulas (scipy's beta quantiles for Clopper-Pearson),
not from the code under test.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from scipy import stats as sps

from survey.stats import (
    CAUTIONS,
    REASONS,
    Estimate,
    Stratum,
    difference,
    stratified_mean,
    stratified_proportion,
)
from survey.stats.reliability import Sample, assess_index, assess_mean, assess_proportion

GOOD = Sample(n=200, n_effective=150.0, n_effective_weights=120.0, df=150.0, df_weights=60.0)


def _p(p: float, low: float, high: float, **kw: float) -> tuple[bool, tuple[str, ...], tuple]:
    sample = dataclasses.replace(GOOD, **kw)
    r = assess_proportion(p=p, low=low, high=high, sample=sample)
    return r.reliable, r.reasons, r.cautions


def test_effective_sample_size_at_least_30_and_never_above_n() -> None:
    assert _p(0.5, 0.45, 0.55, n_effective=29.9) == (False, ("n_effective",), ())
    assert _p(0.5, 0.45, 0.55, n_effective=30.0)[0]
    # NCHS: min(n_eff, n) < 30 -- a large n_eff on 25 respondents does not count.
    assert _p(0.5, 0.45, 0.55, n=25, n_effective=100.0)[1][0] == "n_effective"


def test_absolute_width_below_030() -> None:
    # The macro suppresses CIW >= 30 (percentage points).
    assert _p(0.5, 0.35, 0.65)[1] == ("ci_width",)
    assert _p(0.5, 0.351, 0.649)[0]


def test_relative_width_only_between_005_and_030() -> None:
    # width 0.05 or less: shown whatever its relative width (0.05 / 0.01 = 500%).
    assert _p(0.01, 0.0, 0.05)[0]
    # width 0.06 > 0.05 and 0.06 / 0.04 = 150% > 130%: not reliable.
    assert _p(0.04, 0.01, 0.07)[1] == ("relative_ci_width",)
    # width 0.06 and 0.06 / 0.05 = 120%: reliable.
    assert _p(0.05, 0.02, 0.08)[0]


def test_degrees_of_freedom_at_least_8() -> None:
    assert _p(0.5, 0.45, 0.55, df=7.9)[1] == ("df",)
    assert _p(0.5, 0.45, 0.55, df=8.0)[0]


def test_boundary_and_complement_cautions() -> None:
    # p = 0: the relative width is undefined and not applied (the macro leaves it missing).
    assert _p(0.0, 0.0, 0.1) == (True, (), ("boundary",))
    assert _p(1.0, 0.9, 1.0) == (True, (), ("boundary",))
    # p = 0.9 with width 0.17: 0.17 / (1 - 0.9) = 170% > 130%, so the complement is flagged.
    assert _p(0.9, 0.8, 0.97) == (True, (), ("complement",))
    # Only for figures that are shown (the macro's fn_complement needs "present").
    assert _p(0.9, 0.8, 0.97, df=5.0) == (False, ("df",), ())


def test_concentrated_weights_fail_whatever_the_variance_says() -> None:
    assert _p(0.5, 0.45, 0.55, n_effective_weights=7.7)[1] == ("weight_concentrated",)
    assert _p(0.5, 0.45, 0.55, df_weights=1.2)[1] == ("weight_concentrated",)


@pytest.mark.parametrize(
    ("n", "x", "reliable", "reasons", "cautions"),
    [
        (40, 30, True, (), ()),
        (60, 54, True, (), ("complement",)),
        (60, 6, False, ("relative_ci_width",), ()),
        (40, 20, False, ("ci_width",), ()),
        (29, 20, False, ("n_effective", "weight_concentrated", "ci_width"), ()),
    ],
)
def test_share_of_one_simple_random_sample_by_hand(n, x, reliable, reasons, cautions) -> None:
    """One group, no fpc: V = p(1-p)/(n-1), so NCHS's n_eff = p(1-p)/V = n - 1.

    The Korn-Graubard interval on n_eff (df = n - 1, so no df adjustment) is
    Clopper-Pearson: [Beta^-1(0.025; n_eff p, n_eff (1-p) + 1),
    Beta^-1(0.975; n_eff p + 1, n_eff (1-p))]. For 40/30 its width is 0.289
    (< 0.30, 0.289/0.75 = 39%, complement 0.289/0.25 = 116%); for 54/60 it is
    0.169 (complement 169%); for 6/60, 0.169/0.1 = 169% > 130%; for 20/40, 0.328.
    29 respondents: n_eff = 28 < 30, the weights' effective size 29 < 30, width 0.36.
    """
    p, m = x / n, n - 1
    low = sps.beta.ppf(0.025, m * p, m * (1 - p) + 1)
    high = sps.beta.ppf(0.975, m * p + 1, m * (1 - p))
    est = stratified_proportion({"g": Stratum.from_counts(n, x)}, {"g": 1})
    assert est.n_effective == pytest.approx(m, rel=1e-12)
    assert est.n_effective_weights == n
    width = high - low
    assert (width >= 0.30) == ("ci_width" in reasons)
    assert (est.reliable, est.reasons, est.cautions) == (reliable, reasons, cautions)
    kg = stratified_proportion({"g": Stratum.from_counts(n, x)}, {"g": 1}, method="korn-graubard")
    assert (kg.low, kg.high) == pytest.approx((low, high), rel=1e-10)


def test_share_judged_on_korn_graubard_whatever_is_shown() -> None:
    strata = {"a": Stratum.from_counts(30, 24), "b": Stratum.from_counts(25, 21)}
    shown = {
        m: stratified_proportion(strata, {"a": 2, "b": 1}, method=m)
        for m in ("wilson", "logit", "korn-graubard")
    }
    assert len({(e.low, e.high) for e in shown.values()}) == 3
    assert len({(e.reliable, e.reasons, e.cautions) for e in shown.values()}) == 1


def _index(estimate: float, se: float, low: float, high: float) -> tuple:
    r = assess_index(estimate=estimate, se=se, low=low, high=high, sample=GOOD, scale=(0.0, 100.0))
    return r.reliable, r.reasons, r.cautions


def test_index_rules() -> None:
    assert _index(80.0, 4.0, 72.0, 87.0) == (True, (), ())
    assert _index(60.0, 8.0, 44.0, 74.0)[1] == ("ci_width",)  # 30 points
    # RSE of the index: 3.1 / 10 = 31% > 30% (binds only for low indices).
    assert _index(10.0, 3.1, 5.0, 17.0)[1] == ("rse",)
    # Near the top: 1.6 / (100 - 95) = 32% > 30%: the distance from 100 is imprecise.
    assert _index(95.0, 1.6, 91.0, 97.5) == (True, (), ("complement",))
    assert _index(100.0, 0.0, 91.0, 100.0)[2] == ("boundary",)


def test_mean_without_scale_uses_its_own_rse() -> None:
    assert assess_mean(estimate=50.0, se=15.0, sample=GOOD).reliable
    assert assess_mean(estimate=50.0, se=15.1, sample=GOOD).reasons == ("rse",)
    assert assess_mean(estimate=0.0, se=1.0, sample=GOOD).reasons == ("rse",)


def test_index_of_a_reliable_cell_end_to_end() -> None:
    """Three groups of 40, 35 and 30, equal weights, no fpc: every rule by hand."""
    values = {
        "a": [100.0] * 20 + [75.0] * 12 + [50.0] * 6 + [25.0] * 2,
        "b": [100.0] * 15 + [75.0] * 12 + [50.0] * 6 + [0.0] * 2,
        "c": [100.0] * 12 + [75.0] * 12 + [50.0] * 6,
    }
    strata = {h: Stratum.from_values(v) for h, v in values.items()}
    est = stratified_mean(strata, dict.fromkeys(strata, 1.0))
    # Weights' effective sample size: 1 / sum (1/3)^2 / n_h.
    kish = 1 / sum((1 / 3) ** 2 / len(v) for v in values.values())
    assert est.n_effective_weights == pytest.approx(kish, rel=1e-12)
    assert kish > 30 and est.df == 105 - 3
    assert (est.reliable, est.reasons, est.cautions) == (True, (), ())
    assert "not reliable" not in (est.note or "")
    assert 0 < est.low < est.estimate < est.high < 100
    # logit interval by hand: logit(u) +/- t se_u / (u (1 - u)), u = index / 100.
    u, se_u = est.estimate / 100, est.se / 100
    t = sps.t.ppf(0.975, est.df)
    centre, half = math.log(u / (1 - u)), t * se_u / (u * (1 - u))
    expected = [100 / (1 + math.exp(-(centre + s * half))) for s in (-1, 1)]
    assert [est.low, est.high] == pytest.approx(expected, rel=1e-12)


def test_every_code_has_text_and_hand_built_estimates_are_not_assessed() -> None:
    assert Estimate(1.0, 0.1, 10.0, 0.8, 1.2, 0.95, 20, "x").reasons == ("not_assessed",)
    suppressed = Estimate.suppressed(n=3)
    assert (suppressed.reliable, suppressed.reasons) == (False, ("suppressed",))
    assert {"suppressed", "not_assessed", "n_effective", "weight_concentrated", "df"} <= set(
        REASONS
    )
    assert set(CAUTIONS) == {"complement", "boundary"}


def test_difference_is_reliable_only_between_reliable_figures() -> None:
    def est(value: float, reliable: bool) -> Estimate:
        return Estimate(
            value, 1.0, 50.0, value - 2, value + 2, 0.95, 100, "x", reliable=reliable, reasons=()
        )

    assert difference(est(80, True), est(75, True)).reliable
    mixed = difference(est(80, True), est(75, False))
    assert (mixed.reliable, mixed.reasons) == (False, ("input_unreliable",))
    assert "not reliable" in (mixed.note or "")
