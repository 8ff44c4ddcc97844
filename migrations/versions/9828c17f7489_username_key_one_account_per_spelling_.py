"""username key: one account per spelling of a name

``app_user.username_key`` holds the username after NFKC and case folding:
sign-in looks it up and it is unique, so ＺｈａｎｇＷｅｉ (full-width, as a
Chinese input method may type it), ZhangWei and zhangwei are one account, and
Cyrillic or Greek capitals match on SQLite too (its lower() is ASCII-only).

Existing rows get their key here, computed by a copy of the function as it was
when this revision was written (a migration must not change with the app). If
two existing usernames are one name once normalised, the upgrade stops and
names them: merging accounts is a decision for an administrator, not for a
migration. Rename one (UPDATE app_user SET username = ... WHERE id = ...) and
run the upgrade again.

Revision ID: 9828c17f7489
Revises: 947b539f8161
Create Date: 2026-11-25 11:07:39.470864

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9828c17f7489'
down_revision = '947b539f8161'
branch_labels = None
depends_on = None

KEY_LENGTH = 80


def _key(username):
    folded = unicodedata.normalize("NFKC", username.strip()).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def upgrade():
    conn = op.get_bind()
    users = sa.table(
        'app_user', sa.column('id', sa.Integer()), sa.column('username', sa.String()),
        sa.column('username_key', sa.String()),
    )
    # Checked before the table changes, so a refused upgrade leaves it as it was.
    rows = conn.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)).all()
    by_key = {}
    for user_id, username in rows:
        by_key.setdefault(_key(username), []).append((user_id, username))
    problems = [
        "usernames " + " and ".join(f"{name!r} (id {user_id})" for user_id, name in names)
        + " are one name once normalised; rename all but one"
        for names in by_key.values() if len(names) > 1
    ] + [
        f"username {name!r} (id {user_id}) is longer than {KEY_LENGTH} characters "
        "once normalised; rename it"
        for key, names in by_key.items() if len(key) > KEY_LENGTH for user_id, name in names
    ]
    if problems:
        raise RuntimeError(
            "cannot add app_user.username_key:\n  " + "\n  ".join(problems)
            + "\n(UPDATE app_user SET username = '...' WHERE id = ...; then upgrade again)"
        )

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_key', sa.String(length=KEY_LENGTH), nullable=True))
    for key, ((user_id, _name),) in by_key.items():
        conn.execute(users.update().where(users.c.id == user_id).values(username_key=key))
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.alter_column('username_key', existing_type=sa.String(length=KEY_LENGTH),
                              nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_app_user_username_key'), ['username_key'])


def downgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_app_user_username_key'), type_='unique')
        batch_op.drop_column('username_key')
