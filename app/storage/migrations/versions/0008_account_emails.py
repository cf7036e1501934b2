"""An email address on file for accounts, encrypted as the phone is, and masked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("email_encrypted", sa.String(512)))
        batch.add_column(sa.Column("email_masked", sa.String(320)))


def downgrade():
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("email_masked")
        batch.drop_column("email_encrypted")
