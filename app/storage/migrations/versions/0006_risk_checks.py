"""Lookup's answers kept per number, and each verification's method and risk facts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ("method", "line_type", "sim_swap", "forwarding")


def upgrade():
    op.create_table(
        "lookups",
        sa.Column("number_hash", sa.String(64), primary_key=True),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("looked_up_at", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("verifications") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(16)))


def downgrade():
    with op.batch_alter_table("verifications") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
    op.drop_table("lookups")
