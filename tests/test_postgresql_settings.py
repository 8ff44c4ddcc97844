"""The app's PostgreSQL connections: no JIT and no parallel workers (survey/__init__.py).

Both cost more than they save on the app's queries, each well under a second
(README, Performance and scale); a deployment's own connect_args replace them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from survey import create_app
from survey.extensions import db


def test_connections_run_without_jit_or_parallel_workers(app, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL (TEST_DATABASE_URL): SQLite has neither setting")
    jit = db.session.execute(text("SHOW jit")).scalar_one()
    workers = db.session.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one()
    assert (jit, workers) == ("off", "0")


def test_a_deployment_s_own_connect_args_replace_them():
    own = {"connect_args": {"application_name": "survey-own"}}
    made = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SQLALCHEMY_ENGINE_OPTIONS": own,
            "SECRET_KEY": "settings-test-secret-0123",
            "TESTING": True,
        }
    )
    assert made.config["SQLALCHEMY_ENGINE_OPTIONS"] == own
