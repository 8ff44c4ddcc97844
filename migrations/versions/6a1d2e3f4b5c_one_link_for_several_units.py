"""One link for several units: an invitation may point to the lead whose link it shares.

A deputy asked about three institutions has three invitations (one response
each, each counted in its unit's response rates); the first is the lead whose
token is sent, the others point to it. Existing invitations are leads of
themselves alone (lead_id NULL) and keep working unchanged.

Revision ID: 6a1d2e3f4b5c
Revises: 1a2b3c4d5e6f
Create Date: 2026-12-02 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a1d2e3f4b5c'
down_revision = '1a2b3c4d5e6f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_invitation_lead_id'), ['lead_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_invitation_lead_id_invitation'), 'invitation', ['lead_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitation_lead_id_invitation'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invitation_lead_id'))
        batch_op.drop_column('lead_id')
