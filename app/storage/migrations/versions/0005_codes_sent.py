"""Codes sent per clock hour, apart from the places workers have taken and may still hold.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    # Hours counted before it: their places are the best figure of the codes sent there is.
    with op.batch_alter_table("send_counts") as batch:
        batch.add_column(sa.Column("sent", sa.Integer, nullable=False, server_default="0"))
    op.execute("UPDATE send_counts SET sent = sends")


def downgrade():
    with op.batch_alter_table("send_counts") as batch:
        batch.drop_column("sent")

