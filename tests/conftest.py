"""Test fixtures in the Flask tutorial's shape: ``app``, ``client``, ``runner``, and the rest.

The database is made once per test session by running the real migrations (so
they are tested too), on SQLite by default or on PostgreSQL when
TEST_DATABASE_URL is set; each session (each pytest-xdist worker) gets a
database of its own, so parallel runs never meet. Rows are deleted after each
test.

Every fixture more than one test module uses lives here (``rapp``,
``fake_twilio``, ``scratch_url``, ``live_server``); helper functions live in
plain modules (factories, respondent, fake_twilio, tools_support).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from fake_twilio import FakeTwilio
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.serving import make_server

from survey import create_app
from survey.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
TRANSLATIONS = Path(__file__).resolve().parent.parent / "survey" / "translations"


def pytest_configure(config: pytest.Config) -> None:
    """Compile the Babel catalogs that have no .mo yet, so `pytest` works without `make`.

    Each xdist worker may get here at once: a catalog is compiled to a file of
    the worker's own and moved into place, so no worker reads a half-written one.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        partial = mo.with_name(f".messages-{os.getpid()}.mo")
        with partial.open("wb") as target:
            write_mo(target, catalog)
        partial.replace(mo)


def _pg_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated database for this test session."""
    if PG_URL:
        base = sa.make_url(_pg_url(PG_URL))
        name = f"survey_test_{os.getpid()}_{secrets.token_hex(3)}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        try:
            _migrate(url)
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        folder = tempfile.mkdtemp(prefix="survey-test-")
        url = "sqlite:///" + str(Path(folder) / "test.sqlite")
        try:
            _migrate(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def test_config(url: str, **extra: object) -> dict[str, object]:
    config: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "SURVEY_BASE_URL": "http://survey.test",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    config.update(extra)
    return config


@pytest.fixture
def app(database_url: str, request: pytest.FixtureRequest) -> Iterator[Flask]:
    app = create_app(test_config(database_url))
    with app.app_context():
        yield app
        db.session.rollback()
        try:
            if not request.node.get_closest_marker("summaries_may_differ"):
                _check_running_summaries()
        finally:
            db.session.remove()
            _delete_all_rows()
            db.engine.dispose()


def _check_running_summaries() -> None:
    """After every test, whatever it changed: the monthly summaries equal the responses'.

    Results read only the running summaries, so a change that forgot them would
    publish stale figures; every test is a check of that, as `flask survey
    summaries check` is in production.
    """
    from survey.results.running import disagreements

    problems = disagreements(db.session)
    db.session.rollback()
    if problems:
        pytest.fail("running summaries differ from the responses:\n" + "\n".join(problems[:10]))


def _delete_all_rows() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def calling_hours() -> Iterator[None]:
    """10:00 on an ordinary Tuesday in Shanghai: calls allowed, whatever day and hour the tests run.

    Outside a campaign's calling hours (its lunch break, 12:00-14:00, say) "Next call"
    rightly opens no case: a test that presses it must not depend on the hour it runs.
    """
    with time_machine.travel(dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC), tick=True):
        yield


@pytest.fixture
def rapp(app: Flask) -> Iterator[Flask]:
    """The app with CSRF off (tests that need it turn it back on) and a roomy rate limit."""
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["SURVEY_POINT_RATE_LIMIT"] = "1000 per minute"
    yield app


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A stand-in for Twilio's REST API on a port of its own (tests/fake_twilio.py)."""
    fake = FakeTwilio().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own, for migrations run up and down with data."""
    if not PG_URL:
        yield "sqlite:///" + str(tmp_path / "migration.sqlite")
        return
    base = sa.make_url(_pg_url(PG_URL))
    name = f"survey_migration_{os.getpid()}_{secrets.token_hex(3)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class LiveServer:
    """The app served over HTTP for a real browser; ``url`` is its base address."""

    url: str
    port: int


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The test's app on 127.0.0.1, on a port the operating system picked (port 0).

    The socket is bound before the port is read, so no other process can take
    the port in between. SURVEY_BASE_URL is the server's address, so links,
    QR codes and SMS bodies made in the test lead to it.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["SURVEY_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, port=server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
