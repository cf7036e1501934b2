"""Accounts for verification by account: the account number's keyed hash and the phone on file, encrypted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "accounts",
        sa.Column("account_hash", sa.String(64), primary_key=True),
        sa.Column("phone_encrypted", sa.String(255), nullable=False),
        sa.Column("phone_masked", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade():
    op.drop_table("accounts")
