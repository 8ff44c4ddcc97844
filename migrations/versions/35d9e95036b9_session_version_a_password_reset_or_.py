"""session version: a password reset or role change ends sessions

``app_user.session_version`` is part of every session (User.get_id) and is
raised when an account's password is reset or its role changes; the user
loader refuses a session of an older version. Existing accounts start at 0.
Sessions made before this revision keep only the id, so everyone signs in once
more after the upgrade.

Revision ID: 35d9e95036b9
Revises: 9828c17f7489
Create Date: 2026-11-25 11:11:26.253351

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '35d9e95036b9'
down_revision = '9828c17f7489'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
