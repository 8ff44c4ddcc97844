"""Test fixtures in the Flask tutorial's shape: ``app``, ``client``, ``runner``.

The database is made once per test session by running the real migrations (so
they are tested too), on SQLite by default or on PostgreSQL when
TEST_DATABASE_URL is set; there each session gets a database of its own, so
parallel runs never meet. Rows are deleted after each test.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from survey import create_app
from survey.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


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
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(test_config(database_url))
    with app.app_context():
        yield app
        db.session.remove()
        _delete_all_rows()
        db.engine.dispose()


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
