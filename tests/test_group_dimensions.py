"""Every respondent group belongs to one dimension: service users, stakeholders or staff.

Figures of different dimensions are never pooled (issue 10), so the dimension is
stored with the group: the shipped groups get theirs when made and when the
migration (ad0c01c7ec62) runs on an existing database.
"""

from __future__ import annotations

import conftest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.extensions import db
from survey.models import GROUP_CODES, GROUP_DIMENSIONS, Group
from survey.setup.groups import add_group

REVISION = "ad0c01c7ec62"
PREVIOUS = "35d9e95036b9"


def test_shipped_groups_fall_into_the_three_dimensions() -> None:
    assert set(GROUP_DIMENSIONS) == set(GROUP_CODES)
    by_dimension: dict[str, set[str]] = {}
    for code, dimension in GROUP_DIMENSIONS.items():
        by_dimension.setdefault(dimension, set()).add(code)
    assert by_dimension == {
        "service_users": {"service_user", "public"},
        "staff": {"staff"},
        "stakeholders": {"deputy", "cppcc", "retiree", "expert", "supervisor", "party"},
    }


def test_a_group_made_in_the_app_carries_its_dimension(app) -> None:
    db.session.add(Group(code="public", position=0))
    add_group("staff")
    add_group("deputy")
    db.session.commit()
    stored = dict(db.session.execute(sa.select(Group.code, Group.dimension)).all())
    assert stored == {"public": "service_users", "staff": "staff", "deputy": "stakeholders"}


def test_the_migration_gives_existing_groups_their_dimension(scratch_url) -> None:
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context():
        upgrade(revision=PREVIOUS)
        with db.engine.begin() as conn:
            for position, code in enumerate(GROUP_CODES):
                conn.execute(
                    sa.text("INSERT INTO respondent_group (code, position) VALUES (:c, :p)"),
                    {"c": code, "p": position},
                )
        upgrade(revision=REVISION)
        with db.engine.connect() as conn:
            query = sa.text("SELECT code, dimension FROM respondent_group")
            stored = dict(conn.execute(query).all())
        assert stored == GROUP_DIMENSIONS
        downgrade(revision=PREVIOUS)
        with db.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("respondent_group")}
        assert "dimension" not in columns
        db.engine.dispose()
