"""Benchmark: every unit-by-indicator estimate of a campaign, from in-memory summaries.

100 units x 9 groups x 8 indicators: the dashboard's heaviest page computes a
stratified mean with its interval for each (unit, indicator) cell, and a share
satisfied with a Korn-Graubard interval. Target: well under 0.5 s for the means.
Printed, not asserted. Run: .venv/bin/python bench/bench_stats.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey.stats import Stratum, stratified_mean, stratified_proportion  # noqa: E402

GROUPS = [
    "deputy", "cppcc", "retiree", "expert", "supervisor", "party", "staff", "service_user",
    "public",
]
UNITS, INDICATORS = 100, 8


Cells = dict[str, tuple[int, float, float, int]]


def make_summaries(seed: int = 1) -> dict[tuple[int, int], Cells]:
    """(unit, indicator) -> group -> (n, sum, sum of squares, satisfied count), as SQL gives."""
    rng = np.random.default_rng(seed)
    out: dict[tuple[int, int], Cells] = {}
    for unit in range(UNITS):
        for indicator in range(INDICATORS):
            cells = {}
            for group in GROUPS:
                n = int(rng.integers(1, 60))
                scores = rng.choice([0.0, 25.0, 50.0, 75.0, 100.0], size=n,
                                    p=[0.05, 0.05, 0.2, 0.4, 0.3])
                cells[group] = (n, float(scores.sum()), float(np.dot(scores, scores)),
                                int((scores >= 75).sum()))
            out[unit, indicator] = cells
    return out


def main() -> None:
    summaries = make_summaries()
    population = {g: 500.0 + 100 * i for i, g in enumerate(GROUPS)}
    weights = {g: 1.0 + (i % 3) for i, g in enumerate(GROUPS)}

    start = time.perf_counter()
    means = {}
    for key, cells in summaries.items():
        strata = {
            g: Stratum.from_sums(n, s, ss, population[g]) for g, (n, s, ss, _) in cells.items()
        }
        means[key] = stratified_mean(strata, weights)
    mean_time = time.perf_counter() - start

    start = time.perf_counter()
    shares = {}
    for key, cells in summaries.items():
        strata = {
            g: Stratum.from_counts(n, x, population[g]) for g, (n, _, _, x) in cells.items()
        }
        shares[key] = stratified_proportion(strata, weights, method="korn-graubard")
    share_time = time.perf_counter() - start

    cells = len(summaries)
    print(f"{UNITS} units x {len(GROUPS)} groups x {INDICATORS} indicators = {cells} estimates")
    print(f"stratified means with t intervals:        {mean_time:.3f} s "
          f"({mean_time / cells * 1e6:.0f} us each; target < 0.5 s)")
    print(f"shares satisfied, Korn-Graubard intervals: {share_time:.3f} s "
          f"({share_time / cells * 1e6:.0f} us each)")
    example = means[0, 0]
    print(f"example: {example.estimate:.2f} [{example.low:.2f}, {example.high:.2f}] "
          f"df={example.df:.1f} n={example.n} note={example.note}")


if __name__ == "__main__":
    main()
