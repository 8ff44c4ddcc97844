"""monthly summary rows keep the two hashes of their atom that table fingerprints add up

Disclosure control's table fingerprints (survey.results.table_counts) are sums of
n x hash over a table's rows; working the hashes out in every read doubled the read
at 10 million responses. The upgrade fills them for the rows already stored, with the
same arithmetic as survey.results.atom_hash (repeated here: a migration does not
import the app).

Revision ID: a7d3c5e1f9b2
Revises: 9c1f2e3d4b5a
Create Date: 2026-12-02 22:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3c5e1f9b2'
down_revision = '9c1f2e3d4b5a'
branch_labels = None
depends_on = None

PRIME = 2_147_483_629
CHANNELS = ("qr", "ticket", "kiosk", "link", "sms", "paper", "phone", "ivr")


def upgrade():
    with op.batch_alter_table('monthly_summary', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hash1', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('hash2', sa.BigInteger(), server_default='0', nullable=False))
    summary = sa.table(
        'monthly_summary',
        sa.column('channel', sa.String),
        sa.column('service_point_id', sa.Integer),
        sa.column('month', sa.String),
        sa.column('hash1', sa.BigInteger),
        sa.column('hash2', sa.BigInteger),
    )
    index = sa.case(*((summary.c.channel == c, i + 1) for i, c in enumerate(CHANNELS)), else_=0)
    month = sa.cast(sa.func.substr(summary.c.month, 1, 4), sa.Integer) * 12 + sa.cast(
        sa.func.substr(summary.c.month, 6, 2), sa.Integer
    )
    slot = sa.cast(sa.func.coalesce(summary.c.service_point_id, 0), sa.BigInteger) * 16 + index
    y = (slot * 100_000 + month) % PRIME
    op.execute(
        summary.update().values(
            hash1=(y * y + y * 7_919 + 104_729) % PRIME,
            hash2=(y * y + y * 1_299_709 + 15_485_863) % PRIME,
        )
    )


def downgrade():
    with op.batch_alter_table('monthly_summary', schema=None) as batch_op:
        batch_op.drop_column('hash2')
        batch_op.drop_column('hash1')
