"""Migration 9828c17f7489 (username_key) fills the key of existing accounts, or stops and says why.

Runs on a database of its own, like tests/test_migration_rating.py.
"""

from __future__ import annotations

import conftest
import pytest
import sqlalchemy as sa
from alembic import command
from flask_migrate import downgrade, upgrade
from werkzeug.security import generate_password_hash

from survey import create_app
from survey.access.accounts import authenticate
from survey.extensions import db

REVISION = "9828c17f7489"
PREVIOUS = "947b539f8161"


def _add_users(*names: str) -> None:
    with db.engine.begin() as conn:
        for name in names:
            conn.execute(
                sa.text(
                    "INSERT INTO app_user (username, display_name, password_hash, role, active,"
                    " created_at) VALUES (:name, '', :hash, 'evaluator', :yes, :at)"
                ),
                {"name": name, "hash": _HASH, "yes": True, "at": "2025-01-01 00:00:00"},
            )


def _keys() -> dict[str, str]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT username, username_key FROM app_user")).all()
    return dict(rows)


def test_existing_accounts_get_their_key_and_sign_in_however_typed(scratch_url):  # noqa: F811
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context():
        upgrade(revision=PREVIOUS)
        _add_users("ＺｈａｎｇＷｅｉ", "Иван", "plain")
        with db.engine.begin() as conn:  # a row that points at an account (SQLite's batch)
            conn.execute(
                sa.text(
                    "INSERT INTO audit_event (at, user_id, actor, action, entity)"
                    " VALUES ('2025-01-01 00:00:00', 1, 'x', 'user.create', 'user')"
                )
            )
        upgrade(revision=REVISION)
        assert _keys() == {"ＺｈａｎｇＷｅｉ": "zhangwei", "Иван": "иван", "plain": "plain"}
        upgrade()  # the model as it is now, for authenticate
        assert authenticate("ZhangWei", _PASSWORD) is not None
        assert authenticate("иван", _PASSWORD) is not None
        db.session.remove()
        downgrade(revision=PREVIOUS)
        assert "username_key" not in {
            c["name"] for c in sa.inspect(db.engine).get_columns("app_user")
        }
        db.engine.dispose()


def test_two_accounts_of_one_name_stop_the_upgrade_and_are_named(scratch_url):  # noqa: F811
    app = create_app(conftest.test_config(scratch_url))
    with app.app_context():
        upgrade(revision=PREVIOUS)
        _add_users("ＺｈａｎｇＷｅｉ", "zhangwei")
        # Alembic itself, for the error (flask db upgrade prints it and exits 1).
        config = app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError) as refused:
            command.upgrade(config, REVISION)
        assert "'ＺｈａｎｇＷｅｉ' (id 1) and 'zhangwei' (id 2) are one name" in str(refused.value)
        with db.engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert version == PREVIOUS  # nothing changed: rename one, then upgrade again
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE app_user SET username = 'zhangwei2' WHERE id = 2"))
        upgrade(revision=REVISION)
        assert _keys() == {"ＺｈａｎｇＷｅｉ": "zhangwei", "zhangwei2": "zhangwei2"}
        db.session.remove()
        db.engine.dispose()


_PASSWORD = "correct horse battery"
_HASH = generate_password_hash(_PASSWORD)
