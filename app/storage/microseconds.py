"""A naive UTC time as whole microseconds since 1970, in SQL on each dialect and in Python: exact, so that sums and medians of durations are."""

import datetime

import sqlalchemy
from sqlalchemy.ext.compiler import compiles

EPOCH = datetime.datetime(1970, 1, 1)
ONE = datetime.timedelta(microseconds=1)


class since_epoch(sqlalchemy.sql.functions.FunctionElement):
    """A DateTime column's value as BIGINT microseconds since 1970-01-01 00:00 (the column's time, read as UTC)."""

    type = sqlalchemy.BigInteger()
    inherit_cache = True
    name = "since_epoch"


@compiles(since_epoch, "postgresql")
def _postgresql(element, compiler, **kw):
    # EXTRACT gives an exact numeric on PostgreSQL 14 and later.
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000000 AS BIGINT)"


@compiles(since_epoch, "sqlite")
def _sqlite(element, compiler, **kw):
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff'. The whole seconds go to strftime without the
    # fraction, which it would round to milliseconds (and so, past .9995, to the next second).
    column = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000 + CAST(substr({column}, 21) AS INTEGER))"


def of(moment):
    """`moment` (naive UTC) as whole microseconds since 1970, as since_epoch() reads it in SQL."""
    return (moment - EPOCH) // ONE


def in_seconds(microseconds):
    """Microseconds as seconds, the float timedelta.total_seconds() gives for them."""
    return microseconds / 10**6
