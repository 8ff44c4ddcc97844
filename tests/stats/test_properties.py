"""Properties that must hold for any data (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from survey.stats import Stratum, stratified_mean, stratified_proportion

values_st = st.lists(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=25,
)


@st.composite
def strata_st(draw: st.DrawFn, min_size: int = 1, max_size: int = 5) -> dict[str, Stratum]:
    k = draw(st.integers(min_size, max_size))
    out = {}
    for i in range(k):
        values = draw(values_st)
        extra = draw(st.one_of(st.none(), st.integers(0, 500)))
        population = None if extra is None else len(values) + extra
        out[f"g{i}"] = Stratum.from_values(values, population=population)
    return out


weights_st = st.floats(min_value=0.01, max_value=100)
SETTINGS = settings(max_examples=60, deadline=None)
# Values of any sign and size: R's t interval on the design variance, no scale.
GENERIC = {"interval": "t", "scale": None, "variance": "design"}


@SETTINGS
@given(strata=strata_st(), scale=st.floats(min_value=1e-3, max_value=1e3), data=st.data())
def test_scaling_all_weights_changes_nothing(strata, scale, data) -> None:
    weights = {h: data.draw(weights_st) for h in strata}
    a = stratified_mean(strata, weights, **GENERIC)
    b = stratified_mean(strata, {h: w * scale for h, w in weights.items()}, **GENERIC)
    for field in ("estimate", "se", "df", "low", "high"):
        assert getattr(b, field) == pytest.approx(getattr(a, field), rel=1e-9, abs=1e-9)


@SETTINGS
@given(values=values_st, extra=st.one_of(st.none(), st.integers(0, 1000)))
def test_one_stratum_is_the_simple_mean(values, extra) -> None:
    n = len(values)
    population = None if extra is None else n + extra
    s = Stratum.from_values(values, population=population)
    est = stratified_mean({"only": s}, {"only": 1.0}, df="design", **GENERIC)
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    f = 0.0 if population is None else n / population
    assert est.estimate == pytest.approx(mean, rel=1e-12, abs=1e-9)
    assert est.se == pytest.approx(sd / math.sqrt(n) * math.sqrt(1 - f), rel=1e-9, abs=1e-9)
    assert est.df == n - 1


@SETTINGS
@given(strata=strata_st(min_size=2), data=st.data())
def test_census_stratum_contributes_no_variance(strata, data) -> None:
    weights = {h: data.draw(weights_st) for h in strata}
    h = data.draw(st.sampled_from(sorted(strata)))
    s = strata[h]
    census = dict(strata, **{h: Stratum(s.n, s.mean, s.variance, population=s.n)})
    constant = dict(strata, **{h: Stratum(s.n, s.mean, 0.0)})
    a = stratified_mean(census, weights, **GENERIC)
    b = stratified_mean(constant, weights, **GENERIC)
    assert a.se == pytest.approx(b.se, rel=1e-9, abs=1e-12)
    assert a.estimate == b.estimate


@SETTINGS
@given(
    strata=strata_st(),
    levels=st.lists(st.floats(0.5, 0.999), min_size=2, max_size=2, unique=True),
    df=st.sampled_from(["satterthwaite", "design", "pooled"]),
)
def test_interval_contains_estimate_and_narrows_with_level(strata, levels, df) -> None:
    lo_level, hi_level = sorted(levels)
    equal = {h: 1.0 for h in strata}
    narrow = stratified_mean(strata, equal, level=lo_level, df=df, **GENERIC)
    wide = stratified_mean(strata, equal, level=hi_level, df=df, **GENERIC)
    for est in (narrow, wide):
        assert est.low <= est.estimate <= est.high
    assert narrow.high - narrow.low <= wide.high - wide.low + 1e-12


@st.composite
def count_strata_st(draw: st.DrawFn) -> dict[str, Stratum]:
    k = draw(st.integers(1, 4))
    out = {}
    for i in range(k):
        n = draw(st.integers(1, 60))
        x = draw(st.integers(0, n))
        extra = draw(st.one_of(st.none(), st.integers(0, 300)))
        out[f"g{i}"] = Stratum.from_counts(n, x, population=None if extra is None else n + extra)
    return out


@settings(max_examples=150, deadline=None)
@given(
    strata=count_strata_st(),
    method=st.sampled_from(["korn-graubard", "logit", "wilson"]),
    level=st.floats(0.5, 0.999),
    df=st.sampled_from(["satterthwaite", "design", "pooled"]),
    lonely=st.sampled_from(["collapse", "remove", "certainty", "adjust", "average"]),
    variance=st.sampled_from(["kish-floor", "design"]),
    data=st.data(),
)
def test_proportion_interval_within_unit_interval(
    strata, method, level, df, lonely, variance, data
):
    if lonely == "average" and all(s.n == 1 for s in strata.values()):
        lonely = "adjust"
    weights = {h: data.draw(weights_st) for h in strata}
    est = stratified_proportion(
        strata, weights, method=method, level=level, df=df, lonely=lonely, variance=variance
    )
    assert 0.0 <= est.low <= est.estimate <= est.high <= 1.0
    assert math.isfinite(est.low) and math.isfinite(est.high)
    assert est.low < est.high


@SETTINGS
@given(
    n=st.integers(2, 500),
    total=st.floats(-1e4, 1e4),
    offset=st.sampled_from([0.0, 1e6, -1e6, 1e9]),
)
def test_from_sums_agrees_with_from_values(n, total, offset) -> None:
    values = [offset + total / n + (i % 3) for i in range(n)]
    a = Stratum.from_values(values)
    b = Stratum.from_sums(n, math.fsum(values), math.fsum(v * v for v in values))
    assert b.mean == pytest.approx(a.mean, rel=1e-12)
    # Sums of squares lose digits at a large offset; the variance is still close.
    scale = max(1.0, abs(offset)) ** 2 * 1e-14
    assert b.variance == pytest.approx(a.variance, rel=1e-6, abs=scale)
    assert b.variance >= 0


# --- the published index (defaults: logit interval on 0-100, Kish floor, collapse) ---------

SCORES = st.sampled_from([0.0, 25.0, 50.0, 75.0, 100.0])


@st.composite
def score_strata_st(draw: st.DrawFn) -> dict[str, Stratum]:
    out = {}
    for i in range(draw(st.integers(1, 6))):
        values = draw(st.lists(SCORES, min_size=1, max_size=30))
        extra = draw(st.one_of(st.none(), st.integers(0, 200)))
        population = None if extra is None else len(values) + extra
        out[f"g{i}"] = Stratum.from_values(values, population=population)
    return out


@settings(max_examples=200, deadline=None)
@given(
    strata=score_strata_st(),
    interval=st.sampled_from(["logit", "beta"]),
    df=st.sampled_from(["satterthwaite", "design", "pooled"]),
    data=st.data(),
)
def test_index_interval_stays_on_the_scale(strata, interval, df, data) -> None:
    weights = {h: data.draw(weights_st) for h in strata}
    est = stratified_mean(strata, weights, interval=interval, df=df)
    assert 0.0 <= est.low <= est.estimate <= est.high <= 100.0
    assert math.isfinite(est.low) and math.isfinite(est.high)
    assert est.reliable == (not est.reasons)


@SETTINGS
@given(strata=score_strata_st(), scale=st.floats(min_value=1e-3, max_value=1e3), data=st.data())
def test_published_index_ignores_the_scale_of_the_weights(strata, scale, data) -> None:
    weights = {h: data.draw(weights_st) for h in strata}
    a = stratified_mean(strata, weights)
    b = stratified_mean(strata, {h: w * scale for h, w in weights.items()})
    for field in ("estimate", "se", "df", "low", "high", "n_effective_weights"):
        assert getattr(b, field) == pytest.approx(getattr(a, field), rel=1e-9, abs=1e-9)
    assert (a.reliable, a.reasons) == (b.reliable, b.reasons)


def test_equal_means_have_no_variance_whatever_the_weights() -> None:
    """Rounding in W_h must not turn "every answer is 25" into a tiny variance (found by
    hypothesis: the fallback interval for a zero variance then applied to one weighting
    and not to the same weights scaled)."""
    strata = {"a": Stratum(1, 25.0, 0.0), "b": Stratum(3, 25.0, 0.0), "c": Stratum(1, 25.0, 0.0)}
    for weights in ({"a": 0.1, "b": 0.7, "c": 0.2}, {"a": 1 / 3, "b": 1 / 7, "c": 0.3}):
        est = stratified_mean(strata, weights)
        assert est.estimate == 25.0 and est.se == 0.0
        assert est == stratified_mean(strata, {h: 652.18 * w for h, w in weights.items()})


@SETTINGS
@given(
    values=st.lists(st.lists(SCORES, min_size=1, max_size=12), min_size=2, max_size=4),
    per_unit=st.floats(min_value=0.1, max_value=10),
)
def test_collapsing_groups_of_equal_unit_weight_is_one_stratum(values, per_unit) -> None:
    """Groups whose respondents all weigh the same, collapsed, are one stratum of all of them.

    Only the first group is lonely (one respondent); with W_h proportional to
    n_h every respondent weighs the same, so the collapsed stratum's variance
    is the one-stratum formula W_g^2 s_g^2 / n_g on the pooled values: an
    independent path through the R-checked code.
    """
    values = [values[0][:1], *values[1:]]
    assume(all(len(v) >= 2 for v in values[1:]))
    strata = {f"g{i}": Stratum.from_values(v) for i, v in enumerate(values)}
    weights = {f"g{i}": per_unit * len(v) for i, v in enumerate(values)}
    smallest = min(range(1, len(values)), key=lambda i: (len(values[i]), i))
    joined = values[0] + values[smallest]
    merged = {f"g{i}": strata[f"g{i}"] for i in range(1, len(values)) if i != smallest}
    merged["joined"] = Stratum.from_values(joined)
    merged_weights = {h: per_unit * merged[h].n for h in merged}
    collapsed = stratified_mean(strata, weights, lonely="collapse", **GENERIC)
    direct = stratified_mean(merged, merged_weights, **GENERIC)
    assert collapsed.estimate == pytest.approx(direct.estimate, rel=1e-12, abs=1e-9)
    assert collapsed.se == pytest.approx(direct.se, rel=1e-9, abs=1e-9)
    assert collapsed.df == direct.df
