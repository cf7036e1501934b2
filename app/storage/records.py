"""One record per verification: who (masked and hashed), when, how it went. Never the code."""

import datetime
import functools

import sqlalchemy
from flask import current_app

from app.storage import database
from app.numbers import Unusable, fingerprint, mask, usable_number
from app.storage.tables import verifications

# Call statuses that mean the call is over (Twilio's status callback).
CALL_ENDED = {"completed", "busy", "no-answer", "failed", "canceled"}

# The values Twilio documents for StirVerstat; anything else is kept, and read back, as OTHER_ATTESTATION.
DOCUMENTED_ATTESTATIONS = frozenset(
    [f"TN-Validation-{result}-{level}" for result in ("Passed", "Failed") for level in "ABC"]
    + ["No-TN-Validation", "TN-Validation-Failed"]
)
OTHER_ATTESTATION = "other"

# Built once: each write passes only its values, and SQLAlchemy reuses the compiled statement.
# An UPDATE of a call's verification while it runs; it sets the columns its values name.
UPDATE_RUNNING = verifications.update().where(
    verifications.c.call_sid == sqlalchemy.bindparam("running_call_sid"), verifications.c.finished_at.is_(None)
)
# A resend is counted only as the call's next one: a replayed '*' finds its count taken already.
RESENT = UPDATE_RUNNING.where(verifications.c.resends < sqlalchemy.bindparam("new_resends")).values(
    resends=sqlalchemy.bindparam("new_resends")
)

# The channel a running verification goes by, once Verify refused the one recorded: a replayed
# request finds it switched already.
SWITCH_CHANNEL = UPDATE_RUNNING.where(verifications.c.channel != sqlalchemy.bindparam("new_channel")).values(
    channel=sqlalchemy.bindparam("new_channel")
)


# An agent's request claims the call before its leg moves: a row with no channel yet, which the
# subflow's start fills in (once: a replayed start finds it filled).
CLAIMED = ""
START_CLAIMED = verifications.update().where(
    verifications.c.call_sid == sqlalchemy.bindparam("claimed_call_sid"),
    verifications.c.request == sqlalchemy.bindparam("claimed_request"),
    verifications.c.channel == CLAIMED,
    verifications.c.finished_at.is_(None),
)
RELEASE = verifications.delete().where(
    verifications.c.call_sid == sqlalchemy.bindparam("claimed_call_sid"),
    verifications.c.request == sqlalchemy.bindparam("claimed_request"),
    verifications.c.channel == CLAIMED,
)


@functools.cache
def start_statement(dialect):
    """The record's INSERT, which leaves alone a call and request recorded already (a replay), or a call verifying now; built once per dialect."""
    insert = database.UPSERTS[dialect](verifications).on_conflict_do_nothing()
    # The rowcount tells a replay (0) from a new call (1): no RETURNING of the new id, and the
    # count kept, which SQLAlchemy otherwise drops for an INSERT once its cursor closes.
    return insert.inline().execution_options(preserve_rowcount=True)


def now():
    """The current time, naive UTC as the tables store it."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def number_hash(number):
    """The keyed hash under which a caller's number is recorded and locked out; None if unusable."""
    try:
        return fingerprint(usable_number(number), current_app.config["SECRET_KEY"])
    except Unusable:
        return None


def started(state):
    """Record that the subflow took over a call; False if it had already: this start is a replay.

    Without a database (down, or a host IVR without one) every start counts as new.
    """
    row = {
        "number_masked": mask(state.destination),
        "number_hash": number_hash(state.destination),
        "channel": state.channel,
        "method": state.method,
        "stir_verstat": state.attestation or None,
        "started_at": now(),
        "attempts": 0,
        "resends": 0,
        "silences": 0,
    }
    if state.request:
        # An agent's request claimed the call (claim): its start fills the claim in.
        keys = {"claimed_call_sid": state.call_sid, "claimed_request": state.request}
        if database.execute("record start", START_CLAIMED, state.call_sid, default=1, values={**keys, **row}) != 0:
            return True
    # A Studio flow's pass has no claim; a replay finds its call and request taken, an agent's filled in.
    values = {"call_sid": state.call_sid, "request": state.request, **row}
    return database.execute("record start", start_statement, state.call_sid, default=1, values=values) != 0


def claim(call_sid, request, method):
    """Claim the call for an agent's request before its leg moves; False if a verification runs on it already.

    Without a database the claim is granted: the subflow's start still tells a replay.
    """
    row = {"call_sid": call_sid, "request": request, "number_masked": "", "channel": CLAIMED, "method": method, "started_at": now(), "attempts": 0, "resends": 0, "silences": 0}
    return database.execute("record claim", start_statement, call_sid, default=1, values=row) != 0


def release(call_sid, request):
    """Give back a claim whose leg could not be moved, so that the call can be asked for again."""
    database.execute("record release", RELEASE, call_sid, values={"claimed_call_sid": call_sid, "claimed_request": request})


def finished(state, verdict):
    """Record how the call's verification ended: approved, or failed with the verdict as reason."""
    _finish(
        state.call_sid,
        outcome="approved" if verdict == "approved" else "failed",
        reason=verdict,
        # Codes keyed in: the wrong ones, plus the right one.
        attempts=state.attempts + (verdict == "approved"),
        resends=state.resends,
        silences=state.silences,
        # A callback's verdict is the callback's: it was promised under the method the call began with.
        method=state.method,
        # What Lookup said of the number, if it was asked (app/calls/risk.py).
        **_risk(state),
    )


def assessed(state):
    """Record what Lookup said of the number before its first code, so that a hang-up's record shows it too."""
    values = {"running_call_sid": state.call_sid, **_risk(state)}
    database.execute("record risk", UPDATE_RUNNING, state.call_sid, values=values)


def _risk(state):
    return {"line_type": state.line_type or None, "sim_swap": state.sim_swap or None, "forwarding": state.forwarding or None}


def progressed(state):
    """Bring a running verification's counters up to date, so a hang-up record shows how far the caller got.

    Called at each wrong code (and, through `resent`, each resend), which wait on Verify anyway;
    not at a silence, whose webhook is the cheapest of the call (its count is written with the
    next of these, or the end).
    """
    counters = {"attempts": state.attempts, "resends": state.resends, "silences": state.silences}
    values = {"running_call_sid": state.call_sid, **counters}
    database.execute("record progress", UPDATE_RUNNING, state.call_sid, values=values)


def resent(state):
    """Count the resend `state` makes (with its other counters); False if the record has it already.

    A replayed '*' or expired code, or a call whose verification has ended, gets False and sends
    nothing. Without a database the resend goes on, bounded by the call's MAX_RESENDS and the
    worker's share of the sends kept in memory (app/storage/fallback.py).
    """
    values = {
        "running_call_sid": state.call_sid,
        "new_resends": state.resends,
        "attempts": state.attempts,
        "silences": state.silences,
    }
    return database.execute("record resend", RESENT, state.call_sid, default=1, values=values) != 0


def switched_channel(state):
    """Record that the code now goes by `state.channel`; False if the record has it already (a replay).

    Without a database the send goes on: the call was counted at its start, in memory if need be.
    """
    values = {"running_call_sid": state.call_sid, "new_channel": state.channel}
    return database.execute("record channel", SWITCH_CHANNEL, state.call_sid, default=1, values=values) != 0


def broke_off(call_sid, reason):
    """A verification still running ended without a verdict: the caller hung up ("hung_up"), or an error."""
    if call_sid:
        _finish(call_sid, outcome="failed", reason=reason)


def _finish(call_sid, **values):
    update = {"running_call_sid": call_sid, "finished_at": now(), **values}
    database.execute(f"record {values['reason']}", UPDATE_RUNNING, call_sid, values=update)


def documented_attestation(value):
    """`value` if Twilio documents it as a StirVerstat (or it is empty), else OTHER_ATTESTATION."""
    return value if not value or value in DOCUMENTED_ATTESTATIONS else OTHER_ATTESTATION


def find(connection, start, end, call_sid=None, last_digits=None, offset=0, limit=20):
    """The records started between `start` and `end`, latest first: of one CallSid, or whose masked number ends in `last_digits`."""
    query = sqlalchemy.select(verifications).where(verifications.c.started_at >= start, verifications.c.started_at < end)
    if call_sid:
        query = query.where(verifications.c.call_sid == call_sid)
    if last_digits:
        query = query.where(verifications.c.number_masked.endswith(last_digits, autoescape=True))
    query = query.order_by(verifications.c.started_at.desc(), verifications.c.id.desc()).offset(offset).limit(limit)
    return [dict(row) for row in connection.execute(query).mappings()]


def masked_for(connection, number_hash):
    """The masked number last recorded under a keyed hash, or "" (an account's, or none recorded)."""
    query = sqlalchemy.select(verifications.c.number_masked).where(verifications.c.number_hash == number_hash)
    return connection.execute(query.order_by(verifications.c.started_at.desc()).limit(1)).scalar_one_or_none() or ""


def count_before(connection, before):
    """How many verifications started before `before`."""
    query = sqlalchemy.select(sqlalchemy.func.count()).select_from(verifications).where(verifications.c.started_at < before)
    return connection.execute(query).scalar_one()


def purge(connection, before):
    """Delete the records of verifications started before `before`; how many went."""
    return connection.execute(verifications.delete().where(verifications.c.started_at < before)).rowcount


# A call's verification: 0 none recorded, 1 over, 2 running.
_PROGRESS = sqlalchemy.select(
    sqlalchemy.func.coalesce(
        sqlalchemy.func.max(sqlalchemy.case((verifications.c.finished_at.is_(None), 2), else_=1)), 0
    )
).where(verifications.c.call_sid == sqlalchemy.bindparam("progress_call_sid"))


def progress(call_sid):
    """The call's verification: "running", "over", or "" when none is recorded (or the database cannot say)."""
    found = database.execute("record lookup", _PROGRESS, call_sid, default=0, returning=True, values={"progress_call_sid": call_sid})
    return {2: "running", 1: "over"}.get(found, "")
