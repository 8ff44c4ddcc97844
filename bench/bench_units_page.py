"""Benchmark: a campaign of 1,000 units, its results page paged and sorted, on PostgreSQL.

Loads 1,000 units' responses (COPY, as bench_results.py does, into a fresh
database built by the real migrations) and fills the running monthly
summaries, signs an evaluator in, then requests /evaluate/campaign/<id>
through the app (WSGI, no network): the first page, a page sorted by the
index, the last page. Prints each page's server time (median of a few) and
its size in bytes (target: under 100 kB; before paging, 744 kB for every
unit on one page). Printed, not asserted.

One run on the shared, loaded 2-core machine (100,000 responses, 529,800
summary rows): every page 48.5-50.8 kB of HTML (7.4-7.9 kB gzipped), 50 units
each; server time 6.4-6.7 s a page, far above the 0.2 s target: the whole
campaign's 1,000 unit estimates (and their disclosure check) are worked out
for every page, since a sort ranks all units. Not solved here.

Run: .venv/bin/python bench/bench_units_page.py [--responses N] [--keep]
(BENCH_DATABASE_URL as in bench_results.py.)
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_results as data  # noqa: E402
from bench_results_page import timed  # noqa: E402

from survey import create_app  # noqa: E402
from survey.access.accounts import create_user  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Campaign  # noqa: E402

UNITS = 1000


def measure(app_url: str, instruments_dir: str, repeat: int) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app_url,
            "INSTRUMENTS_DIR": instruments_dir,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench-secret-0123",
        }
    )
    with app.app_context():
        create_user("bench-evaluator", "bench password", "evaluator")
        db.session.commit()
        campaign = db.session.execute(sa.select(Campaign)).scalar_one()
        client = app.test_client()
        client.post("/login", data={"username": "bench-evaluator", "password": "bench password"})
        base = f"/evaluate/campaign/{campaign.id}"
        for label, url in (
            ("first page, by unit", base),
            ("page 3, by index descending", base + "?sort=index&order=desc&page=3"),
            ("last page (20), by n", base + "?sort=n&order=asc&page=20"),
        ):
            times, body = timed(client, url, repeat)
            rows = body.count(b"<tr data-unit=")
            data.log(
                f"  {label}: {statistics.median(times) * 1000:.0f} ms server time (median of "
                f"{repeat}), {len(body) / 1000:.1f} kB HTML ({len(gzip.compress(body)) / 1000:.1f}"
                f" kB gzipped), {rows} units shown (target: under 100 kB)"
            )
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data.UNITS = UNITS  # the loader spreads responses over data.UNITS units
    scratch = data.scratch_database("survey_bench_units", args.keep)
    with scratch as (name, app_url, conninfo, folder):
        data.log(f"database {name}: {args.responses:,} responses over {UNITS:,} units")
        t0 = time.perf_counter()
        ids = data.setup(app_url, folder)
        data.load(conninfo, args.responses, *ids)
        data.rebuild_summaries(app_url, folder)
        data.log(f"  loaded in {time.perf_counter() - t0:.1f} s")
        measure(app_url, folder, args.repeat)


if __name__ == "__main__":
    main()
