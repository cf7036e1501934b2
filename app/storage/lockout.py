"""Lockouts: a number that keeps failing verification is sent to an agent instead of a code.

Each verification a number starts counts as a failure until it is approved (which clears the
count) or ends for a reason that is not the caller's doing (which refunds it). Counting at the
start, in one INSERT … ON CONFLICT DO UPDATE … RETURNING, is what makes the limit hold across
workers and dynos: two racing calls cannot both read "one try left" and both go on.
"""

import datetime
import functools
import logging

import sqlalchemy
from flask import current_app

from app.storage import database
from app.storage.records import now, number_hash
from app.storage.tables import lockouts, verifications

log = logging.getLogger(__name__)

# Verdicts that say nothing about who holds the phone: the attempt is given back.
NOT_THE_CALLERS_DOING = {"invalid_number", "undeliverable", "rate_limited", "blocked", "unavailable"}
# The limits on sends (ALLOWED_COUNTRIES, MAX_SENDS_PER_HOUR) are no caller's choice either.
NOT_THE_CALLERS_DOING |= {"country_not_allowed", "sends_capped"}

_key = sqlalchemy.bindparam("key", type_=lockouts.c.number_hash.type)
_moment = sqlalchemy.bindparam("moment", type_=lockouts.c.window_start.type)
_stale = lockouts.c.window_start < sqlalchemy.bindparam("window_opened", type_=lockouts.c.window_start.type)
_limit = sqlalchemy.bindparam("limit", type_=lockouts.c.failures.type)

# The number of a call whose verification is still running, found by its record.
_running_number = (
    sqlalchemy.select(verifications.c.number_hash)
    .where(verifications.c.call_sid == sqlalchemy.bindparam("call_sid"), verifications.c.finished_at.is_(None))
    .scalar_subquery()
)


def _refund(which):
    """An UPDATE giving one failure back to the lockout row `which` names."""
    return lockouts.update().where(which, lockouts.c.failures > 0).values(failures=lockouts.c.failures - 1)


CLEAR = lockouts.delete().where(lockouts.c.number_hash == _key)
REFUND = _refund(lockouts.c.number_hash == _key)
REFUND_RUNNING = _refund(lockouts.c.number_hash == _running_number)


@functools.cache
def count_one_more(dialect):
    """The upsert that counts a verification for a number, in the dialect's spelling; built once."""
    insert = database.UPSERTS[dialect](lockouts).values(number_hash=_key, failures=1, window_start=_moment)
    return insert.on_conflict_do_update(
        index_elements=[lockouts.c.number_hash],
        set_={
            # A window that has run out starts again with this verification; a number already
            # locked out stays at one past the limit, however often it calls.
            "failures": sqlalchemy.case(
                (_stale, 1), (lockouts.c.failures > _limit, lockouts.c.failures), else_=lockouts.c.failures + 1
            ),
            "window_start": sqlalchemy.case((_stale, _moment), else_=lockouts.c.window_start),
        },
    ).returning(lockouts.c.failures)


def admit(number, call_sid="-"):
    """Count a new verification for `number`; False when the number is locked out.

    Fails open: without a database the call goes on, as it would have before lockouts existed.
    """
    key = number_hash(number)
    if key is None:
        return True
    config = current_app.config
    moment = now()
    limit = config["LOCKOUT_MAX_FAILURES"]
    values = {
        "key": key,
        "moment": moment,
        "window_opened": moment - datetime.timedelta(seconds=config["LOCKOUT_WINDOW"]),
        "limit": limit,
    }
    failures = database.execute("lockout check", count_one_more, call_sid, default=0, returning=True, values=values)
    if failures > limit:
        log.info("call %s: number locked out (%d unapproved verifications in the window)", call_sid, failures - 1)
        return False
    return True


def settle(number, verdict, call_sid="-"):
    """After a verification: approval clears the count, a failure not of the caller's doing is refunded."""
    key = number_hash(number) if verdict == "approved" or verdict in NOT_THE_CALLERS_DOING else None
    if key is None:
        return
    statement = CLEAR if verdict == "approved" else REFUND
    database.execute("lockout update", statement, call_sid, values={"key": key})


def refund_running(call_sid):
    """Give back the count of a call's running verification, which our side broke off."""
    database.execute("lockout refund", REFUND_RUNNING, call_sid, values={"call_sid": call_sid})


def unlock(connection, number):
    """Lift a number's lockout; True if it had a count."""
    key = number_hash(number)
    return key is not None and connection.execute(CLEAR, {"key": key}).rowcount > 0


def locked_numbers(connection, max_failures, window):
    """How many numbers are locked out now."""
    cutoff = now() - datetime.timedelta(seconds=window)
    query = sqlalchemy.select(sqlalchemy.func.count()).where(
        lockouts.c.failures >= max_failures, lockouts.c.window_start >= cutoff
    )
    return connection.execute(query).scalar_one()
