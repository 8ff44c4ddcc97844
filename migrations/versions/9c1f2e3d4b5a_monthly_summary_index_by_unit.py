"""monthly summaries indexed by campaign, unit and indicator: a unit's page reads its own rows

Revision ID: 9c1f2e3d4b5a
Revises: 64183fc6b489
Create Date: 2026-12-02 21:35:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9c1f2e3d4b5a'
down_revision = '64183fc6b489'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('monthly_summary', schema=None) as batch_op:
        batch_op.create_index(
            'ix_monthly_summary_campaign_unit', ['campaign_id', 'unit_id', 'indicator'], unique=False
        )


def downgrade():
    with op.batch_alter_table('monthly_summary', schema=None) as batch_op:
        batch_op.drop_index('ix_monthly_summary_campaign_unit')
