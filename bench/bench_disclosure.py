"""Benchmark: disclosure control of one (unit, group) table, demo-size to province-size.

protect_table runs once per (unit, group) whenever its summaries change, so
its time per table is what matters. Tables, each over 36 months (three
calendar years, the cycle of the evaluation):

- demo service users: 3 points with QR, ticket and kiosk, phone, 1-3 people
  an atom (about 200 non-empty atoms, many small cells);
- demo stakeholders: deputies by link and SMS, a handful a year (almost every
  month and quarter small);
- province service users: 20 points with QR, ticket and kiosk, link, SMS and
  phone (about 2,000 non-empty atoms), large atoms and a few small ones;
- county service users: the same shape with every atom small (1-4 people,
  months of 60-200): the hardest case, where everything hinges on pooling;
- province, no small cell: the fast path.

Targets: the demo tables in milliseconds, the province table well under
100 ms. Printed, not asserted. Run: .venv/bin/python bench/bench_disclosure.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey.stats.disclosure import Atom, protect_table  # noqa: E402

MONTHS = [f"{year}-{month:02d}" for year in (2024, 2025, 2026) for month in range(1, 13)]
Table = dict[Atom, int]


def service_users(rng: np.random.Generator, points: int, draw: Callable[[], int],
                  sparsity: float = 0.0) -> Table:
    """Atoms of QR, ticket and kiosk at each point, and link, SMS and phone without one."""
    cells: list[tuple[str, int | None]] = [
        (c, p) for p in range(1, points + 1) for c in ("qr", "ticket", "kiosk")]
    cells += [("link", None), ("sms", None), ("phone", None)]
    return {Atom(c, p, m): draw() for c, p in cells for m in MONTHS if rng.random() >= sparsity}


def demo_service_users(rng: np.random.Generator) -> Table:
    return service_users(rng, 3, lambda: int(rng.choice([0, 1, 1, 2, 2, 3])), sparsity=0.1)


def demo_stakeholders(rng: np.random.Generator) -> Table:
    return {Atom(c, None, m): int(rng.choice([0, 0, 0, 1, 1, 2])) for c in ("link", "sms")
            for m in MONTHS}


def province(rng: np.random.Generator) -> Table:
    def draw() -> int:
        return int(rng.integers(1, 5)) if rng.random() < 0.02 else int(rng.integers(8, 60))

    return service_users(rng, 20, draw, sparsity=0.15)


def county(rng: np.random.Generator) -> Table:
    return service_users(rng, 20, lambda: int(rng.integers(1, 5)), sparsity=0.15)


def province_without_small_cells(rng: np.random.Generator) -> Table:
    return service_users(rng, 20, lambda: int(rng.integers(8, 60)), sparsity=0.15)


def measure(name: str, make: Callable[[np.random.Generator], Table], tables: int) -> None:
    times, atoms, primary, secondary, nodes = [], [], [], [], []
    for seed in range(tables):
        table = make(np.random.default_rng(seed))
        start = time.perf_counter()
        result = protect_table(table, k=5)
        times.append(time.perf_counter() - start)
        atoms.append(sum(1 for n in table.values() if n))
        primary.append(len(result.primary))
        secondary.append(len(result.secondary))
        nodes.append(len(result.published) + len(result.withheld))
    print(f"{name:34s} {statistics.median(atoms):6.0f} {statistics.median(nodes):6.0f} "
          f"{statistics.median(primary):6.0f} {statistics.median(secondary):6.0f} "
          f"{1000 * statistics.median(times):9.1f} {1000 * max(times):9.1f}")


def main() -> None:
    print(f"{'table (k = 5, median over tables)':34s} {'atoms':>6s} {'nodes':>6s} "
          f"{'prim.':>6s} {'second':>6s} {'ms med':>9s} {'ms max':>9s}")
    measure("demo service users", demo_service_users, 20)
    measure("demo stakeholders (link, SMS)", demo_stakeholders, 20)
    measure("province service users", province, 10)
    measure("county service users, all small", county, 3)
    measure("province, no small cell", province_without_small_cells, 5)


if __name__ == "__main__":
    main()
