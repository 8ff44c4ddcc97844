"""Submissions per second through gunicorn (2 workers), on SQLite and PostgreSQL.

Printed, not asserted. Each submission is what a phone does: GET the card (a
fresh CSRF token, session cookie and submission key), then POST the answers.
On each database three things are served by the same gunicorn settings and
loaded the same way, one after the other in the same run: a bare Flask
hello-world (requests/s), the issue's "realistic page" (bench/realistic_page.py:
the app's own base template and Babel set-up, a token kept in the session and
sent back as a hidden field, one INSERT per POST; a submission is its GET and
POST) and the app's QR card. Printed: the three rates, the app's ratio to the
realistic page beside the issue's target (at least 0.7, #15) and its ratio to
hello-world. With ``--rounds N`` each is measured N times in turn and its best
round kept (the one least disturbed by other work). Finally the stored rows are
counted against the accepted submissions, for the realistic page and the app
(they must be equal). Traffic stays on 127.0.0.1 and every loop is bounded. With
``--without bursts,sums,csrf,limits`` the app less those safeguards
(bench/app_without.py) is served too, in the same rounds, and its rate and CPU
printed beside the app's: what the safeguards cost.

The load's cards go to 100 service points in turn (``--points``), as a
province's cards come to many points: with every card at one point the burst
rule's window held hundreds of cards, which no point sees without a burst. Each
submission comes from a phone of its own (``--clients phones``, the default):
its address is forwarded as by the one proxy of a deployment
(``X-Forwarded-For``, with SURVEY_PROXY_HOPS=1; the other servers get the header
too and ignore it). With ``--clients one`` every card comes from one address, as
in the rounds before: the burst rule then counts that client's thousands of
cards of the last ten minutes for every card, which no phone sends. The rate
limit and the burst rule would stop or hold such a client's cards; both are set
out of reach here (the rule still counts each card's sources), since holding a
burst is no part of a card's usual cost.

Each server is warmed, untimed, by four requests a point before it is measured
(templates compiled, each point's settings and usual kept, as in a worker that
has served a while), and the workers' CPU time per submission is printed beside
the rates (read from /proc before and after the timed load): the rates move with
whatever else the machine runs, the CPU per submission hardly does.

Also printed: the SQL statements of one card's GET and POST, counted in
process through SQLAlchemy's before_cursor_execute event (a figure the
machine's load cannot change; tests/test_submit_statements.py holds the bound).

    .venv/bin/python bench/bench_submissions.py [--requests 400] [--threads 8] [--rounds 2]
                                                [--only sqlite|postgresql] [--points 100]
                                                [--clients phones|one]
                                                [--without bursts,sums,csrf,limits]

This round (#15, 3 December 2026), --requests 400 --rounds 3, this bench run on the
code before the round (6d8295a) and after it, one after the other with little else
running (load average about 1.5):

    before: SQLite 171.7 submissions/s, 0.29 of the realistic page (590.0), the
            workers' CPU 6.82 ms a submission against the realistic page's 1.60;
            PostgreSQL 202.6, 0.30 (681.1), 7.45 ms against 1.62 ms;
            a card's GET 0 statements, its POST 7
    after:  SQLite 332.9 and 336.9, 0.52 and 0.54 (634.7, 620.7), 3.93 and 3.82 ms
            against 1.65 and 1.62 ms; PostgreSQL 311.7, 0.42 (748.1), 4.25 ms
            against 1.58 ms; a card's GET 0 statements, its POST 5

Later the same day (#15, second session), --requests 400 --rounds 3, --clients phones,
on a slower machine than the morning's (hello-world 1,750-1,930 requests/s against
3,400), the code before this session (b356bef) and after it, one after the other:

    before: SQLite 149.2 submissions/s, 0.46 of the realistic page (328.0), the
            workers' CPU 8.97 ms a submission against 3.38 ms; PostgreSQL 115.0,
            0.32 (357.3), 11.22 ms against 3.15 ms
    after:  SQLite 168.0, 0.52 (324.6), 7.97 ms against 3.25 ms; PostgreSQL 145.3,
            0.35 (410.6), 8.72 ms against 2.78 ms; a card's GET 0 statements, its POST 5

A read (GET, HEAD) no longer goes through the rate limiter, whose limits all count
POSTs (finding none was a fifth of a card's GET), and a card's page and a good
card's storing use the campaign and unit as kept per worker without putting them
in the request's session (a bad review's case still does): the Flask test
client's CPU time per card (fresh session each) went from 7.4 to 7.0 ms on SQLite,
the GET from 2.0 to 1.5 ms. Sampled in a gunicorn worker (py-spy), a card's time
is now the ORM's flush and commit of the card (about 15 %: PostgreSQL's round
trips add 17 % of waiting), the answers' and scores' executemany (5 %), the burst
rule's count (5 %), the running sums' upsert (4 %), the form's binding and
validation (5 %), Flask's session (6 %), the rate limiter (POST: 5 %), the
security headers (3 %), the CSRF check (1.5 %) and the page's tokens (4 %). The
realistic page has the session and one INSERT of these and nothing else: 0.7 of
it is out of reach without dropping one of the card's safeguards.

The third round of that day (README, "The third round of 3 December") added the function
calls per card to what is printed: GET 2,675 to 2,328, POST 13,611 to 12,689 (SQLite) and
17,166 to 16,238 (PostgreSQL), the same five statements; and gave the app a settings stamp
of its own (PRIVATE_STAMP), since tests run in the same checkout dropped its kept points.

The fourth round of that day (#15, late afternoon) first made this bench's in-process count a
phone's: one test client had sent every card inside one app context, and from its fourth card
the burst rule held the client's window, so the POST's 12,689 calls were a held burst's (a
phone's card made 5,798). Then, --rounds 2, the code before the round's changes (7acbde4, the
bench fixed) and after them (a6400f4), one after the other, on a machine shared with another
engineer's benchmarks (hello-world's CPU 0.27-0.33 ms a request, 0.20 in the morning):

    before: SQLite 254.9 submissions/s, 0.53 of the realistic page (479.6), the
            workers' CPU 5.05 ms a submission against 2.18 ms; PostgreSQL 255.0, 0.48
            (531.0), 4.92 ms against 2.25 ms, the server's 0.95 ms against 0.28 ms
    after:  SQLite 265.0, 0.56 (472.0), 4.60 ms against 2.15 ms; PostgreSQL 266.5, 0.53
            (499.3), 4.78 ms against 2.28 ms, the server's 0.90 ms against 0.25 ms

Function calls per card: GET 2,659 to 2,340; POST 5,798 to 5,316 (SQLite) and 7,142 to 6,390
(PostgreSQL, whose POST now sends 3 statements, not 5: the card's row, answers and scores go
as one). The largest single step was wsgi.py's gc.freeze(): a full collection walked the
app's long-lived objects, a tenth of a card's CPU. A pair run a quarter of an hour earlier,
without the freeze (6d75084), gave 0.59 against 0.50 on SQLite and 0.57 against 0.49 on
PostgreSQL: on this machine a run's ratio moves by several hundredths with the other work.

What made the difference in the morning, in the Flask test client's CPU time per card (SQLite):
a card is inserted already counted in the running sums with its scores noted, so
they are added by one upsert built once (no UPDATE, no SELECT back, no upsert
compiled per card: 7.0 to 4.9 ms); the burst rule keeps a source's usual for a
minute instead of reading four weeks of its cards per card (at a point of 300
cards a day: 18 to 6 ms a card, wall time, on PostgreSQL); a card's first page is
rendered once and kept, with each visitor's tokens put in (GET 1.27 to 0.80 ms).
Still short of the target (0.7): what is left is the card's ORM flush, its three
other statements (answers, scores, the burst rule's count: on PostgreSQL each
executemany costs the driver about 0.2 ms), the form's validation, and Flask's
extensions (CSRF, session, limiter, Talisman, Babel: about 0.5 ms), against the
realistic page's one INSERT.

The round before (the lean submit path: a point's settings kept per worker, an
untouched card's questions and the thank-you rendered once, answers and scores
inserted by one executemany each, the thank-you rendered after the commit) took the
app from 0.11-0.15 of the realistic page to 0.26-0.31 on SQLite and from 0.10-0.12
to 0.18-0.19 on PostgreSQL, every card then at one point, the machine shared.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import itertools
import math
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# The stamp that tells the app's processes a setting changed (survey.responses.point_cache):
# the bench's own, not the instance folder's, which the test suite touches when it runs
# beside the bench (every kept point of the bench's workers was dropped each time).
PRIVATE_STAMP = os.path.join(tempfile.mkdtemp(prefix="bench-stamp-"), "settings-changed")
HIDDEN = re.compile(r'name="(csrf_token|submission_key)"[^>]*value="([^"]+)"')

ANSWERS = {
    "q_overall": "satisfied",
    "q_attitude": "very_satisfied",
    "q_efficiency": "satisfied",
    "q_one_visit": "yes",
    "q_comment": "很好",
}

REALISTIC_ANSWER = {"answer": ANSWERS["q_comment"]}

HELLO = """
from flask import Flask
app = Flask(__name__)
@app.get("/")
def hello():
    return "hello"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app: str, env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=cwd,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            return proc, base
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn {app} did not start")


# The service points the load's cards go to, in turn (--points; see the module's docstring).
POINTS = 100
_NEXT = itertools.count()


def _use_points(count: int) -> None:
    global POINTS
    POINTS = count


def next_point() -> str:
    return f"/p/bench-{next(_NEXT) % POINTS + 1}"


# Whether each submission comes from a phone of its own (--clients phones, the default) or
# all from one address (--clients one); see the module's docstring.
ONE_CLIENT = False
_NEXT_PHONE = itertools.count()


def _use_clients(kind: str) -> None:
    global ONE_CLIENT
    ONE_CLIENT = kind == "one"


def phone_address() -> str:
    """The address a submission comes from, as the one proxy in front of the app forwards it."""
    n = next(_NEXT_PHONE)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def submit(base: str, path: str = "", answers: dict[str, str] = ANSWERS) -> bool:
    """One submission: GET the page (session cookie, hidden fields), then POST the answers."""
    path = path or next_point()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    if not ONE_CLIENT:  # sent to every server alike; only the app reads it (SURVEY_PROXY_HOPS)
        opener.addheaders.append(("X-Forwarded-For", phone_address()))
    page = opener.open(base + path, timeout=10).read().decode()
    fields = dict(HIDDEN.findall(page))
    fields.update(answers)
    data = urllib.parse.urlencode(fields).encode()
    reply = opener.open(base + path, data=data, timeout=10)
    return reply.status == 200


def submit_realistic(base: str) -> bool:
    return submit(base, "/r", REALISTIC_ANSWER)


def hello(base: str) -> bool:
    return urllib.request.urlopen(base + "/", timeout=10).status == 200


def run(fn, base: str, count: int, threads: int) -> tuple[float, int]:
    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        ok = sum(pool.map(lambda _i: fn(base), range(count)))
    return count / (time.perf_counter() - start), ok


def prepare(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    from factories import gen_campaign, gen_service_point, gen_unit
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-0123"})
    with app.app_context():
        upgrade()
        unit = gen_unit(code="bench", name="基准测试单位")
        gen_campaign([unit])
        for n in range(1, POINTS + 1):
            gen_service_point(unit, code=f"bench-{n}")
        gen_service_point(unit, code="bench-count")  # the statement count's own cards
        db.session.commit()
        db.engine.dispose()


def statements_per_card(url: str) -> tuple[int, int, int, int]:
    """SQL statements and Python function calls of one QR card's GET and POST, in process.

    Each card is a phone's: a test client of its own (a fresh session) from an
    address of its own, each request in its own app context as in a worker, and
    the burst rule set out of reach as for the load. Counted after a first card,
    at a point of its own. The calls are cProfile's count over twenty cards (the
    same every run, whatever else the machine does: a figure to compare code by,
    where the rates and CPU times move with the machine's other work).

    Until 3 December 2026 one client sent every card inside one app context:
    from its fourth card on the burst rule held the client's window (nine
    statements more), which made the POST's calls 12,689 where a phone's are
    about 5,800; and the shared context kept one CSRF token and one ORM session
    for all the requests, which no worker does.
    """
    import sqlalchemy as sa

    from survey import create_app
    from survey.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-0123",
            "TESTING": True,
            "SURVEY_SETTINGS_STAMP": PRIVATE_STAMP,
            "SURVEY_POINT_RATE_LIMIT": "100000 per minute",
            "SURVEY_BURST_COUNT": 1000000,
            "SURVEY_BURST_MIN_CARDS": 1000000,
        }
    )
    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    phones = itertools.count(1)

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    def one_card(profile=None, part: str = "") -> tuple[int, int]:  # type: ignore[no-untyped-def]
        return _phone_card(app, next(phones), seen, profile, part)

    sa.event.listen(engine, "before_cursor_execute", count)
    one_card()  # the first card may store the instrument version
    on_get, on_post = one_card()
    calls = _calls_per_card(one_card)
    engine.dispose()
    return on_get, on_post, *calls


def _phone_card(app: Any, n: int, seen: list[str], profile: Any, part: str) -> tuple[int, int]:
    """One card from phone ``n`` (a client and address of its own): its GET's, POST's statements.

    ``part`` ("get" or "post") is the request ``profile`` is enabled for.
    """
    client = app.test_client()
    phone = {"REMOTE_ADDR": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}

    def send(name: str, call: Callable[[], Any]) -> Any:
        seen.clear()
        if part == name:
            profile.enable()
        try:
            return call()
        finally:
            if part == name:
                profile.disable()

    page = send("get", lambda: client.get("/p/bench-count", environ_base=phone))
    on_get = len(seen)
    fields = dict(HIDDEN.findall(page.get_data(as_text=True)))
    fields.update(ANSWERS)
    reply = send("post", lambda: client.post("/p/bench-count", data=fields, environ_base=phone))
    if reply.status_code != 200:
        raise RuntimeError(f"the statement count's card got {reply.status_code}")
    return on_get, len(seen)


def _calls_per_card(one_card) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Python function calls of a card's GET and of its POST (cProfile, twenty cards)."""
    import cProfile
    import pstats

    cards = 20
    totals = []
    for part in ("get", "post"):
        profile = cProfile.Profile()
        for _ in range(cards):
            one_card(profile, part)
        totals.append(round(pstats.Stats(profile).total_calls / cards))  # type: ignore[attr-defined]
    return totals[0], totals[1]


def count_rows(url: str, sql: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(sql)).scalar_one()
    engine.dispose()
    return int(n)


def count_responses(url: str) -> int:
    return count_rows(
        url,
        "SELECT count(*) FROM response JOIN service_point"
        " ON service_point.id = response.service_point_id"
        " WHERE service_point.code LIKE 'bench-%' AND service_point.code != 'bench-count'",
    )


def workers_cpu(master: int) -> float:
    """CPU seconds (user and system) the gunicorn master's workers have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / tick


def _process_cpu(pid: int) -> float:
    """CPU seconds (user and system) process ``pid`` has used (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the bench's database ({} on SQLite).

    The server's work is on the same two cores as the workers': a statement a card
    saves is saved there too, which the workers' CPU alone does not show.
    """
    if not url.startswith("postgresql"):
        return {}
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalars()
        found = {pid: _process_cpu(pid) for pid in pids}
    engine.dispose()
    return found


def serve(  # type: ignore[no-untyped-def]
    app: str, env: dict[str, str], cwd: Path, fn, args, url: str
) -> tuple[float, int, float, float]:
    """Start gunicorn on ``app``, run the load ``fn`` against it, stop it.

    Returns the rate, the accepted count, the workers' CPU milliseconds per
    request or submission (a figure other work on the machine hardly changes,
    where the rate depends on what else runs) and the database server's
    (PostgreSQL's backends for this database; 0 on SQLite, which works in the
    workers). The workers are warmed first, as a
    worker that has served for a while is (templates compiled, each point's settings
    and usual kept): four times as many requests as there are points, for each
    server alike, not timed.
    """
    proc, base = start_gunicorn(app, env, cwd)
    warm = max(4 * POINTS, 2 * args.threads)
    try:
        _rate, warmed = run(fn, base, warm, args.threads)
        before, server_before = workers_cpu(proc.pid), database_cpu(url)
        rate, ok = run(fn, base, args.requests, args.threads)
        cpu_ms = (workers_cpu(proc.pid) - before) * 1000 / args.requests
        server = database_cpu(url)
        server_ms = sum(cpu - server_before.get(pid, 0.0) for pid, cpu in server.items())
        return rate, ok + warmed, cpu_ms, server_ms * 1000 / args.requests
    finally:
        proc.terminate()
        proc.wait()


def measure(name: str, url: str, workdir: Path, env: dict[str, str], args) -> None:  # type: ignore[no-untyped-def]
    """Hello-world, the realistic page and the app on one database, one after the other.

    With ``--rounds`` above 1 the three are measured again in turn and each one's
    best round is kept: the round least disturbed by other work on the machine.
    """
    prepare(url)
    sys.path.insert(0, str(ROOT / "bench"))
    import realistic_page

    realistic_page.create_table(url)
    on_get, on_post, calls_get, calls_post = statements_per_card(url)
    print(
        f"{name}: one card's GET {on_get} SQL statements, its POST {on_post}; "
        f"Python function calls: GET {calls_get}, POST {calls_post} (cProfile, in process)"
    )
    realistic_env = dict(
        env,
        BENCH_DB=url,
        BENCH_TEMPLATES=str(ROOT / "survey" / "templates"),
        BENCH_TRANSLATIONS=str(ROOT / "survey" / "translations"),
    )
    app_env = dict(
        env,
        DATABASE_URL=url,
        SECRET_KEY="bench-secret-0123",
        SURVEY_SETTINGS_STAMP=PRIVATE_STAMP,
        # One client sends every card here: the rate limit and the burst rule would stop
        # or hold nearly all of them, which is no part of a card's usual cost (the rule
        # still counts each card's sources; it does not fire).
        SURVEY_POINT_RATE_LIMIT="100000 per minute",
        # The phones' addresses come forwarded, as from the proxy of a deployment.
        SURVEY_PROXY_HOPS="1",
        SURVEY_BURST_COUNT="1000000",
        SURVEY_BURST_MIN_CARDS="1000000",
    )
    best = {"hello": 0.0, "realistic": 0.0, "app": 0.0}
    cpu = {"hello": math.inf, "realistic": math.inf, "app": math.inf}
    server_cpu = {"hello": math.inf, "realistic": math.inf, "app": math.inf}
    accepted = {"realistic": 0, "app": 0}
    servers = {
        "hello": ("hello:app", env, workdir, hello),
        "realistic": ("realistic_page:app", realistic_env, ROOT / "bench", submit_realistic),
        "app": ("wsgi:app", app_env, ROOT, submit),
    }
    if args.without:  # the app less some safeguards (bench/app_without.py), same rounds
        without_env = dict(
            app_env, SURVEY_BENCH_WITHOUT=args.without, PYTHONPATH=f"{ROOT}:{ROOT / 'bench'}"
        )
        servers["without"] = ("app_without:app", without_env, ROOT, submit)
        for table in (best, cpu, server_cpu):
            table["without"] = 0.0 if table is best else math.inf
    for _round in range(args.rounds):
        for what, (app, its_env, cwd, load) in servers.items():
            rate, ok, cpu_ms, server_ms = serve(app, its_env, cwd, load, args, url)
            best[what] = max(best[what], rate)
            cpu[what] = min(cpu[what], cpu_ms)
            server_cpu[what] = min(server_cpu[what], server_ms)
            if what in accepted:
                accepted[what] += ok
            elif what == "without":  # its cards are stored with the app's
                accepted["app"] += ok
    stored = {
        "realistic": count_rows(url, "SELECT count(*) FROM realistic_answer"),
        "app": count_responses(url),
    }
    checks = "; ".join(
        f"{what}: accepted {accepted[what]}, stored {stored[what]}"
        + ("" if stored[what] == accepted[what] else "  <-- MISMATCH")
        for what in ("realistic", "app")
    )
    print(
        f"{name}: hello-world {best['hello']:.0f} requests/s; "
        f"realistic page {best['realistic']:.1f} submissions/s; "
        f"app {best['app']:.1f} submissions/s (GET card + POST answers)\n"
        f"{name}: app / realistic page {best['app'] / best['realistic']:.2f} (target >= 0.7); "
        f"app / hello-world {best['app'] / best['hello']:.3f}; "
        f"realistic page / hello-world {best['realistic'] / best['hello']:.3f}\n"
        f"{name}: workers' CPU per request or submission: hello-world {cpu['hello']:.2f} ms, "
        f"realistic page {cpu['realistic']:.2f} ms, app {cpu['app']:.2f} ms "
        f"(realistic page / app {cpu['realistic'] / cpu['app']:.2f})\n"
        + (
            f"{name}: the database server's CPU per submission: realistic page "
            f"{server_cpu['realistic']:.2f} ms, app {server_cpu['app']:.2f} ms\n"
            if url.startswith("postgresql")
            else ""
        )
        + (
            f"{name}: the app without {args.without} {best['without']:.1f} submissions/s, "
            f"{best['without'] / best['realistic']:.2f} of the realistic page; workers' CPU "
            f"{cpu['without']:.2f} ms (realistic page / it "
            f"{cpu['realistic'] / cpu['without']:.2f})\n"
            if args.without
            else ""
        )
        + f"{name}: {checks}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="best of this many rounds")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument(
        "--points", type=int, default=100, help="service points the cards go to, in turn"
    )
    parser.add_argument(
        "--clients",
        choices=["phones", "one"],
        default="phones",
        help="each submission from a phone of its own, or all from one address",
    )
    parser.add_argument(
        "--without",
        default="",
        help="also serve the app less these safeguards (bursts,sums,csrf,limits; "
        "bench/app_without.py) in the same rounds: what they cost",
    )
    args = parser.parse_args()
    _use_points(args.points)
    _use_clients(args.clients)
    workdir = Path(tempfile.mkdtemp(prefix="survey-bench-"))
    (workdir / "hello.py").write_text(HELLO)
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    import sqlalchemy as sa

    pg_name = f"survey_bench_{os.getpid()}_{secrets.token_hex(2)}"
    targets = []
    if args.only != "postgresql":
        targets.append(("SQLite", f"sqlite:///{workdir}/bench.sqlite"))
    admin = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    pg_made = False
    if args.only != "sqlite":
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{pg_name}"'))
            pg_made = True
            targets.append(
                (
                    "PostgreSQL",
                    sa.make_url(PG_BASE)
                    .set(database=pg_name)
                    .render_as_string(hide_password=False),
                )
            )
        except Exception as error:  # noqa: BLE001 - PostgreSQL is optional here
            print(f"PostgreSQL skipped: {error}")
    try:
        for name, url in targets:
            measure(name, url, workdir, env, args)
    finally:
        if pg_made:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
