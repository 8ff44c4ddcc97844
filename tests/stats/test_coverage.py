"""Seeded Monte Carlo: do 95% intervals cover, and does the standard flag what does not?

A smaller, deterministic version of bench/bench_coverage.py (which prints the
full table by method): small skewed groups of five-level answers, and the
published defaults, whose intervals the reliability standard marks reliable
must cover 93-97% (with the Monte Carlo error of a few thousand cells).
"""

from __future__ import annotations

import numpy as np
import pytest

from survey.stats import Stratum, stratified_mean, stratified_proportion

SCORES = np.array([100.0, 75.0, 50.0, 25.0, 0.0])
SATISFIED = SCORES >= 50
MOSTLY = np.array([0.45, 0.30, 0.15, 0.07, 0.03])
VERY = np.array([0.70, 0.20, 0.06, 0.03, 0.01])


def test_mean_interval_coverage_with_unequal_groups() -> None:
    """R's t interval on normal data with very unequal groups (no scale, design variance)."""
    rng = np.random.default_rng(20240601)
    mu = np.array([70.0, 55.0, 85.0])
    sigma = np.array([8.0, 20.0, 4.0])
    n = np.array([40, 8, 15])
    weights = {"a": 0.5, "b": 0.3, "c": 0.2}
    truth = float(np.dot([0.5, 0.3, 0.2], mu))
    surveys = 2000
    samples = [rng.normal(mu[i], sigma[i], size=(surveys, n[i])) for i in range(3)]
    means = [s.mean(axis=1) for s in samples]
    variances = [s.var(axis=1, ddof=1) for s in samples]
    covered = 0
    for j in range(surveys):
        strata = {
            h: Stratum(int(n[i]), float(means[i][j]), float(variances[i][j]))
            for i, h in enumerate("abc")
        }
        est = stratified_mean(
            strata, weights, df="satterthwaite", interval="t", scale=None, variance="design"
        )
        covered += est.low <= truth <= est.high
    assert 0.93 <= covered / surveys <= 0.97


def test_proportion_interval_coverage_korn_graubard() -> None:
    rng = np.random.default_rng(7)
    p = np.array([0.85, 0.6, 0.95])
    n = np.array([50, 12, 20])
    weights = {"a": 0.5, "b": 0.3, "c": 0.2}
    truth = float(np.dot([0.5, 0.3, 0.2], p))
    surveys = 2000
    successes = rng.binomial(n, p, size=(surveys, 3))
    covered = 0
    for j in range(surveys):
        strata = {
            h: Stratum.from_counts(int(n[i]), int(successes[j, i])) for i, h in enumerate("abc")
        }
        est = stratified_proportion(strata, weights, method="korn-graubard", variance="design")
        covered += est.low <= truth <= est.high
    # Korn-Graubard is designed to be conservative.
    assert 0.93 <= covered / surveys <= 0.99


def _cells(
    rng: np.random.Generator,
    sizes: tuple[int, ...],
    probabilities: np.ndarray,
    replicates: int,
) -> list[tuple[dict[str, Stratum], dict[str, Stratum]]]:
    """Index and share strata of ``replicates`` simulated cells (answers iid per group)."""
    draws = [rng.choice(5, size=(replicates, n), p=probabilities[h]) for h, n in enumerate(sizes)]
    out = []
    for r in range(replicates):
        scores, counts = {}, {}
        for h, answers in enumerate(draws):
            values = SCORES[answers[r]]
            variance = float(values.var(ddof=1)) if values.size > 1 else 0.0
            scores[f"g{h}"] = Stratum(values.size, float(values.mean()), variance)
            counts[f"g{h}"] = Stratum.from_counts(values.size, int(SATISFIED[answers[r]].sum()))
        out.append((scores, counts))
    return out


def test_published_defaults_cover_where_the_standard_says_reliable() -> None:
    """Twelve designs of 3-9 groups of 2-30, mostly or very satisfied, unequal policy weights."""
    rng = np.random.default_rng(20250101)
    tally = {"index": [0, 0, 0], "share": [0, 0, 0]}  # cells, reliable, reliable and covered
    for design in range(12):
        groups = (3, 5, 9)[design % 3]
        base = (MOSTLY, VERY)[design % 2]
        sizes = tuple(int(v) for v in rng.integers(2 if design < 6 else 10, 31, size=groups))
        probabilities = rng.dirichlet(60 * base, size=groups)
        w = rng.dirichlet(np.full(groups, 2.0))
        weights = {f"g{h}": float(w[h]) for h in range(groups)}
        truth_index = float(w @ (probabilities @ SCORES))
        truth_share = float(w @ (probabilities @ SATISFIED))
        for scores, counts in _cells(rng, sizes, probabilities, 250):
            for kind, est, truth in (
                ("index", stratified_mean(scores, weights), truth_index),
                ("share", stratified_proportion(counts, weights), truth_share),
            ):
                t = tally[kind]
                t[0] += 1
                if est.reliable:
                    t[1] += 1
                    t[2] += est.low <= truth <= est.high
    for kind, (cells, reliable, covered) in tally.items():
        assert reliable > cells / 3, kind  # the standard does not simply flag everything
        # 0.93-0.97, widened by two Monte Carlo standard errors of the reliable cells.
        slack = 2 * (0.95 * 0.05 / reliable) ** 0.5
        assert 0.93 - slack <= covered / reliable <= 0.97 + slack, (kind, covered / reliable)


def test_heavy_tiny_group_is_flagged_not_shown_as_precise() -> None:
    """Two respondents carry half the weight: R's interval covers about half the time.

    Whatever the two answer (alike or not), the weights' effective sample size
    (1 / sum W_h^2/n_h = 1/(0.25/2 + ...) < 8) flags every such cell.
    """
    rng = np.random.default_rng(3)
    sizes = (2, 20, 25, 30)
    weights = {"g0": 0.5, "g1": 0.2, "g2": 0.15, "g3": 0.15}
    probabilities = np.tile(VERY, (4, 1))
    truth = float(VERY @ SCORES)
    r_covered = flagged = alike = 0
    cells = _cells(rng, sizes, probabilities, 400)
    for scores, counts in cells:
        r = stratified_mean(scores, weights, interval="t", variance="design")
        r_covered += r.low <= truth <= r.high
        for est in (stratified_mean(scores, weights), stratified_proportion(counts, weights)):
            flagged += not est.reliable and "weight_concentrated" in est.reasons
        if scores["g0"].variance == 0:
            alike += 1
            est = stratified_mean(scores, weights)
            # Not shown as precise: the Kish floor keeps the interval honest too.
            assert est.high - est.low > 10
    assert r_covered / len(cells) < 0.6
    assert flagged == 2 * len(cells)
    assert alike > 100


def test_one_lonely_respondent_does_not_wreck_the_cell() -> None:
    """The issue's cell of 52: a group of one under "adjust" drags Satterthwaite's df to ~1.

    By hand for "adjust": the lonely term W^2 (y - ybar)^2 = 0.04 * 86^2 = 296 dwarfs the
    others (about 0.04 * 400 / 12 each), so df = (sum c)^2 / sum c^2/df_h is close to 1
    and the t quantile near 12. Collapsed, the lonely respondent joins the smallest group
    (10 respondents) and the design df is n - G = 52 - 4 = 48.
    """
    rng = np.random.default_rng(11)
    values = {
        "lonely": [0.0],
        "a": list(rng.choice(SCORES, size=12, p=MOSTLY)),
        "b": list(rng.choice(SCORES, size=15, p=MOSTLY)),
        "c": list(rng.choice(SCORES, size=10, p=MOSTLY)),
        "d": list(rng.choice(SCORES, size=14, p=MOSTLY)),
    }
    strata = {h: Stratum.from_values(v) for h, v in values.items()}
    weights = dict.fromkeys(strata, 1.0)
    before = stratified_mean(
        strata, weights, df="satterthwaite", lonely="adjust", interval="t", variance="design"
    )
    assert before.df < 1.5 and before.high > 100
    est = stratified_mean(strata, weights)
    assert est.df == 52 - 4
    assert 0 <= est.low < est.estimate < est.high <= 100
    assert est.high - est.low < before.high - before.low
    assert "variance estimated together with group 'c' (collapsed strata)" in (est.note or "")
    # One person carries a fifth of the weight: shown, but not as reliable.
    assert not est.reliable and "weight_concentrated" in est.reasons


@pytest.mark.parametrize("kind", ["index", "share"])
def test_reliable_figures_have_what_the_standard_asks(kind: str) -> None:
    """Every reliable figure of a random batch meets each rule of the standard on its own."""
    rng = np.random.default_rng(5)
    for scores, counts in _cells(rng, (8, 30, 25, 40, 3), np.tile(MOSTLY, (5, 1)), 200):
        weights = {"g0": 0.1, "g1": 0.3, "g2": 0.2, "g3": 0.3, "g4": 0.1}
        est = (
            stratified_mean(scores, weights)
            if kind == "index"
            else stratified_proportion(counts, weights)
        )
        if not est.reliable:
            assert est.reasons and "not reliable" in (est.note or "")
            continue
        assert est.n_effective >= 30 and est.n_effective_weights >= 30 and est.df >= 8
        if kind == "index":
            assert est.high - est.low < 30 and est.se / est.estimate <= 0.30
