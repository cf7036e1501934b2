"""The figures of `flask verifications report` and the supervisor page, worked out from the records."""

import collections
import csv
import dataclasses
import re
import statistics

from app.storage import lockout, records, sends

# A spreadsheet may run a text cell as a formula (OWASP: CSV injection) when it begins with a tab or
# CR, or when one of = + - @ begins it or a line of it, after any white space.
FORMULA = re.compile(r"^[\t\r]|(?:^|[\r\n])\s*[=+\-@]")
# What the report shows for a figure it has no value for.
NO_VALUE = "-"
# The records' risk facts the report counts (none where the risk checks are off).
RISKS = ("line_type", "sim_swap", "forwarding")


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
    """(the records of the verifications started since `start`, and before `end`, their report): what operators see."""
    rows = records.since(connection, start, end)
    locked = lockout.locked_numbers(connection, config["LOCKOUT_MAX_FAILURES"], config["LOCKOUT_WINDOW"])
    cap = sends.cap(config)
    return rows, summarize(rows, locked, sends.sent_this_hour(connection), cap)


def summarize(records, locked_numbers=0, sends_this_hour=0, max_sends_per_hour=None):
    """The report on `records` (dicts with outcome, reason, attempts, started_at, finished_at)."""
    finished = [record for record in records if record["outcome"]]
    approved = [record for record in finished if record["outcome"] == "approved"]
    outcomes = collections.Counter(record["outcome"] or "in_progress" for record in records)
    reasons = collections.Counter(record["reason"] for record in finished if record["outcome"] != "approved")
    attestations = collections.Counter(record.get("stir_verstat") or "none" for record in records)
    risks = {fact: collections.Counter(record[fact] for record in records if record.get(fact)) for fact in RISKS}
    return Report(
        total=len(records),
        by_outcome=dict(outcomes.most_common()),
        by_reason=dict(reasons.most_common()),
        # Of the verifications that have ended; those still running have no verdict yet.
        success_rate=len(approved) / len(finished) if finished else None,
        # Of the calls that keyed a code in: withheld, locked or undelivered calls never could.
        median_attempts=_median(record["attempts"] for record in finished if record["attempts"]),
        median_seconds_to_verify=_median(
            (record["finished_at"] - record["started_at"]).total_seconds() for record in approved
        ),
        locked_numbers=locked_numbers,
        sends_this_hour=sends_this_hour,
        max_sends_per_hour=max_sends_per_hour,
        by_attestation=dict(attestations.most_common()),
        by_risk={fact: dict(counts.most_common()) for fact, counts in risks.items() if counts},
    )


def _median(values):
    values = list(values)
    return statistics.median(values) if values else None


def _rounded(value):
    return NO_VALUE if value is None else round(value, 3)
