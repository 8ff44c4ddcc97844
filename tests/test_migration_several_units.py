"""Migration 6a1d2e3f4b5c (one link for several units) keeps single-unit invitations working.

Runs on a database of its own (SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set), so the session's migrated database is not touched.
"""

from __future__ import annotations

import conftest
import sqlalchemy as sa
from factories import gen_campaign, gen_contact, gen_invitation
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.extensions import db

REVISION = "6a1d2e3f4b5c"
PREVIOUS = "1a2b3c4d5e6f"


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_an_invitation_made_before_the_migration_still_opens_its_questionnaire(scratch_url):
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context():
        upgrade()
        campaign = gen_campaign()
        _invitation, token = gen_invitation(campaign, "deputy", contact=gen_contact())
        db.session.commit()
        db.session.remove()

        downgrade(revision=PREVIOUS)
        assert "lead_id" not in _columns("invitation")
        upgrade()
        assert "lead_id" in _columns("invitation")
        with db.engine.connect() as conn:
            leads = conn.execute(sa.text("SELECT lead_id FROM invitation")).scalars().all()
        assert leads == [None]  # a lead of itself alone: one unit, as before

        page = app.test_client().get(f"/i/{token}")
        assert page.status_code == 200
        assert 'name="page"' in page.text and 'id="unit-step"' not in page.text
        db.session.remove()
        db.engine.dispose()  # no connection left open when the scratch database is dropped
