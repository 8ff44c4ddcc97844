"""Migration 947b539f8161 (rating messages in the outbox) upgrades and downgrades with data.

Runs on a database of its own (SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set), so the session's migrated database is not touched.
"""

from __future__ import annotations

import conftest
import sqlalchemy as sa
from factories import gen_campaign, gen_contact, gen_followup_case, gen_group, gen_user
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.channels.sms import create_sms_invitations
from survey.extensions import db
from survey.followup.cases import rate_by_link, record_remedy
from survey.models import FollowUpCase, OutboundMessage

REVISION = "947b539f8161"
PREVIOUS = "3b86293578d6"


def _columns(table: str) -> dict[str, dict]:
    return {c["name"]: c for c in sa.inspect(db.engine).get_columns(table)}


def _constraint_names(table: str) -> set[str]:
    inspector = sa.inspect(db.engine)
    names = {c["name"] for c in inspector.get_check_constraints(table)}
    names |= {c["name"] for c in inspector.get_unique_constraints(table)}
    names |= {c["name"] for c in inspector.get_foreign_keys(table)}
    return names


def test_upgrade_and_downgrade_keep_the_invitation_messages(scratch_url):
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context():
        upgrade()
        outbox = _constraint_names("outbound_message")
        assert {
            "ck_outbound_message_one_owner",
            "uq_outbound_message_followup_case_id",
            "fk_outbound_message_followup_case_id_followup_case",
            "ck_outbound_message_state_known",
            "ck_outbound_message_attempts_not_negative",
            "uq_outbound_message_invitation_id_kind",
        } <= outbox
        assert _columns("outbound_message")["invitation_id"]["nullable"] is True

        # An invitation message, and a case rated on its link (so with a rating message).
        campaign = gen_campaign()
        create_sms_invitations(
            campaign, gen_group("deputy"), campaign.units[0], [gen_contact("王五")]
        )
        case = gen_followup_case()
        handler = gen_user("handler", unit_id=case.unit_id)
        message = record_remedy(case, "已补办", handler.id)
        db.session.commit()
        assert message is not None
        assert rate_by_link(case, "satisfied")
        case_id = case.id
        db.session.remove()

        downgrade(revision=PREVIOUS)
        columns = _columns("outbound_message")
        assert "followup_case_id" not in columns
        assert columns["invitation_id"]["nullable"] is False
        assert "ck_outbound_message_one_owner" not in _constraint_names("outbound_message")
        assert "ck_outbound_message_state_known" in _constraint_names("outbound_message")
        assert "rating_channel" not in _columns("followup_case")
        with db.engine.connect() as conn:
            kinds = conn.execute(sa.text("SELECT kind FROM outbound_message")).scalars().all()
        assert kinds == ["invitation"]  # the rating message had no place in the old schema

        upgrade(revision=REVISION)
        assert _columns("outbound_message")["invitation_id"]["nullable"] is True
        with db.engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == REVISION
        rated = db.session.get(FollowUpCase, case_id)
        # How it was rated was lost on the downgrade; ratings then were all by phone.
        assert (rated.fix_rating, rated.rating_channel) == ("satisfied", "phone")
        assert db.session.execute(sa.select(sa.func.count(OutboundMessage.id))).scalar() == 1
        db.session.remove()
        db.engine.dispose()
