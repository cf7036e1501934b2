"""At most one callback open per number: pending, placed or answered (not only pending), so no call can promise a second.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('pending', 'placed', 'answered')")
PENDING = sa.text("status = 'pending'")
callbacks = sa.table("callbacks", sa.column("id", sa.Integer), sa.column("number_hash", sa.String), sa.column("status", sa.String))


def upgrade():
    # Of the callbacks open on one number today, the latest stays open; the others could not be
    # told apart by the index, and are over by now (their state expires as the call's does).
    is_open = callbacks.c.status.in_(["pending", "placed", "answered"])
    latest = sa.select(sa.func.max(callbacks.c.id)).where(is_open).group_by(callbacks.c.number_hash)
    op.execute(callbacks.update().where(is_open, callbacks.c.id.not_in(latest)).values(status="expired"))
    op.drop_index("callbacks_one_pending_per_number", table_name="callbacks")
    op.create_index("callbacks_one_open_per_number", "callbacks", ["number_hash"], unique=True, sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade():
    op.drop_index("callbacks_one_open_per_number", table_name="callbacks")
    op.create_index("callbacks_one_pending_per_number", "callbacks", ["number_hash"], unique=True, sqlite_where=PENDING, postgresql_where=PENDING)
