"""Limits each worker keeps in memory for when the database cannot count: lockouts and sends never fail open.

A database that is down, slow or out of connections cannot take a lockout count or a place in
the hour's sends; the call is then counted here instead. Per keyed hash (a number's, an
account's, any key the lockouts count) no more than LOCKOUT_MAX_FAILURES verifications per
LOCKOUT_WINDOW, and per clock hour a worker's share of MAX_SENDS_PER_HOUR, in each worker
process, starting locked for a key this worker saw the database count to its limit in the window.
What is counted here stays here: the database never learns of it.
"""

import collections
import logging
import os
import threading

from blinker import Namespace
from flask import current_app

log = logging.getLogger(__name__)

# Keyed hashes counted at once (some 3 MB); past it a new one is refused, never an old one forgotten.
MOST_KEYS = 10_000
# Keyed hashes the database last answered locked, for the fallback to start from (some 2 MB); past
# it the oldest is forgotten: they never take a place from a count.
MOST_LOCKED = 10_000

# Sent with `what` ("lockout" or "sends") each time a limit is taken here instead of in the database.
used = Namespace().signal("database-fallback")


class Limits:
    """One worker's counts: lockout windows by keyed hash, one map per window's length, and this hour's sends."""

    def __init__(self):
        self.lock = threading.Lock()
        # window length (timedelta): {key: [window_start, failures]}, oldest window first
        self.windows = collections.defaultdict(collections.OrderedDict)
        self.locked = collections.OrderedDict()  # key: (moment the database answered it locked, window length)
        self.hour = None
        self.sends = 0


def _limits():
    return current_app.extensions.setdefault("fallback_limits", Limits())


def count(key, moment, window_opened, limit, call_sid="-"):
    """The lockout's count_one_more, in memory: the key's count after this call (past `limit`: refused)."""
    used.send(what="lockout")
    limits = _limits()
    with limits.lock:
        _forget_stale(limits, moment)
        windows = limits.windows[moment - window_opened]
        entry = windows.get(key)
        if entry is not None and entry[0] < window_opened:
            del windows[key]
            entry = None
        if entry is None:
            seen, _ = limits.locked.pop(key, (None, None))
            if seen is not None and seen >= window_opened:
                entry = [seen, limit]  # locked in the database: it stays locked here
            elif sum(map(len, limits.windows.values())) >= MOST_KEYS:
                log.warning("call %s: refused, %d numbers or accounts counted in memory already", call_sid, MOST_KEYS)
                return limit + 1
            else:
                entry = [moment, 0]
            windows[key] = entry
        if entry[1] <= limit:
            entry[1] += 1
        return entry[1]


def remember_locked(key, moment, window_opened):
    """The database counted `key` to its limit at `moment`: should it fail, the count here starts there."""
    limits = _limits()
    with limits.lock:
        limits.locked.pop(key, None)
        if len(limits.locked) >= MOST_LOCKED:
            limits.locked.popitem(last=False)
        limits.locked[key] = (moment, moment - window_opened)


def is_locked(key, window_opened, limit):
    """True when the key's next count in memory would be refused."""
    limits = _limits()
    with limits.lock:
        seen, _ = limits.locked.get(key, (None, None))
        if seen is not None and seen >= window_opened:
            return True
        entry = _entry(limits, key)
        return entry is not None and entry[0] >= window_opened and entry[1] >= limit


def clear(key):
    """An approval: the key's count in memory starts afresh, as the database's does."""
    limits = _limits()
    with limits.lock:
        limits.locked.pop(key, None)
        for windows in limits.windows.values():
            windows.pop(key, None)


def refund(key, counted):
    """Give one count back, only into a window opened no later than the call was counted."""
    limits = _limits()
    with limits.lock:
        entry = _entry(limits, key)
        if entry is not None and entry[0] <= counted and entry[1] > 0:
            entry[1] -= 1


def _entry(limits, key):
    for windows in limits.windows.values():
        if key in windows:
            return windows[key]
    return None


def _forget_stale(limits, moment):
    """Drop the windows that have run out by `moment`: in each length's map, the oldest, at the front."""
    for length, windows in limits.windows.items():
        while windows:
            key, (start, _) = next(iter(windows.items()))
            if start >= moment - length:
                break
            del windows[key]
    while limits.locked:
        key, (seen, length) = next(iter(limits.locked.items()))
        if seen >= moment - length:
            break
        del limits.locked[key]


def workers():
    """gunicorn's worker processes (WEB_CONCURRENCY, 2 by default as in gunicorn.conf.py)."""
    value = os.environ.get("WEB_CONCURRENCY", "")
    return int(value) if value.isdigit() and int(value) >= 1 else 2


def share(cap):
    """A worker's hourly share of the cap while the database cannot count: cap / workers, at least 1."""
    return max(1, cap // workers())


def take_send(hour, cap):
    """One place for a code in this worker's share of the hour, in memory; False when it is used up."""
    used.send(what="sends")
    limits = _limits()
    with limits.lock:
        if limits.hour != hour:
            limits.hour, limits.sends = hour, 0
        if limits.sends >= share(cap):
            return False
        limits.sends += 1
        return True


def return_send(hour):
    """Give back a place take_send() gave this hour, for a code that did not go."""
    limits = _limits()
    with limits.lock:
        if limits.hour == hour and limits.sends:
            limits.sends -= 1
