"""One verification per CallSid: a unique index, so that a replayed start is told from a new call.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

verifications = sa.table("verifications", sa.column("id", sa.Integer), sa.column("call_sid", sa.String))


def upgrade():
    # Rows written twice for one call before the index existed (replays) are all kept: the first
    # keeps its CallSid, each later one gets "~<id>" after it, which no Twilio CallSid contains.
    first = sa.select(sa.func.min(verifications.c.id)).group_by(verifications.c.call_sid)
    renamed = sa.func.substr(verifications.c.call_sid, 1, 40, type_=sa.String).concat("~").concat(
        sa.cast(verifications.c.id, sa.String)
    )
    op.execute(verifications.update().where(verifications.c.id.not_in(first)).values(call_sid=renamed))
    op.drop_index("ix_verifications_call_sid", table_name="verifications")
    op.create_index("ix_verifications_call_sid", "verifications", ["call_sid"], unique=True)


def downgrade():
    op.drop_index("ix_verifications_call_sid", table_name="verifications")
    op.create_index("ix_verifications_call_sid", "verifications", ["call_sid"])
