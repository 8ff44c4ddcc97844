"""SMS sender signatures (【签名】): a campaign's, and a unit's own that overrides it.

Revision ID: 7b2e3f4a5c6d
Revises: 6f3680272da0
Create Date: 2026-12-02 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b2e3f4a5c6d'
down_revision = '6f3680272da0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_signature', sa.String(length=12), nullable=True))
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_signature', sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('sms_signature')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('sms_signature')
