"""Benchmark: a campaign's whole results table from PostgreSQL, and R's survey package.

1,000,000 submitted responses, 100 units, 9 groups, 8 indicators (8,000,000
per-respondent scores) are bulk-loaded with COPY into a fresh database
``survey_bench_<pid>`` whose schema is built by the real migrations. Then:

- end to end: every unit-by-indicator satisfaction index and share satisfied,
  with intervals and per-group rows, from the one GROUP BY (target < 5 s);
- from summaries in memory: the same estimates from the fetched sums
  (target < 0.5 s);
- where ``Rscript`` with the survey package is installed: ``svyby(~score,
  ~unit, design, svymean)`` for one indicator on the same respondents, its
  time, the ratio, and whether means and standard errors agree (1e-9).

Printed, not asserted. The database is dropped at the end (unless --keep).

Measured on the 2-core development VM (PostgreSQL 15, default settings): load
about 50 s; the GROUP BY over 8,000,000 scores about 4.5-5.5 s (a seq scan of
the scores is 0.5 s, the rest is their join to the responses for unit, group
and campaign), the estimates from summaries 0.17 s for the 800 cells' combined
figures and 0.7 s with the 7,200 per-group rows as well; R survey's svyby on
one indicator 54 s, agreeing to about 1e-15. Getting the query well under the
5 s target needs the join gone: unit, group and submission time copied into
response_score, or per-month sums kept up to date at submission.

Run: .venv/bin/python bench/bench_results.py [--responses N] [--no-r]
(BENCH_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres,
names the server; the benchmark creates and drops its own database there.)
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey import create_app  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import (  # noqa: E402
    GROUP_CODES,
    Campaign,
    CampaignGroup,
    Group,
    InstrumentVersion,
    Unit,
)
from survey.results import (  # noqa: E402
    campaign_groups,
    estimates_from_summaries,
    running,  # noqa: E402
    satisfaction,
    stratum_summaries,
)

UNITS = 100
INDICATORS = (
    "satisfaction.overall",
    "satisfaction.attitude",
    "satisfaction.efficiency",
    "satisfaction.one_visit",
    "satisfaction.transparency",
    "satisfaction.integrity",
    "satisfaction.accessibility",
    "satisfaction.responsiveness",
)
LEVELS = (100, 75, 50, 25, 0)
SATISFIED_AT = 50
# Share of respondents per group, policy weight and population of each group.
GROUP_SHARE = (0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.08, 0.50, 0.30)
GROUP_WEIGHT = (0.15, 0.10, 0.05, 0.05, 0.10, 0.05, 0.10, 0.25, 0.15)
GROUP_POPULATION = (3000, 3000, 5000, 2000, 1000, 2000, 40000, 5_000_000, 10_000_000)
CHANNEL_OF_GROUP = ("link",) * 6 + ("link", "qr", "phone")

INSTRUMENT = """
id = "bench-card"
languages = ["zh_Hans", "en"]
satisfied_at = 50
[title]
zh_Hans = "基准"
en = "Benchmark"
[scale]
options = [
  { value = "very_satisfied", score = 100, text = { zh_Hans = "非常满意", en = "Very satisfied" } },
  { value = "satisfied", score = 75, text = { zh_Hans = "满意", en = "Satisfied" } },
  { value = "basically_satisfied", score = 50, text = { zh_Hans = "基本满意", en = "Basic" } },
  { value = "dissatisfied", score = 25, text = { zh_Hans = "不满意", en = "Dissatisfied" } },
  { value = "very_dissatisfied", score = 0, text = { zh_Hans = "非常不满意", en = "Very bad" } },
]
[[pages]]
id = "card"
"""
QUESTION = """
[[pages.questions]]
id = "q{i}"
type = "likert5"
indicator = "{indicator}"
text = {{ zh_Hans = "问题{i}", en = "Question {i}" }}
"""


def log(message: str) -> None:
    print(message, flush=True)


def setup(app_url: str, instruments_dir: str) -> tuple[int, int, dict[int, int], dict[int, int]]:
    """Schema by migration, then units, groups, campaign through the ORM (small)."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": app_url, "INSTRUMENTS_DIR": instruments_dir,
                      "SECRET_KEY": "bench-secret-0123"})
    with app.app_context():
        upgrade()
        units = [Unit(code=f"U{i:03d}", name=f"单位{i:03d}") for i in range(UNITS)]
        groups = [Group(code=code, position=i) for i, code in enumerate(GROUP_CODES)]
        version = InstrumentVersion(instrument_id="bench-card", version="bench", source="")
        campaign = Campaign(
            code="bench",
            name="基准测评",
            period_start=dt.date(2024, 1, 1),
            period_end=dt.date(2026, 12, 31),
            units=units,
        )
        for group, weight, population in zip(
            groups, GROUP_WEIGHT, GROUP_POPULATION, strict=True
        ):
            campaign.groups.append(
                CampaignGroup(
                    group=group, instrument_id="bench-card", weight=weight, population=population
                )
            )
        db.session.add_all([*units, *groups, version, campaign])
        db.session.commit()
        unit_ids = {i: u.id for i, u in enumerate(units)}
        group_ids = {i: g.id for i, g in enumerate(groups)}
        ids = (campaign.id, version.id, unit_ids, group_ids)
        db.engine.dispose()
    return ids


def load(conninfo: str, n: int, campaign_id: int, version_id: int, unit_ids: dict[int, int],
         group_ids: dict[int, int]) -> np.ndarray:
    """COPY responses and scores; returns the overall-indicator scores for the R check."""
    import psycopg

    rng = np.random.default_rng(20250601)
    unit = rng.integers(0, UNITS, size=n)
    group = rng.choice(len(GROUP_CODES), size=n, p=GROUP_SHARE)
    start = dt.datetime(2024, 1, 1)
    seconds = rng.integers(0, 3 * 365 * 86400 - 86400, size=n)
    # Each unit has its own satisfaction level; each indicator shifts it a little.
    unit_quality = rng.uniform(-0.6, 0.6, size=UNITS)
    unit_col = np.vectorize(unit_ids.__getitem__)(unit)
    group_col = np.vectorize(group_ids.__getitem__)(group)
    chunk = 200_000
    with psycopg.connect(conninfo, autocommit=False) as conn:
        with conn.cursor() as cur:
            # Bench only: skip per-row foreign-key triggers during the bulk load.
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET synchronous_commit = off")
            t0 = time.perf_counter()
            with cur.copy(
                "COPY response (id, campaign_id, unit_id, group_id, channel, "
                "instrument_version_id, language, started_at, submitted_at, flagged) FROM STDIN"
            ) as copy:
                for lo in range(0, n, chunk):
                    hi = min(lo + chunk, n)
                    lines = []
                    for i in range(lo, hi):
                        ts = (start + dt.timedelta(seconds=int(seconds[i]))).isoformat(" ")
                        lines.append(
                            f"{i + 1}\t{campaign_id}\t{unit_col[i]}\t{group_col[i]}\t"
                            f"{CHANNEL_OF_GROUP[group[i]]}\t{version_id}\tzh_Hans\t{ts}\t{ts}\tf\n"
                        )
                    copy.write("".join(lines))
            log(f"  responses copied in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            # Rows in submission order (a response's indicators side by side), as
            # the app writes them; each response has its own level per indicator.
            shift = 0.1 * (np.arange(len(INDICATORS)) - 3.5) / 3.5
            latent = (unit_quality[unit][:, None] + shift[None, :]
                      + rng.normal(0, 1, (n, len(INDICATORS))))
            level = np.digitize(latent, [-1.5, -0.8, 0.0, 0.9])  # 0 worst .. 4 best
            overall = np.asarray(LEVELS[::-1])[level[:, 0]]
            suffix = np.asarray(
                [
                    f"\t{indicator}\t{score}\t{'t' if score >= SATISFIED_AT else 'f'}\n"
                    for indicator in INDICATORS
                    for score in LEVELS[::-1]
                ],
                dtype=object,
            )
            which = (np.arange(len(INDICATORS))[None, :] * len(LEVELS) + level).ravel()
            ids = np.repeat(np.arange(1, n + 1), len(INDICATORS)).astype(str)
            with cur.copy(
                "COPY response_score (response_id, indicator, score, satisfied) FROM STDIN"
            ) as copy:
                step = chunk * len(INDICATORS)
                for lo in range(0, len(ids), step):
                    part = suffix[which[lo : lo + step]]
                    copy.write("".join(map(str.__add__, ids[lo : lo + step], part)))
            log(f"  scores copied in {time.perf_counter() - t0:.1f} s")
        conn.commit()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        t0 = time.perf_counter()
        # Every table, the small ones made through the ORM too: without their
        # statistics the planner guesses nested loops over a million index probes.
        conn.execute("VACUUM ANALYZE")
        log(f"  vacuum analyze in {time.perf_counter() - t0:.1f} s")
    return np.column_stack([unit_col, group, overall])


R_SCRIPT = r"""
suppressWarnings(suppressMessages(library(survey)))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
t0 <- proc.time()[["elapsed"]]
des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N, data = d)
r <- svyby(~score, ~unit, des, svymean)
t1 <- proc.time()[["elapsed"]]
out <- data.frame(unit = r$unit, mean = coef(r), se = SE(r))
write.csv(out, args[2], row.names = FALSE)
cat(sprintf("%.6f\n", t1 - t0))
"""


def r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "quit(status = !requireNamespace('survey', quietly = TRUE))"],
        capture_output=True,
    )
    return probe.returncode == 0


def compare_with_r(data: np.ndarray, rows: list, seconds_ours: tuple[float, float]) -> None:
    """svyby on the respondents of satisfaction.overall with our unit-level weights W_h/n_h."""
    by_unit = {row.unit_id: row for row in rows if row.indicator == "satisfaction.overall"}
    folder = tempfile.mkdtemp(prefix="bench-results-r-")
    try:
        path_in, path_out = Path(folder) / "in.csv", Path(folder) / "out.csv"
        t0 = time.perf_counter()
        weight = {}
        for unit_id, row in by_unit.items():
            sizes = {g.group: g.n for g in row.groups}
            for code, w in row.weights:
                weight[unit_id, GROUP_CODES.index(code)] = w / sizes[code]
        with path_in.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["unit", "stratum", "w", "N", "score"])
            for unit_id, g, score in data.tolist():
                out.writerow([unit_id, f"{unit_id}-{g}", repr(weight[unit_id, g]),
                              GROUP_POPULATION[g], score])
        log(f"  CSV of {len(data):,} respondents written in {time.perf_counter() - t0:.1f} s")
        script = Path(folder) / "svyby.R"
        script.write_text(R_SCRIPT)
        t0 = time.perf_counter()
        done = subprocess.run(
            ["Rscript", str(script), str(path_in), str(path_out)],
            capture_output=True, text=True, timeout=900,
        )
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            log(f"  R failed: {done.stderr.strip()[-500:]}")
            return
        r_seconds = float(done.stdout.strip().splitlines()[-1])
        worst_mean = worst_se = 0.0
        with path_out.open() as f:
            for rec in csv.DictReader(f):
                ours = by_unit[int(rec["unit"])].index
                worst_mean = max(worst_mean, abs(float(rec["mean"]) - ours.estimate)
                                 / abs(ours.estimate))
                worst_se = max(worst_se, abs(float(rec["se"]) - ours.se) / ours.se)
        end_to_end, in_memory = seconds_ours
        log(f"  R survey svydesign + svyby, one indicator: {r_seconds:.2f} s "
            f"(Rscript with CSV reading: {wall:.1f} s)")
        log(f"  ours, one indicator: {end_to_end:.3f} s end to end, {in_memory:.4f} s in memory")
        log(f"  ratio R / ours: {r_seconds / end_to_end:.0f}x end to end, "
            f"{r_seconds / in_memory:.0f}x in memory")
        agree = worst_mean < 1e-9 and worst_se < 1e-9
        log(f"  largest relative difference: mean {worst_mean:.1e}, se {worst_se:.1e} -> "
            f"{'agree' if agree else 'DO NOT AGREE'} to 1e-9 over {len(by_unit)} units")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def rebuild_summaries(app_url: str, instruments_dir: str) -> None:
    """Fill the running monthly summaries once after COPY (submissions keep them up to date)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": app_url, "INSTRUMENTS_DIR": instruments_dir,
                      "SECRET_KEY": "bench-secret-0123"})
    with app.app_context():
        t0 = time.perf_counter()
        rows = running.rebuild(db.session)
        db.session.commit()
        log(f"  running summaries rebuilt after the bulk load: {rows:,} rows in "
            f"{time.perf_counter() - t0:.1f} s")
        db.engine.dispose()


def measure(app_url: str, instruments_dir: str, data: np.ndarray | None) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": app_url, "INSTRUMENTS_DIR": instruments_dir,
                      "SECRET_KEY": "bench-secret-0123"})
    with app.app_context():
        campaign = db.session.execute(db.select(Campaign)).scalar_one()
        settings = campaign_groups(campaign)
        times = []
        for _ in range(3):
            db.session.expire_all()
            campaign = db.session.execute(db.select(Campaign)).scalar_one()
            t0 = time.perf_counter()
            rows = satisfaction(campaign, by=("unit",), indicator=INDICATORS)
            times.append(time.perf_counter() - t0)
        n_intervals = len(rows) * 2 + sum(len(r.groups) * 2 for r in rows)
        log(f"end to end: {len(rows)} unit-by-indicator cells ({n_intervals:,} intervals with "
            f"the per-group rows): best {min(times):.2f} s, first {times[0]:.2f} s "
            f"(target < 5 s)")
        t0 = time.perf_counter()
        summaries = stratum_summaries(campaign, indicator=INDICATORS, by=("unit",))
        query = time.perf_counter() - t0
        log(f"  of which the GROUP BY of the monthly summaries: {query:.3f} s, "
            f"{len(summaries):,} summary rows")
        t0 = time.perf_counter()
        stratum_summaries(campaign, indicator=INDICATORS, by=("unit",), include_flagged=True)
        log(f"  the same sums from every score (no summaries): {time.perf_counter() - t0:.2f} s")
        for breakdown in (True, False):
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                estimates_from_summaries(summaries, settings, group_breakdown=breakdown)
                best = min(best, time.perf_counter() - t0)
            what = "with per-group rows" if breakdown else "combined figures only"
            log(f"from summaries in memory ({what}): {best:.3f} s (target < 0.5 s)")
        if data is not None:
            overall = [s for s in summaries if s.cell.indicator == "satisfaction.overall"]
            t0 = time.perf_counter()
            satisfaction(campaign, by=("unit",), indicator="satisfaction.overall")
            one_end = time.perf_counter() - t0
            t0 = time.perf_counter()
            estimates_from_summaries(overall, settings, group_breakdown=False)
            one_mem = time.perf_counter() - t0
            log("R survey comparison (satisfaction.overall):")
            compare_with_r(data, rows, (one_end, one_mem))
        db.engine.dispose()


@contextlib.contextmanager
def scratch_database(prefix: str, keep: bool = False) -> Iterator[tuple[str, str, str, str]]:
    """A fresh PostgreSQL database and a folder holding the benchmark's instrument.

    Yields (name, SQLAlchemy URL, libpq conninfo for COPY, instruments folder);
    drops the database afterwards unless ``keep``. BENCH_DATABASE_URL names the
    server (default: the local one, trust auth).
    """
    base = sa.make_url(os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    name = f"{prefix}_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name)
    app_url = url.render_as_string(hide_password=False)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    folder = tempfile.mkdtemp(prefix=f"{prefix}-")
    try:
        body = INSTRUMENT + "".join(
            QUESTION.format(i=i + 1, indicator=ind) for i, ind in enumerate(INDICATORS)
        )
        (Path(folder) / "bench-card.toml").write_text(body)
        yield name, app_url, conninfo, folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if keep:
            log(f"database {name} kept: drop it with DROP DATABASE \"{name}\"")
        else:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log(f"database {name} dropped")
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--no-r", action="store_true", help="skip the R comparison")
    parser.add_argument("--keep", action="store_true", help="keep the database (to inspect)")
    args = parser.parse_args()
    with scratch_database("survey_bench", args.keep) as (name, app_url, conninfo, folder):
        log(f"database {name}: {args.responses:,} responses x {len(INDICATORS)} indicators, "
            f"{UNITS} units, {len(GROUP_CODES)} groups")
        t0 = time.perf_counter()
        campaign_id, version_id, unit_ids, group_ids = setup(app_url, folder)
        data = load(conninfo, args.responses, campaign_id, version_id, unit_ids, group_ids)
        log(f"  loaded in {time.perf_counter() - t0:.1f} s")
        rebuild_summaries(app_url, folder)
        use_r = not args.no_r and r_available()
        if not args.no_r and not use_r:
            log("Rscript with the survey package not found: R comparison skipped")
        measure(app_url, folder, data if use_r else None)


if __name__ == "__main__":
    main()
