"""The landlines to call back: one row per callback promised, at most one pending per number.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_sid", sa.String(64), nullable=False, unique=True),
        sa.Column("callback_sid", sa.String(64), unique=True),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("called", sa.String(32), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "callbacks_one_pending_per_number",
        "callbacks",
        ["number_hash"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade():
    op.drop_index("callbacks_one_pending_per_number", table_name="callbacks")
    op.drop_table("callbacks")
