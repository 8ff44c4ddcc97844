"""Migration a7d3c5e1f9b2 (atom hashes on monthly summary rows) fills the rows already stored.

Runs on a database of its own (SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set). Summary rows written before it (without hashes)
must get the hashes the app computes, or every table's fingerprint would be wrong.
"""

from __future__ import annotations

import datetime as dt

import conftest
import sqlalchemy as sa
from factories import gen_campaign, gen_response, gen_service_point, gen_unit
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.extensions import db
from survey.results.atom_hash import atom_hashes
from survey.results.running import disagreements

REVISION = "a7d3c5e1f9b2"
PREVIOUS = "9c1f2e3d4b5a"


def test_upgrade_fills_the_hashes_of_stored_rows(scratch_url):
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context():
        upgrade()
        unit = gen_unit("A", "单位甲")
        campaign = gen_campaign([unit], period_start=dt.date(2025, 1, 1),
                                period_end=dt.date(2025, 12, 31))
        point = gen_service_point(unit, "A-1")
        db.session.flush()
        for day, channel in ((3, "qr"), (4, "kiosk"), (40, "qr")):
            r = gen_response(campaign, unit=unit, channel=channel, answers={"overall": "satisfied"},
                             submitted_at=dt.datetime(2025, 1, 1, 2) + dt.timedelta(days=day))
            if channel == "qr":
                r.service_point_id = point.id
        db.session.commit()
        db.session.remove()

        downgrade(revision=PREVIOUS)
        upgrade(revision=REVISION)
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT channel, service_point_id, month, hash1, hash2 FROM monthly_summary"
            )).all()
        assert len(rows) >= 3
        for channel, point_id, month, first, second in rows:
            assert (first, second) == atom_hashes(channel, point_id, month)
        assert disagreements(db.session) == []
        db.session.remove()
        db.engine.dispose()
