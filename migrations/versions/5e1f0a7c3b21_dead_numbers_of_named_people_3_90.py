"""dead numbers of named people: unknown eligibility (3.90), not RDD's 4.31

Revision ID: 5e1f0a7c3b21
Revises: ad0c01c7ec62
Create Date: 2026-12-02 12:30:00

A number not in service says nothing about a named person's eligibility
(survey.channels.phone): the attempts already recorded under RDD's 4.31 get
the code they now count under, so the history and the rates agree.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a7c3b21'
down_revision = 'ad0c01c7ec62'
branch_labels = None
depends_on = None

attempt = sa.table(
    "call_attempt", sa.column("disposition", sa.String), sa.column("aapor_code", sa.String)
)


def upgrade():
    op.execute(
        attempt.update()
        .where(attempt.c.disposition == "not_in_service")
        .values(aapor_code="3.90")
    )


def downgrade():
    op.execute(
        attempt.update()
        .where(attempt.c.disposition == "not_in_service")
        .values(aapor_code="4.31")
    )
