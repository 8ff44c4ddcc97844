"""A load run with faults: gunicorn workers and database connections killed while people answer.

Issue #12's last check. A scratch PostgreSQL database is created, migrated and
given the instruments and a small campaign (one unit, a QR code, receipt tickets,
personal invitations); gunicorn serves it on 127.0.0.1 with a few workers. Client
threads answer as respondents do, in Simplified Chinese, Traditional Chinese or
English: GET the card, take its CSRF token and submission key, POST the answers
(an invitation page by page). Meanwhile a chaos thread SIGKILLs a gunicorn worker
(the master starts another) and terminates the app's PostgreSQL connections
(pg_terminate_backend), in turn.

A respondent whose connection breaks, or who gets a 5xx page, presses the same
button again: the same form, the same submission key. Every 5xx is counted and
classified: a page in the respondent's language that says what happened
(translated), or anything else (untranslated: Werkzeug's English page, a
traceback). At the end the clients' view is compared with the database, and the
run fails (exit 1) unless:

- accepted = stored: every thank-you page a client saw is a stored response, and
  every stored response is one a client was thanked for;
- duplicates 0: no submission stored twice (by submission key, ticket, invitation);
- untranslated 5xx 0, refused 0, abandoned 0 (a respondent who pressed the button
  ``MAX_PRESSES`` times without an answer).

Traffic stays on 127.0.0.1, the run is bounded (``--submissions``, ``--seconds``),
and gunicorn and the scratch database are removed at the end, on Ctrl-C too.
Skipped (exit 0, with the reason) without PostgreSQL or gunicorn.

    .venv/bin/python bench/bench_load.py [--submissions 1500] [--seconds 45]
        [--threads 4] [--workers 2] [--chaos-every 2] [--cold] [--keep-log]

PostgreSQL is reached at BENCH_PG_URL (default postgres@127.0.0.1:5432). With
--cold the instrument versions are left to the first requests, as on a fresh
deployment that skipped `flask survey instruments load` (the first-request race
of #12). gunicorn runs with --preload, so that a killed worker's replacement is forked
ready: without it, under load, the run measures imports (seconds a worker).
The pure half (what a page says, the account) is bench/load_account.py, the
respondents bench/load_respondent.py.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from load_account import (
    Markers,
    StoredRow,
    Submission,
    Verdict,
    compare,
    log_summary,
    read_markers,
)
from load_respondent import LANGUAGES, Browser, Respondent, Tally

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-load-" + secrets.token_hex(16)

CATALOGS = {"zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant", "en": "en"}
MIN_WORKER_AGE = 1.0  # seconds


@dataclass
class Plan:
    """What the scratch database holds for the run, and what each kind of form sends."""

    point_code: str
    tickets: list[tuple[int, str]]  # (ticket id, token)
    invitations: list[tuple[int, str, str]]  # (invitation id, token, Accept-Language)
    card_answers: dict[str, Any]
    invitation_pages: dict[str, dict[str, Any]]  # page id -> its fields
    markers: dict[str, Markers]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(url: str, *, tickets: int, invitations: int, cold: bool) -> Plan:
    """Migrate the scratch database and load what the respondents answer; the answers they send."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    from factories import gen_campaign, gen_group, gen_service_point, gen_unit
    from flask_migrate import upgrade

    from survey import create_app
    from survey.channels.links import create_invitation, issue_tickets
    from survey.extensions import db
    from survey.instruments.store import register_versions

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's line a migration
            upgrade()
        if not cold:
            register_versions()  # as `flask survey instruments load` does at deployment
        unit = gen_unit(code="load", name="负载测试单位")
        campaign = gen_campaign([unit])
        point = gen_service_point(unit, code="load-1")
        issued = issue_tickets(campaign, point, tickets)
        stakeholder = gen_group("deputy")
        invited = []
        for n in range(invitations):
            accept = list(LANGUAGES)[n % len(LANGUAGES)]
            language = CATALOGS[LANGUAGES[accept]]
            row, token = create_invitation(campaign, stakeholder, unit, language=language)
            invited.append((row, token, accept))
        db.session.commit()
        card, pages = _answers()
        plan = Plan(
            point_code=point.code,
            tickets=[(row.id, token) for row, token in issued],
            invitations=[(row.id, token, accept) for row, token, accept in invited],
            card_answers=card,
            invitation_pages=pages,
            markers=read_markers(app, CATALOGS),
        )
        db.engine.dispose()
    return plan


def _answers() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The card's fields, and the invitation's by page, as tests/respondent.py answers them."""
    from respondent import CARD, STAKEHOLDER, form_data, instrument, valid_answers

    card = form_data(valid_answers(instrument(CARD)), key="")
    card.pop("submission_key")
    stakeholder = instrument(STAKEHOLDER)
    pages: dict[str, dict[str, Any]] = {}
    earlier: list[Any] = []
    for page in stakeholder.pages:
        earlier += list(page.questions)  # a condition may rest on an earlier page's answer
        answers = valid_answers(stakeholder, earlier)
        own = {q.id for q in page.questions}
        fields = form_data({k: v for k, v in answers.items() if k in own}, key="")
        fields.pop("submission_key")
        pages[page.id] = fields
    return card, pages


def start_gunicorn(url: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn serving the scratch database on 127.0.0.1, once it answers; its port."""
    port = free_port()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        DATABASE_URL=url,
        SECRET_KEY=SECRET,
        SURVEY_BASE_URL=f"http://127.0.0.1:{port}",
        SURVEY_POINT_RATE_LIMIT="1000000 per minute",
    )
    env.pop("FLASK_DEBUG", None)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "--preload",  # a killed worker's replacement is forked ready (see above)
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,  # Ctrl-C reaches the bench, which stops it in order
        )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log}")
            if Browser(port, "en").request("GET", "/").status == 200:
                return proc, port
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {log}")
    except BaseException:
        stop_gunicorn(proc)
        raise


def stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    """Stop the master (SIGINT: gunicorn's quick shutdown); whatever is left of it is killed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the workers, if the master left any behind
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def workers_of(master: int, min_age: float = 0.0) -> list[int]:
    """The master's workers that have run ``min_age`` seconds or more (Linux /proc)."""
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except OSError:
        return []
    ticks = os.sysconf("SC_CLK_TCK")
    old = []
    for pid in (int(p) for p in text.split()):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        started = int(stat.rsplit(")", 1)[1].split()[19]) / ticks  # field 22: start time
        if uptime - started >= min_age:
            old.append(pid)
    return old


class Chaos(threading.Thread):
    """Every ``every`` seconds, in turn: SIGKILL one worker; end the app's database connections.

    Only a worker that has run MIN_WORKER_AGE seconds is killed: one still importing
    the app serves no request, and killing it tests nothing.
    """

    def __init__(self, master: int, admin: Any, database: str, every: float, until: float) -> None:
        super().__init__(daemon=True)
        self.until = until  # time.monotonic(): no new faults after, so the last respondents finish
        self.master = master
        self.admin = admin
        self.database = database
        self.every = every
        self.stop = threading.Event()
        self.killed_workers = 0
        self.terminated_backends = 0
        self.rng = random.Random(12)

    def run(self) -> None:
        import sqlalchemy as sa

        turn = 0
        while not self.stop.wait(self.every * self.rng.uniform(0.5, 1.5)):
            if time.monotonic() > self.until:
                return
            turn += 1
            if turn % 2:
                workers = workers_of(self.master, MIN_WORKER_AGE)
                if workers:
                    try:
                        os.kill(self.rng.choice(workers), signal.SIGKILL)
                        self.killed_workers += 1
                    except ProcessLookupError:
                        pass
                continue
            try:
                with self.admin.connect() as conn:
                    ended = conn.execute(
                        sa.text(
                            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                            "FROM pg_stat_activity WHERE datname = :db "
                            "AND pid <> pg_backend_pid()"
                        ),
                        {"db": self.database},
                    ).scalar_one()
                self.terminated_backends += int(ended)
            except Exception as error:  # noqa: BLE001 - the run goes on; say why
                print(f"chaos: could not end connections: {error}", file=sys.stderr)


def drive(
    plan: Plan,
    port: int,
    *,
    submissions: int,
    until: float,
    threads: int,
    tally: Tally,
    stop: threading.Event,
) -> list[Submission]:
    """Run the respondents from ``threads`` threads; none starts after ``until`` (monotonic)."""
    rng = random.Random(7)
    tickets = list(plan.tickets)
    invitations = list(plan.invitations)
    jobs: list[Callable[[], Submission]] = []

    def respond(kind: str, path: str, accept: str, **ids: int) -> Callable[[], Submission]:
        def job() -> Submission:
            sub = Submission(kind, LANGUAGES[accept], **ids)
            respondent = Respondent(port, accept, plan.markers, tally, stop)
            if kind == "invitation":
                respondent.invitation(path, plan.invitation_pages, sub)
            else:
                respondent.card(path, plan.card_answers, sub)
            return sub

        return job

    languages = list(LANGUAGES)
    for _ in range(submissions - len(tickets) - len(invitations)):
        jobs.append(respond("qr", f"/p/{plan.point_code}", rng.choice(languages)))
    for ticket_id, token in tickets:
        jobs.append(respond("ticket", f"/t/{token}", rng.choice(languages), ticket_id=ticket_id))
    for invitation_id, token, accept in invitations:
        jobs.append(respond("invitation", f"/i/{token}", accept, invitation_id=invitation_id))
    rng.shuffle(jobs)

    done: list[Submission] = []
    lock = threading.Lock()

    def worker() -> None:
        while not stop.is_set() and time.monotonic() < until:
            with lock:
                if not jobs:
                    return
                job = jobs.pop()
            sub = job()
            with lock:
                done.append(sub)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        while thread.is_alive():
            thread.join(timeout=0.5)
    return done


def stored_rows(url: str) -> list[StoredRow]:
    """The submitted responses (an invitation's unfinished draft is not one)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execute(
                sa.text(
                    "SELECT id, submission_key, ticket_id, invitation_id FROM response "
                    "WHERE submitted_at IS NOT NULL"
                )
            )
            return [StoredRow(*row) for row in result]
    finally:
        engine.dispose()


def report(
    verdict: Verdict,
    done: list[Submission],
    tally: Tally,
    chaos: Chaos,
    elapsed: float,
) -> None:
    kinds = Counter(sub.kind for sub in done)
    translated = sum(n for (_s, kind, _l), n in tally.five_xx.items() if kind == "translated_5xx")
    print(
        f"load run: {len(done)} submissions in {elapsed:.0f} s "
        f"({kinds['qr']} QR card, {kinds['ticket']} ticket, {kinds['invitation']} invitation); "
        f"{chaos.killed_workers} workers killed, "
        f"{chaos.terminated_backends} database connections terminated"
    )
    print(
        f"  connections broken {tally.seen['dropped']} (each: the same button pressed again, "
        f"{sum(sub.presses for sub in done)} requests in all)"
    )
    print(f"  5xx: {translated} translated pages, {verdict.untranslated_5xx} untranslated")
    for (status, kind, lang), n in sorted(tally.five_xx.items()):
        print(f"    {status} {kind.replace('_5xx', '')} {lang}: {n}")
    for sample in tally.samples:
        print(f"    e.g. {sample}")
    print(
        f"  accepted {verdict.accepted} = stored {verdict.stored}: "
        f"{'yes' if verdict.accepted == verdict.stored else 'NO'}"
    )
    print(
        f"  duplicates {verdict.duplicates}, lost {verdict.lost}, "
        f"unexplained {verdict.unexplained}, refused {verdict.refused} "
        f"(stored anyway {verdict.refused_but_stored}), abandoned {verdict.abandoned}, "
        f"untranslated 5xx {verdict.untranslated_5xx}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--submissions", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=45, help="none starts after")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chaos-every", type=float, default=2.0, help="seconds between faults")
    parser.add_argument(
        "--cold", action="store_true", help="leave the instrument versions to the first requests"
    )
    parser.add_argument("--keep-log", action="store_true", help="keep gunicorn's log and say where")
    args = parser.parse_args(argv)
    if not (BIN / "gunicorn").exists():
        print("bench_load skipped: gunicorn is not installed in this environment")
        return 0
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"bench_load_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - no PostgreSQL here: say so and skip
        print(f"bench_load skipped: PostgreSQL at {PG_ADMIN_URL} unavailable ({error})")
        admin.dispose()
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    log = workdir / "gunicorn.log"
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    failed, interrupted = True, False  # an error on the way keeps gunicorn's log
    try:
        failed = run(args, admin, name, log)
    except KeyboardInterrupt:
        failed, interrupted = False, True
        print("bench_load interrupted: gunicorn stopped, scratch database dropped")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if (failed or args.keep_log) and log.exists():
            print(f"gunicorn's log: {log}")
        else:
            log.unlink(missing_ok=True)
            workdir.rmdir()
    return 1 if failed or interrupted else 0


def run(args: argparse.Namespace, admin: Any, name: str, log: Path) -> bool:
    """Prepare, serve, answer under faults, compare and print; True when a check failed."""
    import sqlalchemy as sa

    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    began = time.monotonic()
    plan = prepare(
        url,
        tickets=max(1, args.submissions * 3 // 10),
        invitations=max(1, args.submissions // 6),
        cold=args.cold,
    )
    proc, port = start_gunicorn(url, args.workers, log)
    print(
        f"database {name} migrated and loaded, gunicorn ({args.workers} workers) answering, "
        f"in {time.monotonic() - began:.0f} s"
    )
    stop = threading.Event()
    started = time.monotonic()
    chaos = Chaos(proc.pid, admin, name, args.chaos_every, started + args.seconds)
    try:
        tally = Tally()
        chaos.start()
        done = drive(
            plan,
            port,
            submissions=args.submissions,
            until=started + args.seconds,
            threads=args.threads,
            tally=tally,
            stop=stop,
        )
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        chaos.stop.set()
        stop_gunicorn(proc)
    verdict = compare(done, stored_rows(url), tally.seen["untranslated_5xx"])
    report(verdict, done, tally, chaos, elapsed)
    print("  " + log_summary(log.read_text(errors="replace")))
    print("FAILED: " + "; ".join(verdict.failures) if verdict.failures else "OK")
    return bool(verdict.failures)


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
