"""campaign drafts and test answers

A campaign made on the set-up pages is a draft until an administrator opens it;
answers given in test mode while it is a draft are marked test. Every campaign
that exists already stays open (draft false), every answer stays real.

Revision ID: 7d3a1c9e5b20
Revises: c505214513b3
Create Date: 2026-12-02 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d3a1c9e5b20'
down_revision = 'c505214513b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('draft', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('test', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('test')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('draft')
