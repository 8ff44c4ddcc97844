"""Benchmark: a campaign of 1,000 units, its results page paged and sorted, on PostgreSQL.

Loads 1,000 units' responses (binary COPY, as bench_results.py does, into a
fresh database built by the real migrations), fills the running monthly
summaries, and measures the pages as bench_results_page.py does: the first
page by unit, one year, the last page sorted by the index, a unit's page and
its PDF, each page's server time beside the 0.2 s target and its weight
beside 100 kB (before paging, one page of every unit was 744 kB).

Thin on purpose: the same measurement as bench_results_page.py with
``--units 1000``, and a smaller default load (1,000 units spread 200,000
responses thinner than 100 units spread a million: more, smaller tables for
disclosure control, which is what this run is about).

With ``--points N`` every unit gets N service points and its QR cards go to them, a
third by kiosk: the service users' tables then have several cells (two channels by N
points), which disclosure control cannot solve on the time tree alone (the loader's
own tables are one cell each: one channel per group, no point).

Run: .venv/bin/python bench/bench_units_page.py [--responses N] [--points N] [--keep]
(BENCH_DATABASE_URL as in bench_results.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_results_page  # noqa: E402

UNITS = 1000


if __name__ == "__main__":
    defaults = ["--units", str(UNITS), "--responses", "200000"]
    sys.argv[1:1] = defaults  # later arguments (given on the command line) win
    bench_results_page.main()
