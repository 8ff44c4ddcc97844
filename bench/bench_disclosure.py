"""Benchmark: disclosure control of one (unit, group) table, demo-size to province-size.

protect_table runs once per (unit, group) whenever its summaries change, so
its time per table is what matters. Tables, each over 36 months (three
calendar years, the cycle of the evaluation):

- demo service users: the demo's busiest unit, 220 cards at 3 points with QR,
  ticket and kiosk, and phone (about 170 non-empty atoms, nearly all of one
  person: most months, quarters, channels and points are small);
- demo stakeholders: deputies by link and SMS, 5 a year in the May-November
  round (every month and quarter small);
- province service users: 20 points with QR, ticket and kiosk, link, SMS and
  phone (about 2,000 non-empty atoms), large atoms and a few small ones;
- county service users: the same shape with every atom small (1-4 people,
  months of 60-200): the hardest case, where everything hinges on pooling;
- province, no small cell: the fast path.

Targets: the demo tables in milliseconds, the province table well under
100 ms. Printed, not asserted, with the machine's load average beside them
(on a shared machine the figures move with it). The matrices are small, so
BLAS runs on one thread (OPENBLAS_NUM_THREADS=1 unless set): several threads
only fight over the cores. Run: .venv/bin/python bench/bench_disclosure.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np  # noqa: E402

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


def respondents(rng: np.random.Generator, count: int, cells: list[tuple[str, int | None]],
                share: list[float], months: list[str]) -> Table:
    """``count`` cards, each in a random cell (by share) and month: the demo's own draw."""
    table: Table = {}
    for _ in range(count):
        channel, point = cells[rng.choice(len(cells), p=share)]
        atom = Atom(channel, point, months[rng.integers(len(months))])
        table[atom] = table.get(atom, 0) + 1
    return table


def demo_service_users(rng: np.random.Generator) -> Table:
    """The demo's busiest unit: 220 cards over the cycle, QR/ticket/kiosk at 3 points, phone."""
    cells: list[tuple[str, int | None]] = [
        (c, p) for c in ("qr", "ticket", "kiosk") for p in (1, 2, 3)]
    share = [0.45 / 3] * 3 + [0.2 / 3] * 6 + [0.15]
    return respondents(rng, 220, [*cells, ("phone", None)], share, MONTHS)


def demo_stakeholders(rng: np.random.Generator) -> Table:
    """Deputies of one unit: 5 a year by link or SMS, in the May-November round."""
    rounds = [m for m in MONTHS if 5 <= int(m[5:]) <= 11]
    table: Table = {}
    for year in ("2024", "2025", "2026"):
        table |= respondents(rng, 5, [("link", None), ("sms", None)], [0.5, 0.5],
                             [m for m in rounds if m.startswith(year)])
    return table


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
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    protect_table(demo_service_users(np.random.default_rng(99)))  # first-call costs (imports)
    print(f"{'table (k = 5, median over tables)':34s} {'atoms':>6s} {'nodes':>6s} "
          f"{'prim.':>6s} {'second':>6s} {'ms med':>9s} {'ms max':>9s}")
    measure("demo service users", demo_service_users, 20)
    measure("demo stakeholders (link, SMS)", demo_stakeholders, 20)
    measure("province service users", province, 10)
    measure("county service users, all small", county, 3)
    measure("province, no small cell", province_without_small_cells, 5)


if __name__ == "__main__":
    main()
