"""A verification per call and agent's request, at most one running per call: a call can be verified again mid-call.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

RUNNING = sa.text("finished_at IS NULL")
verifications = sa.table("verifications", sa.column("id", sa.Integer), sa.column("call_sid", sa.String), sa.column("request", sa.String))


def upgrade():
    with op.batch_alter_table("verifications") as batch:
        batch.add_column(sa.Column("request", sa.String(32), nullable=False, server_default=""))
    op.drop_index("ix_verifications_call_sid", table_name="verifications")
    op.create_index("ix_verifications_call_sid", "verifications", ["call_sid"])
    op.create_index("ix_verifications_call_sid_request", "verifications", ["call_sid", "request"], unique=True)
    op.create_index("ix_verifications_running", "verifications", ["call_sid"], unique=True, sqlite_where=RUNNING, postgresql_where=RUNNING)


def downgrade():
    op.drop_index("ix_verifications_running", table_name="verifications")
    op.drop_index("ix_verifications_call_sid_request", table_name="verifications")
    # A call verified more than once keeps every row, as migration 0002 kept replays: each later one as "<CallSid>~<id>".
    first = sa.select(sa.func.min(verifications.c.id)).group_by(verifications.c.call_sid)
    renamed = sa.func.substr(verifications.c.call_sid, 1, 40, type_=sa.String).concat("~").concat(sa.cast(verifications.c.id, sa.String))
    op.execute(verifications.update().where(verifications.c.id.not_in(first)).values(call_sid=renamed))
    op.drop_index("ix_verifications_call_sid", table_name="verifications")
    op.create_index("ix_verifications_call_sid", "verifications", ["call_sid"], unique=True)
    with op.batch_alter_table("verifications") as batch:
        batch.drop_column("request")
