"""Lookup's answers kept per number (its keyed hash), so that a caller who calls again costs no second Lookup.

One row per number: each check's answer with when it was given, as JSON. The call decides what
is still fresh (app/calls/risk.py); here a row is read in one statement and written in one.
Without a database nothing is kept, and Lookup is asked every time.
"""

import datetime
import functools
import json

import sqlalchemy

from app.storage import database
from app.storage.tables import lookups

_hash = sqlalchemy.bindparam("number_hash", type_=lookups.c.number_hash.type)
# One row always, NULL when the number has none: a miss is not a failure.
READ = sqlalchemy.select(sqlalchemy.select(lookups.c.facts).where(lookups.c.number_hash == _hash).scalar_subquery())


@functools.cache
def write_statement(dialect):
    """The upsert that keeps a number's answers; built once per dialect."""
    insert = database.UPSERTS[dialect](lookups)
    return insert.on_conflict_do_update(
        index_elements=[lookups.c.number_hash],
        set_={"facts": insert.excluded.facts, "looked_up_at": insert.excluded.looked_up_at},
    )


def read(number_hash, call_sid="-"):
    """The answers kept for a number, by check: {"answer": …, "at": datetime, "call": the CallSid it was asked for}; {} if none (or no database)."""
    if not number_hash:
        return {}
    text = database.execute("lookup cache read", READ, call_sid, default=None, returning=True, values={"number_hash": number_hash})
    try:
        kept = json.loads(text) if text else {}
        return {
            check: {"answer": fact["answer"], "at": datetime.datetime.fromisoformat(fact["at"]), "call": fact.get("call", "")}
            for check, fact in kept.items()
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}  # a row this version cannot read: asked again, and overwritten


def write(number_hash, facts, call_sid="-"):
    """Keep a number's answers, by check, each {"answer": …, "at": datetime, "call": CallSid}."""
    if not number_hash:
        return
    kept = json.dumps({check: {**fact, "at": fact["at"].isoformat()} for check, fact in facts.items()})
    looked_up_at = max(fact["at"] for fact in facts.values())
    values = {"number_hash": number_hash, "facts": kept, "looked_up_at": looked_up_at}
    database.execute("lookup cache write", write_statement, call_sid, values=values)


def forget_all():
    """Forget every number's kept answers: each is asked of Lookup again (`flask call` sets the stand-in's)."""
    database.execute("lookup cache clear", lookups.delete())


def purge(connection, before):
    """Delete the answers last given before `before`: no call reads them any more; how many went."""
    return connection.execute(lookups.delete().where(lookups.c.looked_up_at < before)).rowcount
