"""Benchmark: the evaluator's results page for 100 units over 1,000,000 responses on PostgreSQL.

Loads the same data as bench_results.py (COPY into a fresh database built by
the real migrations), signs an evaluator in, then requests
/evaluate/campaign/<id> through the app (WSGI, no network) several times and
prints the server time (target under 1 s) and the page weight (HTML bytes,
gzip bytes; the page loads no script and only the app's own stylesheet).
Also the unit page and the per-unit report's PDF, for reference.

Run: .venv/bin/python bench/bench_results_page.py [--responses N] [--keep]
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

from survey import create_app  # noqa: E402
from survey.access.accounts import create_user  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Campaign  # noqa: E402


def timed(client, url: str, repeat: int = 5) -> tuple[list[float], bytes]:  # type: ignore[no-untyped-def]
    times, body = [], b""
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
        body = response.data
    return times, body


def measure(app_url: str, instruments_dir: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": app_url, "INSTRUMENTS_DIR": instruments_dir,
                      "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench-secret-0123"})
    with app.app_context():
        create_user("bench-evaluator", "bench password", "evaluator")
        db.session.commit()
        campaign = db.session.execute(sa.select(Campaign)).scalar_one()
        unit_id = campaign.units[0].id
        client = app.test_client()
        client.post("/login", data={"username": "bench-evaluator", "password": "bench password"})
        for label, url, target in (
            ("results page (100 units)", f"/evaluate/campaign/{campaign.id}", " (target < 1 s)"),
            ("results page, one year", f"/evaluate/campaign/{campaign.id}?period=2025", ""),
            ("unit page (all breakdowns)", f"/evaluate/campaign/{campaign.id}/unit/{unit_id}", ""),
            ("per-unit report PDF", f"/evaluate/campaign/{campaign.id}/unit/{unit_id}/report.pdf",
             ""),
        ):
            times, body = timed(client, url)
            data.log(
                f"{label}: server time median {statistics.median(times):.2f} s, "
                f"first {times[0]:.2f} s{target}; {len(body):,} bytes, "
                f"{len(gzip.compress(body)):,} gzipped"
            )
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with data.scratch_database("survey_bench_page", args.keep) as (name, app_url, conninfo, folder):
        data.log(f"database {name}: {args.responses:,} responses, {data.UNITS} units")
        t0 = time.perf_counter()
        ids = data.setup(app_url, folder)
        data.load(conninfo, args.responses, *ids)
        data.rebuild_summaries(app_url, folder)
        data.log(f"  loaded in {time.perf_counter() - t0:.1f} s")
        measure(app_url, folder)


if __name__ == "__main__":
    main()
