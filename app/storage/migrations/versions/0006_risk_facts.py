"""The risk checks' facts on each verification: line type, SIM swap, call forwarding.

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

COLUMNS = ("line_type", "sim_swap", "forwarding")


def upgrade():
    with op.batch_alter_table("verifications") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(16)))


def downgrade():
    with op.batch_alter_table("verifications") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
