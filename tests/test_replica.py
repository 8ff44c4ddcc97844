"""Results read their sums from a read replica when one is set (SURVEY_REPLICA_DATABASE_URL).

The replica here is a SQLite database holding a copy of the primary's rows,
made when the test says so: a copy taken before a card shows the figures
without it, which only a read on the replica can do. A transaction that has
written reads the primary, so its own change shows at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from factories import gen_campaign, gen_response, gen_unit
from flask_migrate import upgrade

from survey import create_app
from survey.extensions import db
from survey.results import satisfaction

IND = "satisfaction.overall"


@pytest.fixture
def replica(tmp_path: Path):
    """An empty, migrated SQLite database, and a function that copies the primary into it."""
    url = f"sqlite:///{tmp_path / 'replica.sqlite'}"
    builder = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with builder.app_context():
        upgrade()
        db.engine.dispose()
    engine = sa.create_engine(url)

    def copy() -> None:
        with engine.begin() as target:
            for table in reversed(db.metadata.sorted_tables):
                target.execute(table.delete())
            for table in db.metadata.sorted_tables:
                rows = [dict(r._mapping) for r in db.session.execute(sa.select(table))]
                if rows:
                    target.execute(table.insert(), rows)

    yield url, copy
    engine.dispose()


def _overall(campaign) -> int:
    rows = satisfaction(campaign, by=("unit",), indicator=IND, k=3)
    return rows[0].n


def test_results_read_the_replica_and_a_writing_transaction_reads_the_primary(app, replica):
    url, copy = replica
    unit = gen_unit("A", "单位甲")
    campaign = gen_campaign([unit], groups={"service_user": {"weight": 1, "population": 100}},
                            period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))
    for day in range(1, 7):
        gen_response(campaign, answers={"overall": "satisfied"},
                     submitted_at=dt.datetime(2025, 3, day, 2))
    db.session.commit()
    copy()
    statements: list[str] = []
    app.config["SURVEY_REPLICA_DATABASE_URL"] = url
    try:
        from survey.results.replica import _replica_engine

        sa.event.listen(_replica_engine(url), "before_cursor_execute",
                        lambda *args: statements.append(args[2]))
        assert _overall(campaign) == 6
        assert any("monthly_summary" in s for s in statements)
        gen_response(campaign, answers={"overall": "satisfied"},
                     submitted_at=dt.datetime(2025, 3, 9, 2))
        db.session.commit()
        assert _overall(campaign) == 6  # the replica has not caught up yet
        gen_response(campaign, answers={"overall": "satisfied"},
                     submitted_at=dt.datetime(2025, 3, 10, 2))
        db.session.flush()  # this transaction wrote: it reads its own change on the primary
        assert _overall(campaign) == 8
        db.session.commit()
        copy()  # the replica catches up
        assert _overall(campaign) == 8
    finally:
        app.config["SURVEY_REPLICA_DATABASE_URL"] = None
        app.extensions.pop("survey.replica_engine")[1].dispose()
    assert _overall(campaign) == 8


def test_a_postgresql_replica_url_is_spelled_for_psycopg(monkeypatch):
    monkeypatch.setenv("SURVEY_REPLICA_DATABASE_URL", "postgres://reader@replica:5432/survey")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SURVEY_REPLICA_DATABASE_URL"] == (
        "postgresql+psycopg://reader@replica:5432/survey")
