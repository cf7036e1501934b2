"""Supervisors by name, each with a password hash, and the audit log of what they did on the page.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "supervisors",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False, server_default=""),
        sa.Column("subject_hash", sa.String(64)),
        sa.Column("address", sa.String(64), nullable=False, server_default=""),
    )


def downgrade():
    op.drop_table("audit_log")
    op.drop_table("supervisors")
