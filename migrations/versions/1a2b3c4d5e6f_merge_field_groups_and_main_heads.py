"""Merge the heads of the groups' questionnaires per channel and own groups with main's

Revision ID: 1a2b3c4d5e6f
Revises: 0f1e2d3c4b5a, df7264afdee9
Create Date: 2026-12-02 14:15:00

"""

revision = "1a2b3c4d5e6f"
down_revision = ("0f1e2d3c4b5a", "df7264afdee9")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the branches touch different tables."""


def downgrade() -> None:
    """Nothing to change."""
