"""test calls of a draft campaign

A draft campaign's phone script is tried in the operator console through a test
call, whose invitation is marked test (no contact; deleted when the campaign
opens). Every invitation that exists already is real.

Revision ID: 8e4b2d0a6c31
Revises: 7d3a1c9e5b20
Create Date: 2026-12-02 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e4b2d0a6c31'
down_revision = '7d3a1c9e5b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('test', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_column('test')
