"""Verification records and lockout counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("number_masked", sa.String(32), nullable=False),
        sa.Column("number_hash", sa.String(64)),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("stir_verstat", sa.String(64)),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("resends", sa.Integer, nullable=False),
        sa.Column("silences", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("reason", sa.String(32)),
    )
    op.create_index("ix_verifications_call_sid", "verifications", ["call_sid"])
    op.create_index("ix_verifications_number_hash", "verifications", ["number_hash"])
    op.create_index("ix_verifications_started_at", "verifications", ["started_at"])
    op.create_table(
        "lockouts",
        sa.Column("number_hash", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime, nullable=False),
    )


def downgrade():
    op.drop_table("lockouts")
    op.drop_table("verifications")
