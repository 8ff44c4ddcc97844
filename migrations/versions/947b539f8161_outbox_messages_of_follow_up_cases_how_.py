"""outbox messages of follow-up cases; how a fix was rated

An outbox message now belongs to exactly one of an invitation or a follow-up
case (the SMS that asks a respondent to rate the fix of their bad review):
``invitation_id`` becomes nullable, ``followup_case_id`` is new (one message
per case at most) and the CHECK ``one_owner`` allows exactly one of the two.
``followup_case.rating_channel`` says whether a rating was heard by phone or
given on the link; ratings recorded before this revision were all by phone.

Downgrade deletes the rating messages (the old schema has no place for a
message without an invitation) and forgets how ratings were given.

Revision ID: 947b539f8161
Revises: 3b86293578d6
Create Date: 2026-11-25 09:20:25.355171

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '947b539f8161'
down_revision = '3b86293578d6'
branch_labels = None
depends_on = None

ONE_OWNER = (
    "(invitation_id IS NOT NULL AND followup_case_id IS NULL)"
    " OR (invitation_id IS NULL AND followup_case_id IS NOT NULL)"
)


def upgrade():
    with op.batch_alter_table('followup_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_channel', sa.String(length=8), nullable=True))
    op.execute(
        "UPDATE followup_case SET rating_channel = 'phone' WHERE fix_rating IS NOT NULL"
    )

    # On SQLite the batch recreates the table (a column becomes nullable, constraints
    # are added); the named CHECKs, indexes and constraints already there are kept.
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_case_id', sa.Integer(), nullable=True))
        batch_op.alter_column('invitation_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_outbound_message_followup_case_id'), ['followup_case_id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbound_message_followup_case_id_followup_case'), 'followup_case', ['followup_case_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_outbound_message_one_owner'), ONE_OWNER)


def downgrade():
    op.execute("DELETE FROM outbound_message WHERE invitation_id IS NULL")
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbound_message_one_owner'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_outbound_message_followup_case_id_followup_case'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outbound_message_followup_case_id'), type_='unique')
        batch_op.alter_column('invitation_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('followup_case_id')

    with op.batch_alter_table('followup_case', schema=None) as batch_op:
        batch_op.drop_column('rating_channel')
