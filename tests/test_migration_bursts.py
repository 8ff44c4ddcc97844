"""Migration 38e279cd18e8 (bursts) makes the cards flagged by the earlier rule reviewable.

Runs on a database of its own, like tests/test_migration_username_key.py.
"""

from __future__ import annotations

import conftest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.extensions import db

REVISION = "38e279cd18e8"
PREVIOUS = "c24dd7abd6e1"


def _sql(statement: str, **params: object) -> list[tuple]:
    with db.engine.begin() as conn:
        result = conn.execute(sa.text(statement), params)
        return [tuple(row) for row in result] if result.returns_rows else []


def test_cards_flagged_before_become_held_bursts_one_per_client(scratch_url):
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context():
        upgrade(revision=PREVIOUS)
        _sql("INSERT INTO unit (id, code, name) VALUES (1, 'u', '单位')")
        _sql("INSERT INTO service_point (id, unit_id, code, name) VALUES (1, 1, 'p', '窗口')")
        _sql("INSERT INTO respondent_group (id, code, position) VALUES (1, 'service_user', 0)")
        _sql(
            "INSERT INTO campaign (id, code, name, period_start, period_end, timezone, channels,"
            " cap_at_target, point_group_id, created_at) VALUES (1, 'c', '测评', '2025-01-01',"
            " '2025-12-31', 'Asia/Shanghai', 'qr', :no, 1, '2025-01-01 00:00:00')",
            no=False,
        )
        _sql(
            "INSERT INTO instrument_version (id, instrument_id, version, source, loaded_at)"
            " VALUES (1, 'post-service-card', 'h', '', '2025-01-01 00:00:00')"
        )
        rows = [("a", True, "05"), ("a", True, "06"), ("b", True, "07"), ("a", False, "08")]
        for n, (client, flagged, minute) in enumerate(rows, start=1):
            _sql(
                "INSERT INTO response (id, campaign_id, unit_id, service_point_id, group_id,"
                " channel, instrument_version_id, language, started_at, submitted_at, flagged,"
                " client_hash) VALUES (:id, 1, 1, 1, 1, 'qr', 1, 'zh_Hans', :at, :at, :flagged,"
                " :client)",
                id=n,
                at=f"2025-03-03 10:{minute}:00",
                flagged=flagged,
                client=client,
            )
        upgrade(revision=REVISION)
        bursts = _sql(
            "SELECT id, source_key, cards, status, first_at FROM burst ORDER BY source_key"
        )
        assert [(b[1], b[2], b[3]) for b in bursts] == [("a", 2, "held"), ("b", 1, "held")]
        members = dict(_sql("SELECT id, burst_id FROM response ORDER BY id"))
        assert members == {1: bursts[0][0], 2: bursts[0][0], 3: bursts[1][0], 4: None}
        downgrade(revision=PREVIOUS)
        assert "burst" not in sa.inspect(db.engine).get_table_names()
        # The scratch database is dropped after the test: close the pool's connections
        # first, or PostgreSQL ends them under the pool and they are never closed.
        db.engine.dispose()
