"""Merge the heads of the campaign weighting policy and the scorecard (landed side by side)

Revision ID: 0f1e2d3c4b5a
Revises: 0d84ba8c02b8, f0b80e652c06
Create Date: 2026-12-02 14:10:00

"""

revision = "0f1e2d3c4b5a"
down_revision = ("0d84ba8c02b8", "f0b80e652c06")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the two branches touch different tables."""


def downgrade() -> None:
    """Nothing to change."""
