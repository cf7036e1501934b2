"""The figures of `flask verifications report` and the supervisor page, counted in the database: however many the records, a few rows come back."""

import csv
import dataclasses
import re
import statistics

import sqlalchemy

from app.storage import lockout, microseconds, records, sends
from app.storage.tables import verifications

# A spreadsheet may run a text cell as a formula (OWASP: CSV injection) when it begins with a tab or
# CR, or when one of = + - @ begins it or a line of it, after any white space.
FORMULA = re.compile(r"^[\t\r]|(?:^|[\r\n])\s*[=+\-@]")
# What the report shows for a figure it has no value for.
NO_VALUE = "-"
# The records' risk facts the report counts (none where the risk checks are off).
RISKS = ("line_type", "sim_swap", "forwarding")
# What is counted by value: the outcomes, the reasons of those not approved, the attestations, the risk facts.
COUNTED = ("outcome", "reason", "attestation", *RISKS)
# The outcome of a verification still running.
IN_PROGRESS = "in_progress"


@dataclasses.dataclass(frozen=True)
class Report:
    """What happened to the verifications started since a moment."""

    total: int
    by_outcome: dict
    by_reason: dict
    success_rate: float | None
    median_attempts: float | None
    median_seconds_to_verify: float | None
    locked_numbers: int
    # Codes sent since the start of this clock hour, against MAX_SENDS_PER_HOUR.
    sends_this_hour: int = 0
    max_sends_per_hour: int | None = None
    # Verifications by the STIR/SHAKEN attestation their call arrived with ("none": Twilio sent none).
    by_attestation: dict = dataclasses.field(default_factory=dict)
    # Verifications by the risk checks' facts (Lookup), of those looked up: {"line_type": {"mobile": 12, …}, …}.
    by_risk: dict = dataclasses.field(default_factory=dict)

    def lines(self):
        """(section, name, value) rows: the report as a table or a CSV file shows it."""
        yield "verifications", "total", self.total
        for outcome, count in self.by_outcome.items():
            yield "outcome", outcome, count
        for reason, count in self.by_reason.items():
            yield "reason", reason, count
        for attestation, count in self.by_attestation.items():
            yield "attestation", attestation, count
        for fact, counts in self.by_risk.items():
            for value, count in counts.items():
                yield fact, value, count
        yield "summary", "success_rate", _rounded(self.success_rate)
        yield "summary", "median_attempts", _rounded(self.median_attempts)
        yield "summary", "median_seconds_to_verify", _rounded(self.median_seconds_to_verify)
        yield "summary", "locked_numbers", self.locked_numbers
        yield "sends", "this_hour", self.sends_this_hour
        yield "sends", "max_per_hour", _rounded(self.max_sends_per_hour)


def write_csv(report, stream):
    """The report as CSV rows (section,name,value), every cell safe to open in a spreadsheet."""
    write_rows(["section", "name", "value"], report.lines(), stream)


def write_rows(header, rows, stream):
    """A header and rows as CSV, every cell safe to open in a spreadsheet."""
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)


def _cell(value):
    """A text cell a spreadsheet might run, prefixed with ' as OWASP advises; numbers and NO_VALUE as they are."""
    if isinstance(value, str) and value != NO_VALUE and FORMULA.search(value):
        return "'" + value
    return value


def since(connection, start, config, end=None):
    """The report on the verifications started since `start` (and before `end`): what operators see."""
    figures = {}
    for section, name, value, first in connection.execute(_figures(_period(start, end))):
        figures.setdefault(section, []).append((name, value, first))
    counts = {section: _most_common(figures.get(section, [])) for section in COUNTED}
    outcomes = counts["outcome"]
    ended = sum(count for outcome, count in outcomes.items() if outcome != IN_PROGRESS)
    seconds = [microseconds.in_seconds(value) for _, value, _ in figures.get("microseconds_to_verify", [])]
    return Report(
        total=sum(outcomes.values()),
        by_outcome=outcomes,
        by_reason=counts["reason"],
        # Of the verifications that have ended; those still running have no verdict yet.
        success_rate=outcomes.get("approved", 0) / ended if ended else None,
        # Of the calls that keyed a code in: withheld, locked or undelivered calls never could.
        median_attempts=_median(value for _, value, _ in figures.get("attempts", [])),
        median_seconds_to_verify=_median(seconds),
        locked_numbers=lockout.locked_numbers(connection, config["LOCKOUT_MAX_FAILURES"], config["LOCKOUT_WINDOW"]),
        sends_this_hour=sends.sent_this_hour(connection),
        max_sends_per_hour=sends.cap(config),
        by_attestation=counts["attestation"],
        by_risk={fact: counts[fact] for fact in RISKS if counts[fact]},
    )


def over_time(connection, start, end, buckets):
    """The verifications started between `start` and `end` by outcome, in `buckets` equal stretches of time: a {outcome: count} each."""
    step = ((end - start) / buckets) // microseconds.ONE
    bucket = (microseconds.since_epoch(verifications.c.started_at) - microseconds.of(start)) // step
    drawn = sqlalchemy.select(bucket.label("bucket"), _outcome().label("outcome")).where(*_started(start, end)).subquery()
    counted = sqlalchemy.select(drawn.c.bucket, drawn.c.outcome, sqlalchemy.func.count()).group_by(drawn.c.bucket, drawn.c.outcome)
    counts = [{} for _ in range(buckets)]
    for index, outcome, count in connection.execute(counted):
        # The last stretch also takes what its step, rounded to the microsecond, leaves of the period.
        bar = counts[min(index, buckets - 1)]
        bar[outcome] = bar.get(outcome, 0) + count
    return counts


def _present(column):
    """The column, with "" read as no value: an empty value counts as none, as it always has."""
    return sqlalchemy.func.nullif(column, "")


def _started(start, end):
    """The conditions of a verification started at or after `start`, and before `end` if there is one."""
    started_at = verifications.c.started_at
    return (started_at >= start,) if end is None else (started_at >= start, started_at < end)


def _outcome():
    return sqlalchemy.func.coalesce(_present(verifications.c.outcome), IN_PROGRESS)


def _period(start, end):
    """Each verification started in the period, with the facts the report counts worked out: a CTE."""
    v = verifications.c
    ended = _present(v.outcome).is_not(None)
    # A record stored before only Twilio's own StirVerstat values were kept counts as "other".
    attestation = sqlalchemy.case(
        (_present(v.stir_verstat).is_(None), "none"),
        (v.stir_verstat.in_(sorted(records.DOCUMENTED_ATTESTATIONS)), v.stir_verstat),
        else_=records.OTHER_ATTESTATION,
    )
    # Durations in whole microseconds: exact on both databases, as timedelta's are.
    to_verify = microseconds.since_epoch(v.finished_at) - microseconds.since_epoch(v.started_at)
    return (
        sqlalchemy.select(
            v.id,
            _outcome().label("outcome"),
            v.reason,
            sqlalchemy.and_(ended, v.outcome != "approved").label("failed"),
            attestation.label("attestation"),
            *[_present(v[fact]).label(fact) for fact in RISKS],
            sqlalchemy.case((sqlalchemy.and_(ended, v.attempts != 0), v.attempts)).label("attempts"),
            sqlalchemy.case((v.outcome == "approved", to_verify)).label("microseconds_to_verify"),
        )
        .where(*_started(start, end))
        .cte("period")
    )


def _figures(period):
    """One statement: (section, name, count, first id) rows for each figure counted, and (section, None, value, None) rows for the middle values of each median."""
    c = period.c
    return sqlalchemy.union_all(
        _counted("outcome", c.outcome),
        _counted("reason", c.reason, c.failed),
        _counted("attestation", c.attestation),
        *[_counted(fact, c[fact], c[fact].is_not(None)) for fact in RISKS],
        _middle("attempts", c.attempts),
        _middle("microseconds_to_verify", c.microseconds_to_verify),
    )


def _counted(section, column, *where):
    """How many of the period have each value of `column` (of those `where` holds for), and the first id with it."""
    return (
        sqlalchemy.select(_section(section), column.label("name"), sqlalchemy.func.count().label("value"), sqlalchemy.func.min(column.table.c.id).label("first"))
        .where(*where)
        .group_by(column)
    )


def _middle(section, column):
    """The middle value of `column`, or the two middle ones for an even count, in the period (NULLs aside): a median's, without reading the rest."""
    count = sqlalchemy.select(sqlalchemy.func.count(column)).scalar_subquery()
    middle = (
        sqlalchemy.select(column.label("value"))
        .where(column.is_not(None))
        .order_by(column)
        .offset((count - 1) // 2)
        .limit(2 - count % 2)
        .subquery()
    )
    return sqlalchemy.select(_section(section), sqlalchemy.null().label("name"), middle.c.value, sqlalchemy.null().label("first"))


def _section(name):
    return sqlalchemy.literal(name, sqlalchemy.String).label("section")


def _most_common(counted):
    """{name: count} of (name, count, first id) rows, most common first, ties in the order first recorded: collections.Counter's order."""
    return {name: count for name, count, _ in sorted(counted, key=lambda row: (-row[1], row[2]))}


def _median(values):
    values = list(values)
    return statistics.median(values) if values else None


def _rounded(value):
    return NO_VALUE if value is None else round(value, 3)
