"""Callbacks promised to landline callers: recorded at the offer, placed once, settled once.

Every change of status is one conditional UPDATE, so a replayed webhook (Twilio's signature has
no nonce) finds the status moved already and does nothing twice: one call placed, one verdict.
"""

import datetime
import functools

import sqlalchemy
from flask import current_app

from app.storage import database, records
from app.storage.tables import callbacks

_sid = sqlalchemy.bindparam("sid", type_=callbacks.c.call_sid.type)
_callback_sid = sqlalchemy.bindparam("callback_sid", type_=callbacks.c.callback_sid.type)
_new = sqlalchemy.bindparam("new", type_=callbacks.c.status.type)
_older = sqlalchemy.bindparam("older", type_=callbacks.c.created_at.type)

# Statuses of a callback still open: at most one per number (the index callbacks_one_open_per_number).
OPEN = ("pending", "placed", "answered")
# An open callback whose call never reported its end (no status callback, Twilio's or the callback's
# own) stops blocking its number once its state has expired: it could no longer be placed or answered.
EXPIRE = callbacks.update().where(
    callbacks.c.number_hash == sqlalchemy.bindparam("key"), callbacks.c.status.in_(OPEN), callbacks.c.created_at < _older
).values(status="expired")
# pending -> placed, once.
TAKE = callbacks.update().where(callbacks.c.call_sid == _sid, callbacks.c.status == "pending").values(status="placed")
CALLED = sqlalchemy.select(sqlalchemy.func.max(callbacks.c.called)).where(callbacks.c.call_sid == _sid)
PROMISED = sqlalchemy.select(sqlalchemy.func.count()).select_from(callbacks).where(callbacks.c.call_sid == _sid)
PLACED_AS = callbacks.update().where(callbacks.c.call_sid == _sid).values(callback_sid=_callback_sid)
# Always one row: NULL when no callback was placed as this call.
PARENT = sqlalchemy.select(sqlalchemy.func.max(callbacks.c.call_sid)).where(callbacks.c.callback_sid == _callback_sid)
STATE_OF = sqlalchemy.select(sqlalchemy.func.max(callbacks.c.state)).where(callbacks.c.call_sid == _sid)
# Statuses a placed callback can still move from.
UNDER_WAY = ("placed", "answered")
# A callback placed whose SID Twilio's lost answer never told: its first webhook names it.
CLAIM = callbacks.update().where(
    callbacks.c.call_sid == _sid, callbacks.c.callback_sid.is_(None), callbacks.c.status.in_(UNDER_WAY)
).values(callback_sid=_callback_sid)
MOVE = callbacks.update().where(
    callbacks.c.call_sid == _sid, callbacks.c.status.in_(sqlalchemy.bindparam("old", expanding=True))
).values(status=_new)


@functools.cache
def _insert(dialect):
    """The INSERT that leaves alone a number with a callback open; its rowcount kept, as records.start_statement's."""
    return database.UPSERTS[dialect](callbacks).on_conflict_do_nothing().inline().execution_options(preserve_rowcount=True)


def promise(call_sid, number, called, state):
    """Record a pending callback to `number`; False if one is open for it already, pending, placed or answered (or no database)."""
    key = records.number_hash(number)
    stale = records.now() - datetime.timedelta(seconds=current_app.config["CALL_STATE_MAX_AGE"])
    with database.one_connection("callback offer", call_sid):
        database.execute("callback expiry", EXPIRE, call_sid, values={"key": key, "older": stale})
        row = {
            "call_sid": call_sid,
            "number_hash": key,
            "called": called,
            "state": state,
            "status": "pending",
            "created_at": records.now(),
        }
        return database.execute("callback offer", _insert, call_sid, default=0, values=row) == 1


def take(call_sid):
    """Move the call's pending callback to placed: (its state, the number called), or None if none is pending."""
    values = {"sid": call_sid}
    with database.one_connection("callback take", call_sid):
        if database.execute("callback take", TAKE, call_sid, default=0, values=values) != 1:
            return None
        state = database.execute("callback state", STATE_OF, call_sid, returning=True, values=values)
        called = database.execute("callback number", CALLED, call_sid, returning=True, values=values)
    return None if state is None or called is None else (state, called)


def promised(call_sid):
    """True if the call was promised a callback, pending or not."""
    return bool(database.execute("callback lookup", PROMISED, call_sid, default=0, returning=True, values={"sid": call_sid}))


def placed(call_sid, callback_sid):
    """Note the SID of the call placed back."""
    database.execute("callback placed", PLACED_AS, call_sid, values={"sid": call_sid, "callback_sid": callback_sid})


def claim(call_sid, callback_sid):
    """Note `callback_sid` as the call placed back for `call_sid`, if its SID was never learnt and it is under way; `call_sid`, or None."""
    if not call_sid or not callback_sid:
        return None
    values = {"sid": call_sid, "callback_sid": callback_sid}
    return call_sid if database.execute("callback claimed", CLAIM, call_sid, default=0, values=values) == 1 else None


def parent_of(callback_sid):
    """The CallSid of the inbound call a callback was placed for; None if none was placed as `callback_sid`."""
    if not callback_sid:
        return None
    return database.execute("callback lookup", PARENT, callback_sid, returning=True, values={"callback_sid": callback_sid})


def move(call_sid, old, new):
    """Move the call's callback from one of the statuses `old` to `new`; False if it was not in one (a replay)."""
    values = {"sid": call_sid, "old": list(old), "new": new}
    return database.execute(f"callback {new}", MOVE, call_sid, default=0, values=values) == 1


# Statuses a callback ends in: nothing moves it on from these.
FINISHED = ("verified", "unanswered", "expired")


def purge(connection, before):
    """Delete the finished callbacks promised before `before`, as the records' retention goes; how many went."""
    finished = callbacks.delete().where(callbacks.c.status.in_(FINISHED), callbacks.c.created_at < before)
    return connection.execute(finished).rowcount
