"""a fix's renewed rounds after a look-back that found it not rectified

A look-back (回头看) that finds a fix partly or not rectified no longer ends it:
the fix goes on as a new round, a ``required_fix`` row of its own that
``follows_id`` the round before it (at most one round follows another), with
the same opinion, position and text and a new deadline; ``round`` numbers them
(1 for the fix as the opinion required it). The number of a fix is now unique
per round, and the CHECK ``round_follows`` ties a round after the first to the
round it follows. Every fix stored so far is its first round.

Downgrade deletes the renewed rounds (the old schema has one row per fix), with
their reports and look-backs; the first round keeps its look-back, so the fix
reads as closed with that outcome, as it did before this revision. The
documents of the deleted reports stay in SURVEY_EVIDENCE_DIR, named by no row.

Revision ID: 85e36721a6c5
Revises: a7d3c5e1f9b2
Create Date: 2026-12-03 09:06:00.027274

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '85e36721a6c5'
down_revision = 'a7d3c5e1f9b2'
branch_labels = None
depends_on = None

ROUND_FOLLOWS = (
    "(round = 1 AND follows_id IS NULL) OR (round > 1 AND follows_id IS NOT NULL)"
)


def upgrade():
    # On SQLite the batch recreates the table; its named constraints and indexes are kept.
    with op.batch_alter_table('required_fix', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('follows_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_required_fix_opinion_id_position'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_required_fix_follows_id'), ['follows_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_required_fix_opinion_id_position_round'), ['opinion_id', 'position', 'round'])
        batch_op.create_foreign_key(batch_op.f('fk_required_fix_follows_id_required_fix'), 'required_fix', ['follows_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_required_fix_round_follows'), ROUND_FOLLOWS)


def downgrade():
    # Every later round at once (each follows another later round or the first), so no
    # row is left naming a deleted one when the statement ends.
    op.execute("DELETE FROM required_fix WHERE follows_id IS NOT NULL")
    with op.batch_alter_table('required_fix', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_required_fix_round_follows'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_required_fix_follows_id_required_fix'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_required_fix_opinion_id_position_round'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_required_fix_follows_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_required_fix_opinion_id_position'), ['opinion_id', 'position'])
        batch_op.drop_column('follows_id')
        batch_op.drop_column('round')
