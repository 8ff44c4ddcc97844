"""Migration 7d3a1c9e5b20 (campaign drafts, test answers): every existing campaign stays open.

Runs on a database of its own (SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set), so the session's migrated database is not touched.
"""

from __future__ import annotations

import conftest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.extensions import db

REVISION = "7d3a1c9e5b20"
PREVIOUS = "c505214513b3"


def test_existing_campaigns_stay_open_and_their_answers_real(scratch_url):
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context():
        upgrade(revision=PREVIOUS)
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO campaign (code, name, period_start, period_end, timezone,"
                    " channels, cap_at_target, created_at)"
                    " VALUES ('old', '旧测评', '2025-01-01', '2025-12-31', 'Asia/Shanghai',"
                    " 'qr', false, '2025-01-01 00:00:00')"
                )
            )
        upgrade(revision=REVISION)
        with db.engine.connect() as conn:
            drafts = conn.execute(sa.text("SELECT draft FROM campaign")).scalars().all()
        assert [bool(d) for d in drafts] == [False]
        columns = {c["name"]: c for c in sa.inspect(db.engine).get_columns("response")}
        assert columns["test"]["nullable"] is False
        downgrade(revision=PREVIOUS)
        assert "draft" not in {c["name"] for c in sa.inspect(db.engine).get_columns("campaign")}
        upgrade()  # and the test calls' mark (8e4b2d0a6c31): every invitation real
        columns = {c["name"]: c for c in sa.inspect(db.engine).get_columns("invitation")}
        assert columns["test"]["nullable"] is False
        db.engine.dispose()
