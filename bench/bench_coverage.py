"""Benchmark: do published 95% intervals cover, and does the reliability standard flag the rest?

A seeded Monte Carlo over small, skewed respondent groups as campaigns have
them: 3, 5 or 9 groups of 2-10, 2-30 or 10-30 respondents, five-level answers
scored 100/75/50/25/0 that are mostly satisfied (three answer profiles, each
group's own probabilities drawn around the profile), unequal policy weights
or population shares, with and without a finite population (sampling without
replacement and the fpc). Special cells: a group of 2 carrying half the
weight, a lonely group of 1 in a cell of 52, two lonely groups.

For each method it prints coverage of the true index (or share satisfied)
over all cells, the share of cells the standard flags unreliable, the
coverage among the cells it calls reliable (over all grid cells, then with
and without a finite population and its fpc), and the worst scenario among
those. Printed, not asserted (tests/stats/test_coverage.py asserts a smaller
version). Run: .venv/bin/python bench/bench_coverage.py [replicates]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey.stats import Estimate, Stratum, stratified_mean, stratified_proportion  # noqa: E402

SCORES = np.array([100.0, 75.0, 50.0, 25.0, 0.0])
SATISFIED = SCORES >= 50  # "basically satisfied" or better (the instruments' satisfied_at = 50)
PROFILES = {
    "mostly satisfied": (0.45, 0.30, 0.15, 0.07, 0.03),
    "very satisfied": (0.70, 0.20, 0.06, 0.03, 0.01),
    "nearly all satisfied": (0.85, 0.10, 0.03, 0.01, 0.01),
}
SIZE_BANDS = ((2, 10), (2, 30), (10, 30))
WEIGHTINGS = ("policy, no fpc", "policy, fpc", "population, fpc")
LEVEL = 0.95

R = {"variance": "design"}
INDEX_METHODS: dict[str, dict[str, Any]] = {
    "t, design df (R: confint(svymean, df=degf))": {"interval": "t", **R},
    "t, Satterthwaite df, adjust (published before)": {
        "interval": "t",
        "df": "satterthwaite",
        "lonely": "adjust",
        **R,
    },
    "t, Satterthwaite df": {"interval": "t", "df": "satterthwaite", **R},
    "logit, design df": {"interval": "logit", **R},
    "beta, design df": {"interval": "beta", **R},
    "t, design df, Kish floor": {"interval": "t"},
    "beta, design df, Kish floor": {"interval": "beta"},
    "logit, Satterthwaite df, Kish floor": {"df": "satterthwaite"},
    "logit, pooled df, Kish floor": {"df": "pooled"},
    "logit, design df, Kish floor (default)": {},
    "logit, design df, Kish floor, adjust": {"lonely": "adjust"},
}
SHARE_METHODS: dict[str, dict[str, Any]] = {
    "Korn-Graubard, design df (R: svyciprop beta)": {"method": "korn-graubard", **R},
    "logit, design df (R: svyciprop default)": {"method": "logit", **R},
    "Wilson, design df": {"method": "wilson", **R},
    "Korn-Graubard, Satterthwaite, adjust (before)": {
        "method": "korn-graubard",
        "df": "satterthwaite",
        "lonely": "adjust",
        **R,
    },
    "Korn-Graubard, Satterthwaite df": {"method": "korn-graubard", "df": "satterthwaite", **R},
    "Korn-Graubard, design df, Kish floor": {"method": "korn-graubard"},
    "logit, design df, Kish floor": {"method": "logit"},
    "Wilson, Satterthwaite df, Kish floor": {"method": "wilson", "df": "satterthwaite"},
    "Wilson, design df, Kish floor (default)": {},
    "Wilson, design df, Kish floor, adjust": {"lonely": "adjust"},
}
SPECIAL_METHODS = (
    "t, design df (R: confint(svymean, df=degf))",
    "t, Satterthwaite df, adjust (published before)",
    "logit, design df, Kish floor (default)",
    "logit, design df, Kish floor, adjust",
    "Korn-Graubard, design df (R: svyciprop beta)",
    "Korn-Graubard, Satterthwaite, adjust (before)",
    "Wilson, design df, Kish floor (default)",
    "Wilson, design df, Kish floor, adjust",
)


@dataclass
class Scenario:
    """One cell design: group sizes, weights, answer probabilities and (optionally) populations."""

    name: str
    sizes: tuple[int, ...]
    weights: tuple[float, ...]
    probabilities: NDArray[np.float64]  # groups x 5
    populations: tuple[int, ...] | None = None
    special: bool = False


@dataclass
class Tally:
    """Counts for one method over many cells."""

    cells: int = 0
    covered: int = 0
    reliable: int = 0
    reliable_covered: int = 0
    width: float = 0.0
    # cells, covered, reliable, reliable and covered, sum of widths
    by_scenario: dict[str, list[float]] = field(default_factory=dict)

    def add(self, scenario: str, est: Estimate, truth: float, *, total: bool = True) -> None:
        """Count one cell for ``scenario`` (and in the totals unless ``total`` is False)."""
        assert est.low is not None and est.high is not None
        hit = est.low <= truth <= est.high
        if total:
            self.cells += 1
            self.covered += hit
            self.width += est.high - est.low
            if est.reliable:
                self.reliable += 1
                self.reliable_covered += hit
        counts = self.by_scenario.setdefault(scenario, [0, 0, 0, 0, 0.0])
        counts[0] += 1
        counts[1] += hit
        counts[4] += est.high - est.low
        if est.reliable:
            counts[2] += 1
            counts[3] += hit


def scenarios(seed: int = 20240601) -> Iterator[Scenario]:
    """The grid (fixed by the seed), then the special cells."""
    rng = np.random.default_rng(seed)
    for groups in (3, 5, 9):
        for low, high in SIZE_BANDS:
            for profile, base in PROFILES.items():
                for weighting in WEIGHTINGS:
                    sizes = tuple(int(v) for v in rng.integers(low, high + 1, size=groups))
                    probs = rng.dirichlet(60 * np.array(base), size=groups)
                    populations = None
                    if "fpc" in weighting and "no fpc" not in weighting:
                        fractions = rng.uniform(0.1, 0.6, size=groups)
                        populations = tuple(
                            int(np.ceil(n / f)) for n, f in zip(sizes, fractions, strict=True)
                        )
                    if weighting.startswith("population"):
                        assert populations is not None
                        weights = tuple(float(p) for p in populations)
                    else:
                        weights = tuple(float(v) for v in rng.dirichlet(np.full(groups, 2.0)))
                    name = f"{groups} groups of {low}-{high}, {profile}, {weighting}"
                    yield Scenario(name, sizes, weights, probs, populations)
    very = np.array(PROFILES["very satisfied"])
    yield Scenario(
        "heavy tiny group: 2 respondents carry half the weight",
        (2, 20, 25, 30),
        (0.5, 0.2, 0.15, 0.15),
        np.tile(very, (4, 1)),
        special=True,
    )
    mostly = np.array(PROFILES["mostly satisfied"])
    yield Scenario(
        "lonely group of 1 in a cell of 52",
        (1, 12, 15, 10, 14),
        (1.0, 1.0, 1.0, 1.0, 1.0),
        rng.dirichlet(60 * mostly, size=5),
        special=True,
    )
    yield Scenario(
        "lonely group of 1 with 3% of the weight, cell of 91",
        (1, 30, 30, 30),
        (0.03, 0.33, 0.33, 0.31),
        rng.dirichlet(60 * mostly, size=4),
        special=True,
    )
    yield Scenario(
        "two lonely groups among 9",
        (1, 8, 14, 1, 20, 6, 25, 9, 12),
        tuple(float(v) for v in rng.dirichlet(np.full(9, 2.0))),
        rng.dirichlet(60 * mostly, size=9),
        special=True,
    )


def _draws(scenario: Scenario, rng: np.random.Generator, reps: int) -> list[NDArray[np.intp]]:
    """Answer categories per group: reps x n_h, iid or without replacement from a population."""
    out = []
    for h, n in enumerate(scenario.sizes):
        p = scenario.probabilities[h]
        if scenario.populations is None:
            out.append(rng.choice(5, size=(reps, n), p=p))
        else:
            population = rng.choice(5, size=scenario.populations[h], p=p)
            keys = rng.random((reps, population.size))
            out.append(population[np.argsort(keys, axis=1)[:, :n]])
            scenario.probabilities[h] = np.bincount(population, minlength=5) / population.size
    return out


def _truths(scenario: Scenario) -> tuple[float, float]:
    w = np.array(scenario.weights) / sum(scenario.weights)
    index = float(w @ (scenario.probabilities @ SCORES))
    share = float(w @ (scenario.probabilities @ SATISFIED))
    return index, share


def _strata(
    scenario: Scenario, draws: list[NDArray[np.intp]], r: int
) -> tuple[dict[str, Stratum], dict[str, Stratum]]:
    scores, counts = {}, {}
    for h, answers in enumerate(draws):
        row = answers[r]
        population = None if scenario.populations is None else scenario.populations[h]
        values = SCORES[row]
        n = values.size
        mean = float(values.mean())
        variance = float(values.var(ddof=1)) if n > 1 else 0.0
        scores[f"g{h}"] = Stratum(n, mean, variance, population)
        counts[f"g{h}"] = Stratum.from_counts(n, int(SATISFIED[row].sum()), population)
    return scores, counts


ALIKE = "heavy tiny group, its 2 answered alike"


def run(reps: int) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """Simulate every scenario; returns the tallies of the index and the share methods."""
    rng = np.random.default_rng(7)
    index_tallies = {m: Tally() for m in INDEX_METHODS}
    share_tallies = {m: Tally() for m in SHARE_METHODS}
    for scenario in scenarios():
        draws = _draws(scenario, rng, reps)
        truth_index, truth_share = _truths(scenario)
        weights = {f"g{h}": w for h, w in enumerate(scenario.weights)}
        order = list(weights)
        heavy = scenario.special and scenario.sizes[0] == 2
        for r in range(reps):
            scores, counts = _strata(scenario, draws, r)
            alike = heavy and len(set(draws[0][r])) == 1
            for m, options in INDEX_METHODS.items():
                est = stratified_mean(scores, weights, order=order, **options)
                index_tallies[m].add(scenario.name, est, truth_index)
                if alike:
                    index_tallies[m].add(ALIKE, est, truth_index, total=False)
            for m, options in SHARE_METHODS.items():
                est = stratified_proportion(counts, weights, order=order, **options)
                share_tallies[m].add(scenario.name, est, truth_share)
                if alike:
                    share_tallies[m].add(ALIKE, est, truth_share, total=False)
    return index_tallies, share_tallies


SPECIAL = ("heavy", "lonely", "two lonely")


def _grid_rates(t: Tally, minimum: int) -> list[tuple[float, str]]:
    """Coverage among reliable cells per grid scenario with at least ``minimum`` of them."""
    return sorted(
        (c[3] / c[2], name)
        for name, c in t.by_scenario.items()
        if c[2] >= minimum and not name.startswith(SPECIAL)
    )


def _reliable_cover(t: Tally, fpc: bool) -> float:
    """Coverage among reliable cells of the grid scenarios with (or without) a finite population."""
    cells = covered = 0.0
    for name, c in t.by_scenario.items():
        if name.startswith(SPECIAL) or ("no fpc" not in name) != fpc:
            continue
        cells += c[2]
        covered += c[3]
    return covered / cells if cells else float("nan")


def _table(title: str, tallies: dict[str, Tally], scale: float, minimum: int) -> None:
    print(f"\n{title}")
    print(
        f"{'method':48s} {'cover':>6s} {'width':>6s} {'flagged':>8s} {'cover|reliable':>14s} "
        f"{'fpc':>6s} {'no fpc':>6s} {'<0.93':>6s} {'<0.90':>6s}  "
        "worst grid scenario among reliable cells"
    )
    for name, t in tallies.items():
        reliable = t.reliable_covered / t.reliable if t.reliable else float("nan")
        rates = _grid_rates(t, minimum)
        worst = f"{rates[0][0]:.3f} ({rates[0][1]})" if rates else "-"
        print(
            f"{name:48s} {t.covered / t.cells:6.3f} {scale * t.width / t.cells:6.1f} "
            f"{1 - t.reliable / t.cells:8.3f} {reliable:14.3f} "
            f"{_reliable_cover(t, True):6.3f} {_reliable_cover(t, False):6.3f} "
            f"{sum(r < 0.93 for r, _ in rates):6d} {sum(r < 0.90 for r, _ in rates):6d}  {worst}"
        )


def _special(kind: str, tallies: dict[str, Tally], scale: float) -> None:
    for method in SPECIAL_METHODS:
        if method not in tallies:
            continue
        for name, c in tallies[method].by_scenario.items():
            if name.startswith(SPECIAL):
                print(
                    f"  {kind:6s} {method:48s} {name:52s} cover {c[1] / c[0]:.3f}, "
                    f"width {scale * c[4] / c[0]:5.1f}, flagged {1 - c[2] / c[0]:.3f}"
                )


def main(argv: list[str]) -> None:
    reps = int(argv[1]) if len(argv) > 1 else 400
    start = time.perf_counter()
    index, share = run(reps)
    elapsed = time.perf_counter() - start
    cells = next(iter(index.values())).cells
    special = sum(1 for s in scenarios() if s.special)
    grid = sum(1 for _ in scenarios()) - special
    print(
        f"{cells} simulated cells: {grid} grid scenarios and {special} special cells, {reps} each "
        f"({elapsed:.0f} s). cover: share of 95% intervals holding the truth; width: mean; "
        "flagged: share the standard marks unreliable; <0.93, <0.90: grid scenarios (with "
        f"at least {reps // 4} reliable cells) whose reliable cells cover less"
    )
    minimum = reps // 4
    _table("Index (0-100), nominal 95%: width in points", index, 1.0, minimum)
    _table("Share satisfied, nominal 95%: width in percentage points", share, 100.0, minimum)
    print("\nSpecial cells (whatever the standard says of them)")
    _special("index", index, 1.0)
    _special("share", share, 100.0)


if __name__ == "__main__":
    main(sys.argv)
