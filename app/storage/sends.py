"""The global cap on codes sent: one counter per clock hour, shared by every worker and dyno.

Places in the counter are taken with one INSERT … ON CONFLICT DO UPDATE … RETURNING, as a
lockout count is, so workers racing on the last place cannot both send. Every send updating the
one row of the hour would queue a burst's starts behind each other, so a worker takes its places
a few at a time (1% of the cap, at most 10) and hands them out itself: the counter runs ahead of
the codes sent by at most that many places per worker, and never lets more than the cap through.
The places a process still holds when it ends, or when the clock hour turns, are given back
into the hour they were taken in. The codes sent are counted apart (`sent`), reported by each
worker with its next take of places and when it gives them back; a place taken for a code the
risk check then refused is returned (`return_place`), not reported.

The cap is MAX_SENDS_PER_HOUR when set; otherwise it is drawn from PEAK_CALLS_PER_HOUR, the
callers the deployment's busiest hour brings: each may be sent 1 + MAX_RESENDS codes, and a
quarter more leaves room for a busier hour than stated and the places workers hold unused.
"""

import atexit
import functools
import logging
import math
import threading
import weakref

import sqlalchemy
from flask import current_app, g

from app.storage import database, fallback
from app.storage.records import now
from app.storage.tables import send_counts
from config import DEFAULTS

log = logging.getLogger(__name__)

_hour = sqlalchemy.bindparam("hour", type_=send_counts.c.hour_start.type)
_cap = sqlalchemy.bindparam("cap", type_=send_counts.c.sends.type)
_places = sqlalchemy.bindparam("places", type_=send_counts.c.sends.type)
_used = sqlalchemy.bindparam("used", type_=send_counts.c.sent.type)
# Places a worker takes at once: 1% of the cap, at most this many (a small cap is taken one by one).
MOST_PLACES_AT_ONCE = 10
# The cap drawn from PEAK_CALLS_PER_HOUR: every code its callers may be sent, and a quarter more.
HEADROOM = 1.25

# The places really taken: past the cap the count rests above it (see count_one_more).
_held = sqlalchemy.case((send_counts.c.sends > _cap, _cap), else_=send_counts.c.sends)
# A process's places given back, and the codes it sent reported, into the hour they were taken in.
GIVE_BACK = (
    send_counts.update()
    .where(send_counts.c.hour_start == _hour)
    .values(
        sends=sqlalchemy.case((_held > _places, _held - _places), else_=0),
        sent=send_counts.c.sent + _used,
    )
)


class Places:
    """The places in this hour's count that this worker process has taken: left to use, and used but not reported."""

    def __init__(self):
        self.lock = threading.Lock()
        self.hour = None
        self.left = 0
        self.unreported = 0
        # (hour, places left, codes unreported) of past hours whose give-back the database failed.
        self.owed = []


@functools.cache
def count_one_more(dialect):
    """The upsert that takes places this hour and reports the codes sent, in the dialect's spelling; built once."""
    # The first place taken is used at once: it is reported with the `used` ones, if one was had.
    insert = database.UPSERTS[dialect](send_counts).values(hour_start=_hour, sends=_places, sent=_used + 1)
    full = send_counts.c.sends >= _cap
    return insert.on_conflict_do_update(
        index_elements=[send_counts.c.hour_start],
        set_={
            # Past the cap the count rests at cap + places, so that it reads as "none had", however often asked.
            "sends": sqlalchemy.case((full, _cap + _places), else_=send_counts.c.sends + _places),
            "sent": sqlalchemy.case((full, send_counts.c.sent + _used), else_=send_counts.c.sent + _used + 1),
        },
    ).returning(send_counts.c.sends)


def this_hour():
    """The start of the current clock hour, naive UTC as the tables store it."""
    return now().replace(minute=0, second=0, microsecond=0)


def cap(config):
    """Codes that may be sent per clock hour: MAX_SENDS_PER_HOUR, or drawn from PEAK_CALLS_PER_HOUR; None, no cap."""
    stated = config.get("MAX_SENDS_PER_HOUR")
    if stated:
        return stated
    peak = config.get("PEAK_CALLS_PER_HOUR")
    if not peak:
        return None  # a host IVR whose settings name neither
    return math.ceil(peak * (1 + config.get("MAX_RESENDS", 0)) * HEADROOM)


def cap_in_force(config):
    """The start-up log's line: the cap, and the settings it comes from."""
    most = cap(config)
    if config.get("MAX_SENDS_PER_HOUR"):
        return f"send cap: {most} codes per clock hour, as MAX_SENDS_PER_HOUR sets"
    peak = config["PEAK_CALLS_PER_HOUR"]
    unstated = " (the default: set it to your busiest hour's callers)" if peak == DEFAULTS["PEAK_CALLS_PER_HOUR"] else ""
    return (
        f"send cap: {most} codes per clock hour = PEAK_CALLS_PER_HOUR {peak}{unstated} × {1 + config['MAX_RESENDS']} "
        f"(codes a call may send: 1 + MAX_RESENDS) × {HEADROOM}; MAX_SENDS_PER_HOUR overrides it"
    )


def admit(call_sid="-"):
    """Take one place for a code to send; False when the cap's places have been taken this hour.

    Never fails open: a database that cannot count leaves it to this worker's share in memory.
    """
    config = current_app.config
    most = cap(config)
    if not most or config.get("USE_LOCAL_VERIFY"):
        return True  # a host IVR that sets no cap; the local stand-in, which sends no text
    g.pop("send_place", None)
    places = _places_of(current_app._get_current_object())
    hour = this_hour()
    with places.lock:
        if places.hour != hour:
            # What the last hour left (places unused, codes not reported yet) goes back into it;
            # if the database cannot take it now, at the process's end.
            _report(places, most, call_sid)
            if places.left or places.unreported:
                places.owed.append((places.hour, places.left, places.unreported))
            places.hour, places.left, places.unreported = hour, 0, 0
        if places.left:
            places.left -= 1
            places.unreported += 1
            g.send_place = hour
            return True
        had = _take(hour, most, places.unreported, call_sid)
        if had is None:
            if fallback.take_send(hour, most):
                g.send_place = "memory"
                return True
            log.warning(
                "call %s: no code sent, this worker's share (%d) of MAX_SENDS_PER_HOUR reached without the database",
                call_sid,
                fallback.share(most),
            )
            return False
        places.unreported = 0
        if had:
            places.left = had - 1
            g.send_place = hour
            return True
    log.warning("call %s: no code sent, MAX_SENDS_PER_HOUR (%d) reached this hour", call_sid, most)
    return False


def return_place(call_sid="-"):
    """Give back the place admit() took in this request for a code that did not go (the risk check or Verify refused it).

    It goes back to this worker's places, which use it for the next code; counted as sent when
    taken, it is counted off with the next report.
    """
    config = current_app.config
    most = cap(config)
    taken = g.pop("send_place", None)
    if not most or config.get("USE_LOCAL_VERIFY") or taken is None:
        return
    if taken == "memory":
        fallback.return_send(this_hour())
        return
    places = _places_of(current_app._get_current_object())
    with places.lock:
        if places.hour == taken:
            places.left += 1
            places.unreported -= 1
        else:
            # The hour has turned since, and its report counted this code as sent: counted off there.
            database.execute("send give-back", GIVE_BACK, call_sid, values={"hour": taken, "places": 1, "used": -1, "cap": most})
    log.info("call %s: no code sent, its place under MAX_SENDS_PER_HOUR given back", call_sid)


def _places_of(app):
    """The app's places, made on its first send, given back when the process ends."""
    places = app.extensions.get("send_places")
    if places is None:
        made = Places()
        places = app.extensions.setdefault("send_places", made)
        if places is made:
            atexit.register(_give_back_at_exit, weakref.ref(app))
    return places


def _take(hour, cap, used, call_sid):
    """Take a few more places, reporting `used` codes sent: how many were had (0 past the cap), None without a database."""
    wanted = max(1, min(MOST_PLACES_AT_ONCE, cap // 100))
    values = {"hour": hour, "cap": cap, "places": wanted, "used": used}
    taken = database.execute("send count", count_one_more, call_sid, default=None, returning=True, values=values)
    if taken is None:
        return None
    # The places had are those of the `wanted` just counted that lie under the cap.
    return max(0, min(wanted, cap - (taken - wanted)))


def give_back(app):
    """At the process's end (atexit, gunicorn's worker_exit): give back the places it holds, report the codes it sent."""
    places = getattr(app, "extensions", {}).get("send_places")
    if places is None:
        return
    with places.lock, app.app_context():
        most = cap(app.config)
        for hour, left, unreported in places.owed[:]:
            values = {"hour": hour, "places": left, "used": unreported, "cap": most}
            if database.execute("send give-back", GIVE_BACK, values=values) is not None:
                places.owed.remove((hour, left, unreported))
        _report(places, most)


def _report(places, most, call_sid="-"):
    """Give back the places held and report the codes sent into the hour they were taken in: one statement, if any.

    A database that fails it leaves them held, for a later try (atexit after worker_exit).
    """
    if places.hour is None or not (places.left or places.unreported):
        return
    values = {"hour": places.hour, "places": places.left, "used": places.unreported, "cap": most}
    if database.execute("send give-back", GIVE_BACK, call_sid, values=values) is not None:
        places.left = places.unreported = 0


def _give_back_at_exit(app_ref):
    app = app_ref()
    if app is not None:
        give_back(app)


def sent_this_hour(connection):
    """Codes sent since the start of this clock hour, as the workers have reported them."""
    query = sqlalchemy.select(send_counts.c.sent).where(send_counts.c.hour_start == this_hour())
    return connection.execute(query).scalar() or 0
