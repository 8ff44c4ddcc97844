"""Seeded Monte Carlo: do 95% intervals cover the true stratified mean ~95% of the time?"""

from __future__ import annotations

import numpy as np

from survey.stats import Stratum, stratified_mean, stratified_proportion


def test_mean_interval_coverage_with_unequal_groups() -> None:
    rng = np.random.default_rng(20240601)
    # Very unequal groups: sizes, spreads and policy weights all differ.
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
        est = stratified_mean(strata, weights)
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
        est = stratified_proportion(strata, weights)
        covered += est.low <= truth <= est.high
    # Korn-Graubard is designed to be conservative.
    assert 0.93 <= covered / surveys <= 0.99
