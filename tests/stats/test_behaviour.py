"""Input validation, edge cases, differences and suppression."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from survey.stats import (
    Estimate,
    Stratum,
    difference,
    stratified_mean,
    stratified_proportion,
    stratum_weights,
    verdict,
)

A = Stratum.from_values([3, 4, 5, 4], population=40)
B = Stratum.from_values([1, 2, 2], population=10)


# --- Stratum --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Stratum(0, 1.0, 0.0), ValueError, "n must be at least 1, got n=0"),
        (lambda: Stratum(-2, 1.0, 0.0), ValueError, "n must be at least 1"),
        (lambda: Stratum(2.5, 1.0, 0.0), TypeError, "n must be an integer"),
        (lambda: Stratum(True, 1.0, 0.0), TypeError, "n must be an integer"),
        (
            lambda: Stratum(5, 1.0, 1.0, population=3),
            ValueError,
            r"population N_h=3 is smaller than its sample n_h=5",
        ),
        (lambda: Stratum(3, 1.0, -1.0), ValueError, "variance must be finite and >= 0"),
        (lambda: Stratum(1, 1.0, 2.0), ValueError, "variance must be 0"),
        (lambda: Stratum(3, math.nan, 1.0), ValueError, "mean must be finite"),
        (lambda: Stratum.from_values([]), ValueError, "values must not be empty"),
        (lambda: Stratum.from_counts(5, 6), ValueError, "successes must be between 0 and n=5"),
        (lambda: Stratum.from_counts(0, 0), ValueError, "n must be at least 1"),
        (lambda: Stratum.from_sums(3, 6.0, 1.0), ValueError, "not the sums"),
        (lambda: Stratum.from_sums(0, 0.0, 0.0), ValueError, "n must be at least 1"),
    ],
)
def test_stratum_rejects_bad_input(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_stratum_constructors_agree() -> None:
    values = [1, 0, 1, 1, 0, 1, 1]
    a = Stratum.from_values(values, population=70)
    b = Stratum.from_counts(7, 5, population=70)
    c = Stratum.from_sums(7, 5, 5, population=70)
    for s in (b, c):
        assert s.n == a.n and s.population == a.population
        assert s.mean == pytest.approx(a.mean, rel=1e-15)
        assert s.variance == pytest.approx(a.variance, rel=1e-14)
    assert a.sampling_fraction == pytest.approx(0.1)
    assert Stratum(4, 1.0, 0.5).sampling_fraction == 0.0
    assert Stratum(4, 1.0, 0.5, population=math.inf).population is None
    assert Stratum(1, 3.0, math.nan).variance == 0.0


def test_from_sums_clamps_rounding_negatives_for_constant_values() -> None:
    x = 0.1
    s = Stratum.from_sums(3, x + x + x, x * x * 3)
    assert s.variance == 0.0


# --- weights --------------------------------------------------------------------------


def test_weights_renormalised_over_strata_present() -> None:
    w = stratum_weights({"a": A, "b": B}, {"a": 3, "b": 1, "absent": 100})
    assert w == pytest.approx({"a": 0.75, "b": 0.25})
    assert stratum_weights({"a": A, "b": B}) == pytest.approx({"a": 0.8, "b": 0.2})


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"a": 1.0}, "weights has no entry for strata 'b'"),
        ({"a": 1.0, "b": -1.0}, r"weights\['b'\]=-1.0 is not allowed"),
        ({"a": 1.0, "b": math.nan}, r"weights\['b'\]"),
        ({"a": 0.0, "b": 0.0}, "all zero"),
    ],
)
def test_bad_weights(weights, message) -> None:
    with pytest.raises(ValueError, match=message):
        stratified_mean({"a": A, "b": B}, weights)


def test_population_shares_need_every_population() -> None:
    with pytest.raises(ValueError, match="strata 'c' have no population"):
        stratified_mean({"a": A, "c": Stratum.from_values([1, 2])})


def test_empty_and_wrong_types() -> None:
    with pytest.raises(ValueError, match="at least one stratum"):
        stratified_mean({})
    with pytest.raises(TypeError, match=r"strata\['a'\] must be a Stratum"):
        stratified_mean({"a": (3, 1.0, 0.5)}, {"a": 1})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": 1.0}, "level must be strictly between 0 and 1"),
        ({"level": 0}, "level must be strictly between 0 and 1"),
        ({"df": "kenward"}, "df must be one of"),
        ({"lonely": "ignore"}, "lonely must be one of"),
        ({"interval": "normal"}, "interval must be one of"),
        ({"variance": "robust"}, "variance must be one of"),
        ({"scale": (100, 0)}, r"scale must be finite with low < high"),
        ({"scale": "0-100"}, r"scale must be a pair"),
        ({"scale": None}, r"interval='logit' needs the score's scale"),
        ({"scale": (0, 3)}, r"strata\['a'\] has mean 4.0, outside scale"),
        ({"order": ["a"]}, "order has no place for strata 'b'"),
        ({"order": "ab"}, "order must be a sequence of group names"),
    ],
)
def test_bad_options(kwargs, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        stratified_mean({"a": A, "b": B}, **kwargs)


def test_zero_weight_stratum_is_left_out() -> None:
    with_zero = stratified_mean({"a": A, "b": B}, {"a": 1, "b": 0})
    alone = stratified_mean({"a": A}, {"a": 1})
    assert with_zero == alone


# --- lonely strata --------------------------------------------------------------------


def test_lonely_census_stratum_is_not_lonely() -> None:
    single = Stratum(1, 10.0, 0.0, population=1)
    for lonely in ("fail", "collapse"):
        est = stratified_mean({"a": A, "s": single}, {"a": 1, "s": 1}, lonely=lonely)
        assert "one respondent" not in (est.note or "")


def test_lonely_average_needs_a_stratum_with_variance() -> None:
    singles = {"a": Stratum(1, 1.0, 0.0), "b": Stratum(1, 2.0, 0.0)}
    r = {"variance": "design", "interval": "t"}
    with pytest.raises(ValueError, match="every stratum is lonely"):
        stratified_mean(singles, {"a": 1, "b": 1}, lonely="average", **r)
    est = stratified_mean(singles, {"a": 1, "b": 1}, lonely="adjust", **r)
    assert est.df == 1 and "design df n-H=0" in (est.note or "")
    assert est.se == pytest.approx(math.sqrt(0.125))  # sqrt(2 * (0.5 * 0.5)^2)
    # Collapsed (two lonely strata paired, Wolter's one-unit-per-stratum case): with
    # Y_h = W_h y_h = 0.5, 1.0 and their mean 0.75, v = L/(L-1) sum (Y_h - mean)^2
    # = 2 * (0.25^2 + 0.25^2) = 0.25; one collapsed stratum of 2, so df = 2 - 1.
    pair = stratified_mean(singles, {"a": 1, "b": 1}, lonely="collapse", **r)
    assert pair.se == pytest.approx(0.5, rel=1e-12) and pair.df == 1
    assert "collapsed strata" in (pair.note or "")


# --- proportions ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["korn-graubard", "logit", "wilson"])
def test_proportion_of_one_is_exact_clopper_pearson_as_nchs(method) -> None:
    """At p = 1 the exact two-sided Clopper-Pearson bound x = n: ((1-level)/2)^(1/n)."""
    strata = {"a": Stratum.from_counts(12, 12), "b": Stratum.from_counts(8, 8)}
    est = stratified_proportion(strata, {"a": 1, "b": 1}, method=method)
    assert est.estimate == 1.0 and est.high == 1.0 and est.se == 0.0
    assert est.low == pytest.approx(0.025 ** (1 / 20))
    # scipy's beta quantile gives the same Clopper-Pearson bound independently.
    assert est.low == pytest.approx(sps.beta.ppf(0.025, 20, 1), rel=1e-12)
    assert "exact two-sided Clopper-Pearson" in (est.note or "")
    assert "boundary" in est.cautions and est.n_effective == 20
    zero = stratified_proportion({"a": Stratum.from_counts(10, 0)}, {"a": 1}, method=method)
    assert zero.low == 0.0 and zero.high == pytest.approx(1 - 0.025 ** (1 / 10))


def test_proportion_with_constant_strata_uses_actual_n() -> None:
    strata = {"yes": Stratum.from_counts(10, 10), "no": Stratum.from_counts(10, 0)}
    est = stratified_proportion(strata, {"yes": 1, "no": 1}, method="wilson", variance="design")
    assert est.estimate == pytest.approx(0.5)
    assert 0 < est.low < 0.5 < est.high < 1
    assert "effective n taken as n=20" in (est.note or "")


def test_kish_floor_gives_constant_groups_the_variance_their_weights_imply() -> None:
    """Two groups of 10, one all yes and one all no: their own variances are 0.

    By hand: p = 0.5; the weighted variance of the 20 answers (R's svyvar) is
    0.25 * 20/19; sum W_h^2/n_h = 2 * 0.25/10 = 0.05; so V = 0.25 * 20/19 * 0.05.
    """
    strata = {"yes": Stratum.from_counts(10, 10), "no": Stratum.from_counts(10, 0)}
    est = stratified_proportion(strata, {"yes": 1, "no": 1})
    assert est.se == pytest.approx(math.sqrt(0.25 * 20 / 19 * 0.05), rel=1e-12)
    assert "from the weights (Kish)" in (est.note or "")


def test_proportion_rejects_non_binary_means() -> None:
    with pytest.raises(ValueError, match="outside"):
        stratified_proportion({"a": A}, {"a": 1})
    with pytest.raises(ValueError, match="method must be one of"):
        stratified_proportion({"a": Stratum.from_counts(5, 2)}, {"a": 1}, method="exact")


def test_wilson_one_srs_group_is_textbook_wilson_with_t() -> None:
    """One group, no fpc: V = p(1-p)/(n-1), so n* = n-1 in the Wilson formula."""
    n, x = 40, 13
    est = stratified_proportion({"g": Stratum.from_counts(n, x)}, {"g": 1}, method="wilson")
    p, m = x / n, n - 1
    t = sps.t.ppf(0.975, n - 1)
    centre = (p + t * t / (2 * m)) / (1 + t * t / m)
    half = t / (1 + t * t / m) * math.sqrt(p * (1 - p) / m + t * t / (4 * m * m))
    assert est.low == pytest.approx(centre - half, rel=1e-12)
    assert est.high == pytest.approx(centre + half, rel=1e-12)


# --- difference, verdict, suppression -------------------------------------------------


def _est(value: float, se: float, df: float, level: float = 0.95) -> Estimate:
    return Estimate(value, se, df, value - 1, value + 1, level, 30, "test")


def test_difference_of_independent_estimates() -> None:
    a, b = _est(80.0, 2.0, 20), _est(74.0, 1.5, 40)
    d = difference(a, b)
    va, vb = 4.0, 2.25
    dof = (va + vb) ** 2 / (va**2 / 20 + vb**2 / 40)
    half = sps.t.ppf(0.975, dof) * math.sqrt(va + vb)
    assert d.estimate == 6.0 and d.se == pytest.approx(2.5)
    assert d.df == pytest.approx(dof)
    assert (d.low, d.high) == pytest.approx((6 - half, 6 + half))
    assert verdict(d) == "higher"
    assert verdict(difference(b, a)) == "lower"
    assert verdict(difference(a, _est(79.0, 2.0, 20))) == "no_clear_change"


def test_difference_levels_and_zero_variance() -> None:
    with pytest.raises(ValueError, match="pass level= explicitly"):
        difference(_est(1, 1, 5, 0.9), _est(1, 1, 5, 0.95))
    d = difference(_est(1, 1, 5, 0.9), _est(1, 1, 5, 0.95), level=0.8)
    assert d.level == 0.8
    flat = difference(_est(3, 0, 5), _est(1, 0, 7))
    assert flat.df == 12 and flat.low == flat.high == 2


def test_suppression() -> None:
    s = Estimate.suppressed(n=3, k=5, method="stratified mean")
    assert s.is_suppressed and s.note == "suppressed: n below 5"
    assert s.estimate is None and s.low is None and s.variance is None
    live = stratified_mean({"a": A}, {"a": 1})
    assert live.suppress_below(5).is_suppressed  # n=4
    assert live.suppress_below(4) is live
    d = difference(s, live)
    assert d.is_suppressed and verdict(d) == "not_available"
    with pytest.raises(ValueError, match="level must be strictly between"):
        Estimate.suppressed(n=1, level=1.5)


def test_mean_reports_design_effect_and_notes_zero_variance() -> None:
    est = stratified_mean({"a": A, "b": B})
    assert est.deff is not None and est.n_effective == pytest.approx(est.n / est.deff)
    flat = stratified_mean(
        {"a": Stratum(3, 2.0, 0.0), "b": Stratum(2, 5.0, 0.0)},
        {"a": 1, "b": 1},
        variance="design",
        interval="t",
    )
    assert flat.se == 0 and flat.df == 3 and "zero variance" in (flat.note or "")
    assert flat.low == flat.high == flat.estimate
