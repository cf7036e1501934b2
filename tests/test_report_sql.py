"""The report and the chart worked out in the database give exactly what Python gave from every record, on records drawn at random."""

import collections
import datetime
import itertools
import random
import statistics

import pytest

from app.storage import lockout, records, reports, sends
from app.storage.tables import verifications
from tests.conftest import BACKENDS

ON_BOTH_BACKENDS = pytest.mark.parametrize("backend", BACKENDS)

START = datetime.datetime(2026, 3, 1)
END = START + datetime.timedelta(days=1)
CALL_SIDS = (f"CA{number:032x}" for number in itertools.count())

# Values drawn for each column: every branch of the figures, "" and NULL alike, ties and the
# seconds' edges (a fraction of .999999 that rounding to milliseconds would carry into the next second).
REASONS = ["too_many_attempts", "expired", "hung_up", "landline", "=formula", "", None]
ATTESTATIONS = [None, "", "TN-Validation-Passed-A", "TN-Validation-Failed-C", "No-TN-Validation", "made-up", "tn-validation-passed-a"]
FACTS = {
    "line_type": [None, "", "mobile", "landline", "nonFixedVoip"],
    "sim_swap": [None, "", "none", "recent", "unknown"],
    "forwarding": [None, "", "off", "on"],
}
MICROSECONDS = [0, 1, 500_000, 999_999]


def drawn(rng):
    """A record started around the day from START to END (some just outside it), finished or not."""
    started = START + datetime.timedelta(
        seconds=rng.choice([-1, 0, rng.randrange(86_400), 86_399, 86_400]), microseconds=rng.choice(MICROSECONDS + [rng.randrange(10**6)])
    )
    outcome = rng.choice(["approved", "approved", "failed", "failed", None, ""])
    lasted = datetime.timedelta(seconds=rng.choice([0, 1, 20, 35, rng.randrange(1000)]), microseconds=rng.choice(MICROSECONDS + [rng.randrange(10**6)]))
    return {
        "call_sid": next(CALL_SIDS),
        "number_masked": "+1•••••••71",
        "number_hash": "h",
        "channel": "sms",
        "stir_verstat": rng.choice(ATTESTATIONS),
        "started_at": started,
        "finished_at": started + lasted if outcome or rng.random() < 0.2 else None,
        "attempts": rng.choice([0, 0, 1, 1, 2, 3, 5]),
        "resends": 0,
        "silences": 0,
        "outcome": outcome,
        "reason": "approved" if outcome == "approved" else rng.choice(REASONS) if outcome is not None else None,
        **{fact: rng.choice(values) for fact, values in FACTS.items()},
    }


def summarize(rows, locked_numbers=0, sends_this_hour=0, max_sends_per_hour=None):
    """The report as Python worked it out from every record (the records read as dicts, in the order stored)."""
    rows = [{**row, "stir_verstat": records.documented_attestation(row["stir_verstat"])} for row in rows]
    finished = [row for row in rows if row["outcome"]]
    approved = [row for row in finished if row["outcome"] == "approved"]
    outcomes = collections.Counter(row["outcome"] or "in_progress" for row in rows)
    reasons = collections.Counter(row["reason"] for row in finished if row["outcome"] != "approved")
    attestations = collections.Counter(row.get("stir_verstat") or "none" for row in rows)
    risks = {fact: collections.Counter(row[fact] for row in rows if row.get(fact)) for fact in reports.RISKS}
    return reports.Report(
        total=len(rows),
        by_outcome=dict(outcomes.most_common()),
        by_reason=dict(reasons.most_common()),
        success_rate=len(approved) / len(finished) if finished else None,
        median_attempts=_median(row["attempts"] for row in finished if row["attempts"]),
        median_seconds_to_verify=_median((row["finished_at"] - row["started_at"]).total_seconds() for row in approved),
        locked_numbers=locked_numbers,
        sends_this_hour=sends_this_hour,
        max_sends_per_hour=max_sends_per_hour,
        by_attestation=dict(attestations.most_common()),
        by_risk={fact: dict(counts.most_common()) for fact, counts in risks.items() if counts},
    )


def _median(values):
    values = list(values)
    return statistics.median(values) if values else None


def counted_over_time(rows, start, end, buckets):
    """The chart's counts as Python worked them out from every record: {outcome: count} per stretch."""
    step = (end - start) / buckets
    counts = [collections.Counter() for _ in range(buckets)]
    for row in rows:
        index = min(int((row["started_at"] - start) / step), buckets - 1)
        if index >= 0:
            counts[index][row["outcome"] or "in_progress"] += 1
    return [dict(bucket) for bucket in counts]


@pytest.fixture
def stored(db):
    """Store `count` records drawn with `seed`: the records, in the order stored."""

    def store(seed, count):
        rng = random.Random(seed)
        rows = [drawn(rng) for _ in range(count)]
        if rows:
            with db.begin() as connection:
                connection.execute(verifications.insert(), rows)
        return rows

    return store


def in_period(rows, start, end=None):
    return [row for row in rows if row["started_at"] >= start and (end is None or row["started_at"] < end)]


# Few records, for the medians of an odd count, an even count, one value and none; then many.
SIZES = [(seed, count) for seed, count in enumerate([0, 1, 2, 3, 4, 5, 8, 13, 40, 41, 300])]


@ON_BOTH_BACKENDS
@pytest.mark.parametrize("seed, count", SIZES)
def test_the_report_from_the_database_is_the_one_python_worked_out_from_every_record(app, db, stored, seed, count):
    rows = stored(seed, count)
    config = app.config
    with app.app_context(), db.connect() as connection:
        locked = lockout.locked_numbers(connection, config["LOCKOUT_MAX_FAILURES"], config["LOCKOUT_WINDOW"])
        others = (locked, sends.sent_this_hour(connection), sends.cap(config))
        for start, end in [(START, END), (START, None), (START - datetime.timedelta(days=1), END + datetime.timedelta(days=1))]:
            expected = summarize(in_period(rows, start, end), *others)
            found = reports.since(connection, start, config, end)
            # The repr too: the same order in each section, the same int or float in each figure.
            assert (found, repr(found)) == (expected, repr(expected)), (start, end)
            assert list(found.lines()) == list(expected.lines())


@ON_BOTH_BACKENDS
@pytest.mark.parametrize("seed, count", SIZES[-3:])
@pytest.mark.parametrize("buckets, span", [(12, datetime.timedelta(hours=1)), (24, datetime.timedelta(days=1)), (13, datetime.timedelta(days=1))])
def test_the_charts_counts_from_the_database_are_the_ones_python_worked_out(app, db, stored, seed, count, buckets, span):
    rows = stored(seed, count)
    # A start with a fraction of a second, as a period ending now has. A step of 1/13 day is rounded
    # down to the microsecond: the day's last microseconds lie past the 13th stretch, and go in it.
    for start in (START, START + datetime.timedelta(minutes=37, microseconds=123_457)):
        end = start + span
        with db.connect() as connection:
            found = reports.over_time(connection, start, end, buckets)
        assert found == counted_over_time(in_period(rows, start, end), start, end, buckets)
        assert sum(sum(bucket.values()) for bucket in found) == len(in_period(rows, start, end))
