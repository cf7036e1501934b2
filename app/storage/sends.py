"""The global cap on codes sent: one counter per clock hour, shared by every worker and dyno.

Places in the counter are taken with one INSERT … ON CONFLICT DO UPDATE … RETURNING, as a
lockout count is, so workers racing on the last place cannot both send. Every send updating the
one row of the hour would queue a burst's starts behind each other, so a worker takes its places
a few at a time (1% of the cap, at most 10) and hands them out itself: the counter runs ahead of
the codes sent by at most that many places per worker, and never lets more than the cap through.
"""

import functools
import logging
import threading

import sqlalchemy
from flask import current_app

from app.storage import database, fallback
from app.storage.records import now
from app.storage.tables import send_counts

log = logging.getLogger(__name__)

_hour = sqlalchemy.bindparam("hour", type_=send_counts.c.hour_start.type)
_cap = sqlalchemy.bindparam("cap", type_=send_counts.c.sends.type)
_places = sqlalchemy.bindparam("places", type_=send_counts.c.sends.type)
# Places a worker takes at once: 1% of the cap, at most this many (a small cap is taken one by one).
MOST_PLACES_AT_ONCE = 10


class Places:
    """The places in this hour's count that this worker process has taken and not used yet."""

    def __init__(self):
        # Made before gunicorn forks; each worker then has a copy of its own, as it should.
        self.lock = threading.Lock()
        self.hour = None
        self.left = 0


@functools.cache
def count_one_more(dialect):
    """The upsert that counts one more send this hour, in the dialect's spelling; built once."""
    insert = database.UPSERTS[dialect](send_counts).values(hour_start=_hour, sends=_places)
    return insert.on_conflict_do_update(
        index_elements=[send_counts.c.hour_start],
        # Past the cap the count rests at cap + places, so that it reads as "none had", however often asked.
        set_={"sends": sqlalchemy.case((send_counts.c.sends >= _cap, _cap + _places), else_=send_counts.c.sends + _places)},
    ).returning(send_counts.c.sends)


def this_hour():
    """The start of the current clock hour, naive UTC as the tables store it."""
    return now().replace(minute=0, second=0, microsecond=0)


def admit(call_sid="-"):
    """Take one place for a code to send; False when MAX_SENDS_PER_HOUR have been taken this hour.

    Never fails open: a database that cannot count leaves it to this worker's share in memory.
    """
    cap = current_app.config.get("MAX_SENDS_PER_HOUR")
    if not cap:
        return True  # a host IVR that sets no cap
    places = current_app.extensions.setdefault("send_places", Places())
    hour = this_hour()
    with places.lock:
        if places.hour != hour:
            places.hour, places.left = hour, 0
        if not places.left:
            had = _take(hour, cap, call_sid)
            if had is None:
                if fallback.take_send(hour, cap):
                    return True
                log.warning(
                    "call %s: no code sent, this worker's share (%d) of MAX_SENDS_PER_HOUR reached without the database",
                    call_sid,
                    fallback.share(cap),
                )
                return False
            places.left = had
        if places.left:
            places.left -= 1
            return True
    log.warning("call %s: no code sent, MAX_SENDS_PER_HOUR (%d) reached this hour", call_sid, cap)
    return False


def _take(hour, cap, call_sid):
    """Take a few more places in the hour's count: how many were had (0 past the cap), None without a database."""
    wanted = max(1, min(MOST_PLACES_AT_ONCE, cap // 100))
    values = {"hour": hour, "cap": cap, "places": wanted}
    taken = database.execute("send count", count_one_more, call_sid, default=None, returning=True, values=values)
    if taken is None:
        return None
    # The places had are those of the `wanted` just counted that lie under the cap.
    return max(0, min(wanted, cap - (taken - wanted)))


def sent_this_hour(connection, cap):
    """Places taken since the start of this clock hour (at most `cap`): the codes sent, and a few a worker holds."""
    query = sqlalchemy.select(send_counts.c.sends).where(send_counts.c.hour_start == this_hour())
    return min(connection.execute(query).scalar() or 0, cap)
