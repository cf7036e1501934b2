"""The global cap on codes sent: one counter per clock hour, shared by every worker and dyno.

Each send takes its place in the counter with one INSERT … ON CONFLICT DO UPDATE … RETURNING,
as a lockout count is taken, so workers racing on the last place cannot both send.
"""

import functools
import logging

import sqlalchemy
from flask import current_app

from app.storage import database
from app.storage.records import now
from app.storage.tables import send_counts

log = logging.getLogger(__name__)

_hour = sqlalchemy.bindparam("hour", type_=send_counts.c.hour_start.type)
_cap = sqlalchemy.bindparam("cap", type_=send_counts.c.sends.type)


@functools.cache
def count_one_more(dialect):
    """The upsert that counts one more send this hour, in the dialect's spelling; built once."""
    insert = database.UPSERTS[dialect](send_counts).values(hour_start=_hour, sends=1)
    return insert.on_conflict_do_update(
        index_elements=[send_counts.c.hour_start],
        # Past the cap the count stays at one past it: it counts codes sent, not codes refused.
        set_={"sends": sqlalchemy.case((send_counts.c.sends > _cap, send_counts.c.sends), else_=send_counts.c.sends + 1)},
    ).returning(send_counts.c.sends)


def this_hour():
    """The start of the current clock hour, naive UTC as the tables store it."""
    return now().replace(minute=0, second=0, microsecond=0)


def admit(call_sid="-"):
    """Count one more code to send; False when MAX_SENDS_PER_HOUR have been sent this hour.

    Fails open, as lockouts do: without a database the code is sent.
    """
    cap = current_app.config.get("MAX_SENDS_PER_HOUR")
    if not cap:
        return True  # a host IVR that sets no cap
    values = {"hour": this_hour(), "cap": cap}
    sends = database.execute("send count", count_one_more, call_sid, default=0, returning=True, values=values)
    if sends > cap:
        log.warning("call %s: no code sent, MAX_SENDS_PER_HOUR (%d) reached this hour", call_sid, cap)
        return False
    return True


def sent_this_hour(connection, cap):
    """Codes sent since the start of this clock hour (at most `cap`)."""
    query = sqlalchemy.select(send_counts.c.sends).where(send_counts.c.hour_start == this_hour())
    return min(connection.execute(query).scalar() or 0, cap)
