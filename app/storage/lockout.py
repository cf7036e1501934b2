"""Lockouts: a number that keeps failing verification is sent to an agent instead of a code.

Each verification a number starts counts as a failure until it is approved (which clears the
count) or ends, before any code was put to Verify's check, for a reason that is not the caller's
doing (which gives the count back). Counting at the start, in one INSERT … ON CONFLICT DO UPDATE
… RETURNING, is what makes the limit hold across workers and dynos: two racing calls cannot both
read "one try left" and both go on. A database that cannot count hands the count to the
worker's memory (app/storage/fallback.py): the limit then holds per worker, and a key the
database last answered locked starts locked there.
"""

import datetime
import functools
import hashlib
import hmac
import logging

import sqlalchemy
from blinker import Namespace
from flask import current_app

from app.storage import database, fallback, records
from app.storage.tables import lockouts, verifications

log = logging.getLogger(__name__)

# Verdicts that say nothing about who holds the phone: the attempt is given back, if no code was checked.
NOT_THE_CALLERS_DOING = {"invalid_number", "undeliverable", "rate_limited", "blocked", "unavailable"}
# The limits on sends (ALLOWED_COUNTRIES, MAX_SENDS_PER_HOUR) are no caller's choice either.
NOT_THE_CALLERS_DOING |= {"country_not_allowed", "sends_capped"}
# Nor is a phone on file that cannot take a code (verification by account).
NOT_THE_CALLERS_DOING |= {"phone_on_file_unusable"}
# Nor a line a text cannot reach, or a Lookup that failed; a recent SIM swap (sim_swapped) counts.
NOT_THE_CALLERS_DOING |= {"landline", "line_type_not_supported", "lookup_unavailable"}

_key = sqlalchemy.bindparam("key", type_=lockouts.c.number_hash.type)
_moment = sqlalchemy.bindparam("moment", type_=lockouts.c.window_start.type)
_stale = lockouts.c.window_start < sqlalchemy.bindparam("window_opened", type_=lockouts.c.window_start.type)
_limit = sqlalchemy.bindparam("limit", type_=lockouts.c.failures.type)

# Callers who withhold their number share one count of account-number entries: in a short window,
# so that one of them guessing does not lock the others out for long, and a higher one.
WITHHELD_ENTRIES = 10
WITHHELD_WINDOW = 300

# After the moment in what admit() answers: the call was counted in this worker's memory, the
# database unable, and is given back there only (calls in flight from before say nothing: the database).
IN_MEMORY = " memory"
# Sent each time a call is turned away because its number is locked out.
locked_out = Namespace().signal("locked-out")

CLEAR = lockouts.delete().where(lockouts.c.number_hash == _key)
# Only into the window the call was counted in: a window opened since (the old one ran out, or
# was cleared) owes the call nothing.
REFUND = (
    lockouts.update()
    .where(lockouts.c.number_hash == _key, lockouts.c.window_start <= _moment, lockouts.c.failures > 0)
    .values(failures=lockouts.c.failures - 1)
)


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
    """Count a new verification for `number`: when it was counted (ISO; IN_MEMORY after it if a worker's memory counted it), "" if it was not, None if locked out.

    Never fails open: a database that cannot count leaves it to the worker's memory (app/storage/fallback.py).
    """
    key = records.number_hash(number)
    if key is None:
        return ""
    return admit_key(key, call_sid)


def admit_key(key, call_sid="-", limit=None, window=None):
    """admit() for a keyed hash: a number's, an account's (app/storage/accounts.py account_hash) or entries'.

    `limit` and `window` (seconds) are LOCKOUT_MAX_FAILURES and LOCKOUT_WINDOW unless given.
    """
    config = current_app.config
    moment = records.now()
    limit = config["LOCKOUT_MAX_FAILURES"] if limit is None else limit
    window = config["LOCKOUT_WINDOW"] if window is None else window
    values = {
        "key": key,
        "moment": moment,
        "window_opened": moment - datetime.timedelta(seconds=window),
        "limit": limit,
    }
    failures = database.execute("lockout check", count_one_more, call_sid, default=None, returning=True, values=values)
    store = ""
    if failures is None:
        failures, store = fallback.count(key, moment, values["window_opened"], limit, call_sid), IN_MEMORY
    elif failures >= limit:
        fallback.remember_locked(key, moment, values["window_opened"])
    if failures > limit:
        log.info("call %s: number or account locked out (%d unapproved verifications in the window)", call_sid, failures - 1)
        locked_out.send()
        return None
    return moment.isoformat() + store


def entries_key(number):
    """The key a caller's account-number entries are counted under: never a number's or an account's, and no approval clears it.

    Callers who withhold their number share one key (see WITHHELD_ENTRIES).
    """
    key = records.number_hash(number) or "withheld"  # a number's hash is hex: never "withheld"
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"account-entries:" + key.encode(), hashlib.sha256).hexdigest()


def admit_entry(number, call_sid="-"):
    """Count an account number keyed from `number`, before it is looked up: as admit() answers."""
    if records.number_hash(number) is None:
        return admit_key(entries_key(number), call_sid, WITHHELD_ENTRIES, WITHHELD_WINDOW)
    return admit_key(entries_key(number), call_sid)


def give_back_entry(key, counted, call_sid="-"):
    """Give back an entry that found an account whose holder was then verified, into the window it was counted in."""
    if key and counted:
        _give_back(key, counted, call_sid)


def _counted_at(counted):
    """(when, in_memory) of what admit() answered: the moment, and whether this worker's memory counted it, not the database."""
    moment, memory, _ = counted.partition(IN_MEMORY)
    return datetime.datetime.fromisoformat(moment), bool(memory)


def _give_back(key, counted, call_sid):
    """One count back, to the store that counted it (a worker's memory or the database), into its window."""
    moment, in_memory = _counted_at(counted)
    if in_memory:
        fallback.refund(key, moment)
    else:
        database.execute("lockout update", REFUND, call_sid, values={"key": key, "moment": moment})


def is_locked(key, call_sid="-"):
    """True when the keyed hash is locked out now: its next count would be refused. Counts nothing."""
    config = current_app.config
    now_locked = _locked_now(config["LOCKOUT_MAX_FAILURES"], config["LOCKOUT_WINDOW"])
    query = sqlalchemy.select(sqlalchemy.func.count()).where(lockouts.c.number_hash == key, now_locked)
    found = database.execute("lockout look-up", query, call_sid, default=None, returning=True)
    if found is None:
        opened = records.now() - datetime.timedelta(seconds=config["LOCKOUT_WINDOW"])
        return fallback.is_locked(key, opened, config["LOCKOUT_MAX_FAILURES"])
    return found > 0


def settle(number, verdict, counted="", call_sid="-"):
    """After a verification: approval clears the count; a failure not of the caller's doing gives it back.

    `counted` is what admit() answered, or "" once the call has put a code to Verify's check:
    such a call is never given back, whatever ends it.
    """
    settle_key(records.number_hash(number), verdict, counted, call_sid)


def settle_key(key, verdict, counted="", call_sid="-"):
    """settle() for a keyed hash, a number's or an account's; nothing for None."""
    if key is None:
        return
    if verdict == "approved":
        fallback.clear(key)
        database.execute("lockout update", CLEAR, call_sid, values={"key": key})
    elif verdict in NOT_THE_CALLERS_DOING and counted:
        _give_back(key, counted, call_sid)


def unlock(connection, number):
    """Clear a number's count: whether it was locked out ("locked"), only counted ("counted"), or neither (None)."""
    return unlock_key(connection, records.number_hash(number))


def unlock_key(connection, key):
    """Clear the count under a keyed hash, a number's or an account's: "locked", "counted" or None (none)."""
    if key is None:
        return None
    row = connection.execute(CLEAR.returning(lockouts.c.failures, lockouts.c.window_start), {"key": key}).first()
    if row is None:
        return None
    config = current_app.config
    current = row.window_start >= records.now() - datetime.timedelta(seconds=config["LOCKOUT_WINDOW"])
    return "locked" if current and row.failures >= config["LOCKOUT_MAX_FAILURES"] else "counted"


def _locked_now(max_failures, window):
    """The condition a lockout row meets while it refuses its number (or account) a code.

    The row withheld callers share is held to its own, shorter limit (admit_entry).
    """
    now = records.now()

    def refusing(limit, seconds):
        return sqlalchemy.and_(lockouts.c.failures >= limit, lockouts.c.window_start >= now - datetime.timedelta(seconds=seconds))

    withheld = lockouts.c.number_hash == entries_key("")
    return sqlalchemy.or_(
        sqlalchemy.and_(sqlalchemy.not_(withheld), refusing(max_failures, window)),
        sqlalchemy.and_(withheld, refusing(WITHHELD_ENTRIES, WITHHELD_WINDOW)),
    )


def locked_numbers(connection, max_failures, window):
    """How many numbers are locked out now."""
    query = sqlalchemy.select(sqlalchemy.func.count()).where(_locked_now(max_failures, window))
    return connection.execute(query).scalar_one()


def locked(connection, max_failures, window, limit=100):
    """The numbers locked out now, latest window first: dicts of number_hash, number_masked, failures, window_start."""
    # The lockout keeps only the keyed hash; the number's latest record shows it masked.
    masked = (
        sqlalchemy.select(verifications.c.number_masked)
        .where(verifications.c.number_hash == lockouts.c.number_hash)
        .order_by(verifications.c.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        sqlalchemy.select(lockouts.c.number_hash, masked.label("number_masked"), lockouts.c.failures, lockouts.c.window_start)
        .where(_locked_now(max_failures, window))
        .order_by(lockouts.c.window_start.desc())
        .limit(limit)
    )
    return [dict(row) for row in connection.execute(query).mappings()]
