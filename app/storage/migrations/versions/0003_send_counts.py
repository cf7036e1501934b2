"""Codes sent per clock hour, counted across workers and dynos against MAX_SENDS_PER_HOUR.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "send_counts",
        sa.Column("hour_start", sa.DateTime, primary_key=True),
        sa.Column("sends", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("send_counts")
