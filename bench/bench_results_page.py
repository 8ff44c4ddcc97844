"""Benchmark: the evaluator's results page and a unit's page over 1M-10M responses on PostgreSQL.

Loads the same data as bench_results.py (binary COPY into a fresh database
built by the real migrations, the running monthly summaries filled by the
rebuild), signs an evaluator in, then requests the pages through the app
(WSGI, no network) and prints each one's server time beside its target
(issue 15: under 0.2 s) and its weight beside 100 kB (HTML bytes, gzip
bytes; the pages load no script and only the app's own stylesheet):

- the results page (every unit's overall figures, 50 units a page, sorted);
- the same for one year, and sorted by the index, last page;
- a unit's page with every breakdown; its PDF report, for reference.

"first" is the first request of a fresh process: disclosure control works out
every table's protection then (survey.results.protection) and keeps it; the
median of the next requests is the figure against the target, since a page
viewed again after new cards only works out the tables those cards changed.

With 1,000 units and 200,000 responses (bench_units_page.py, 3 December 2026,
the 2-CPU machine otherwise idle, two runs, after the connections' parallel
workers were turned off): the results page 180-182 ms, one year 190-191 ms,
the last page by index 184-186 ms, a unit's page 44-47 ms, each page about
50 kB; with parallel workers, just before: 191 ms, 210-214 ms, 182-193 ms. The
code before this round (at a load of about 4): 208 ms, 311-337 ms and 196-208
ms. About 90 ms of each results page is PostgreSQL's scan of the monthly sums
(README, "Performance and scale").

Run: .venv/bin/python bench/bench_results_page.py [--responses N] [--units U] [--keep]
     .venv/bin/python bench/bench_results_page.py --database survey_bench_123
(BENCH_DATABASE_URL as in bench_results.py; --database measures a database an
earlier run kept with --keep, e.g. bench_results.py --responses 10000000 --keep,
and leaves it.)
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_results as data  # noqa: E402

from survey import create_app  # noqa: E402
from survey.access.accounts import create_user  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Campaign, Response, User  # noqa: E402

TARGET_SECONDS = 0.2
TARGET_BYTES = 100_000


def timed(client, url: str, repeat: int = 5) -> tuple[list[float], bytes]:  # type: ignore[no-untyped-def]
    times, body = [], b""
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
        body = response.data
    return times, body


def measure(app_url: str, instruments_dir: str, repeat: int = 5) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": app_url, "INSTRUMENTS_DIR": instruments_dir,
                      "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench-secret-0123"})
    with app.app_context():
        known = sa.select(User).filter_by(username="bench-evaluator")
        if db.session.execute(known).first() is None:
            create_user("bench-evaluator", "bench password", "evaluator")
            db.session.commit()
        campaign = db.session.execute(sa.select(Campaign)).scalar_one()
        responses = db.session.execute(sa.select(sa.func.count()).select_from(Response)).scalar()
        units = len(campaign.units)
        unit_id = campaign.units[0].id
        pages = -(-units // 50)
        data.log(f"{responses:,} responses, {units:,} units")
        client = app.test_client()
        client.post("/login", data={"username": "bench-evaluator", "password": "bench password"})
        base = f"/evaluate/campaign/{campaign.id}"
        for label, url, target in (
            (f"results page ({units} units, 50 a page)", base, True),
            ("results page, one year", f"{base}?period=2025", True),
            ("results page, by index, last page", f"{base}?sort=index&order=desc&page={pages}",
             True),
            ("unit page (every breakdown)", f"{base}/unit/{unit_id}", True),
            ("unit's PDF report", f"{base}/unit/{unit_id}/report.pdf", False),
        ):
            times, body = timed(client, url, repeat + 1)
            warm = statistics.median(times[1:])
            against = (
                f" (target < {TARGET_SECONDS} s: {'met' if warm < TARGET_SECONDS else 'NOT met'})"
                if target else ""
            )
            weight = f" (target < {TARGET_BYTES // 1000} kB)" if target else ""
            data.log(
                f"  {label}: {warm * 1000:.0f} ms server time, median of {repeat}{against}; "
                f"first {times[0] * 1000:.0f} ms; {len(body) / 1000:.1f} kB{weight}, "
                f"{len(gzip.compress(body)) / 1000:.1f} kB gzipped"
            )
        db.engine.dispose()


def spread_over_points(conninfo: str, points: int) -> None:
    """Give every unit ``points`` service points and its QR cards to them, a third by kiosk.

    The loader sends each group by one channel at no point, so every (unit, group) table
    is one cell, which disclosure control solves on the time tree alone; a unit's
    service users at its counters, by QR code and kiosk, make tables of several cells
    (channels by points), which take the general search. Before the summaries are built.
    """
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO service_point (unit_id, code, name) "
            "SELECT u.id, u.code || '-P' || p, u.name || ' 窗口' || p "
            "FROM unit u CROSS JOIN generate_series(0, %s - 1) AS p",
            (points,),
        )
        moved = conn.execute(
            "UPDATE response r SET service_point_id = sp.id, "
            "channel = CASE WHEN r.id %% 3 = 0 THEN 'kiosk' ELSE 'qr' END "
            "FROM unit u, service_point sp "
            "WHERE r.channel = 'qr' AND u.id = r.unit_id "
            "AND sp.code = u.code || '-P' || ((r.id / 3) %% %s)",
            (points,),
        ).rowcount
        conn.execute("VACUUM ANALYZE response")
    data.log(f"  {moved:,} QR cards spread over {points} service points a unit (a third "
             f"by kiosk) in {time.perf_counter() - t0:.1f} s")


@contextlib.contextmanager
def existing_database(name: str) -> Iterator[tuple[str, str, str, str]]:
    """A database an earlier run kept, with a fresh folder holding the benchmark's instrument."""
    base = sa.make_url(os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    url = base.set(database=name)
    folder = tempfile.mkdtemp(prefix="survey_bench_page-")
    try:
        body = data.INSTRUMENT + "".join(
            data.QUESTION.format(i=i + 1, indicator=ind) for i, ind in enumerate(data.INDICATORS)
        )
        (Path(folder) / "bench-card.toml").write_text(body)
        app_url = url.render_as_string(hide_password=False)
        yield name, app_url, url.set(drivername="postgresql").render_as_string(False), folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=data.UNITS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database", help="measure this kept database instead of loading one")
    parser.add_argument("--points", type=int, default=0,
                        help="service points per unit for the QR cards (0: none)")
    args = parser.parse_args()
    if args.database:
        with existing_database(args.database) as (name, app_url, _conninfo, folder):
            data.log(f"database {name} (kept by an earlier run)")
            measure(app_url, folder, args.repeat)
        return
    data.UNITS = args.units  # the loader spreads responses over data.UNITS units
    with data.scratch_database("survey_bench_page", args.keep) as (name, app_url, conninfo, folder):
        data.log(f"database {name}: {args.responses:,} responses, {data.UNITS} units")
        t0 = time.perf_counter()
        ids = data.setup(app_url, folder, args.responses)
        data.load(conninfo, args.responses, *ids)
        if args.points:
            spread_over_points(conninfo, args.points)
        data.rebuild_summaries(app_url, folder)
        data.log(f"  loaded in {time.perf_counter() - t0:.1f} s")
        measure(app_url, folder, args.repeat)


if __name__ == "__main__":
    main()
