"""`flask verifications report` and `purge` on a known set of records."""

import csv
import datetime
import io
import itertools
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy

from app.storage import reports
from app.storage.records import now
from app.storage.tables import callbacks, lockouts, lookups, verifications
from tests.conftest import BACKENDS, CALLER
from tests.test_callback import answer, promised

ON_BOTH_BACKENDS = pytest.mark.parametrize("backend", BACKENDS)
ROOT = Path(__file__).resolve().parent.parent

NOW = now()
CALL_SIDS = (f"CA{number:032x}" for number in itertools.count())


def record(outcome, reason, attempts, seconds=None, days_ago=1):
    started = NOW - datetime.timedelta(days=days_ago)
    return {
        "call_sid": next(CALL_SIDS),
        "number_masked": "+1•••••••71",
        "number_hash": "h",
        "channel": "sms",
        "started_at": started,
        "finished_at": started + datetime.timedelta(seconds=seconds) if outcome else None,
        "attempts": attempts,
        "resends": 0,
        "silences": 0,
        "outcome": outcome,
        "reason": reason,
    }


KNOWN = [
    record("approved", "approved", 1, seconds=20),
    record("approved", "approved", 1, seconds=30),
    record("approved", "approved", 2, seconds=40),
    record("approved", "approved", 3, seconds=100),
    record("failed", "too_many_attempts", 3, seconds=90),
    record("failed", "expired", 2, seconds=700),
    record("failed", "no_input", 0, seconds=45),
    record("failed", "hung_up", 0, seconds=10),
    record(None, None, 0),
]
TEN_DAYS_OLD = record("approved", "approved", 9, seconds=999, days_ago=10)
LOCKOUTS = [
    {"number_hash": "locked", "failures": 3, "window_start": NOW - datetime.timedelta(minutes=5)},
    {"number_hash": "one-try-left", "failures": 2, "window_start": NOW - datetime.timedelta(minutes=5)},
    {"number_hash": "window-over", "failures": 5, "window_start": NOW - datetime.timedelta(hours=2)},
]


@pytest.fixture
def known(db):
    with db.begin() as connection:
        connection.execute(verifications.insert(), [*KNOWN, TEN_DAYS_OLD])
        connection.execute(lockouts.insert(), LOCKOUTS)


def report(app, db, start=NOW - datetime.timedelta(days=7), end=None):
    """The report on the test's database, as the command and the page work it out."""
    with app.app_context(), db.connect() as connection:
        return reports.since(connection, start, app.config, end)


@ON_BOTH_BACKENDS
def test_the_figures_of_a_known_set_of_records(app, db, known):
    figures = report(app, db)
    assert figures.total == 9
    assert figures.by_outcome == {"approved": 4, "failed": 4, "in_progress": 1}
    assert figures.by_reason == {"too_many_attempts": 1, "expired": 1, "no_input": 1, "hung_up": 1}
    assert figures.success_rate == 0.5
    assert figures.median_attempts == 2  # 1, 1, 2, 2, 3, 3: the calls that keyed a code in
    assert figures.median_seconds_to_verify == 35
    assert figures.locked_numbers == 1


@ON_BOTH_BACKENDS
def test_no_records_make_a_report_without_figures(app, db):
    figures = report(app, db)
    assert (figures.total, figures.success_rate, figures.median_attempts, figures.median_seconds_to_verify) == (0, None, None, None)
    assert (figures.by_outcome, figures.by_reason, figures.by_attestation, figures.by_risk) == ({}, {}, {}, {})


@ON_BOTH_BACKENDS
def test_the_report_command_prints_a_readable_table(app, known):
    result = app.test_cli_runner().invoke(args=["verifications", "report"])
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "Verifications started in the last 7 days:" in lines
    for line in ["total 9", "approved 4", "failed 4", "in_progress 1", "hung_up 1", "success_rate 0.5",
                 "median_attempts 2.0", "median_seconds_to_verify 35.0", "locked_numbers 1"]:
        assert line in lines


@ON_BOTH_BACKENDS
def test_the_report_command_writes_csv(app, known):
    result = app.test_cli_runner().invoke(args=["verifications", "report", "--since", "30d", "--csv"])
    rows = {(section, name): value for section, name, value in csv.reader(io.StringIO(result.output))}
    assert rows[("section", "name")] == "value"
    assert rows[("verifications", "total")] == "10"
    assert rows[("outcome", "approved")] == "5"
    assert rows[("summary", "locked_numbers")] == "1"


def test_a_bad_duration_is_refused(app):
    result = app.test_cli_runner().invoke(args=["verifications", "report", "--since", "a week"])
    assert result.exit_code == 2
    assert "not a duration like 30m, 12h, 7d or 2w" in result.output


@pytest.mark.parametrize("command", [["report", "--since"], ["purge", "--older-than"]])
def test_a_duration_beyond_any_calendar_is_refused(app, command):
    result = app.test_cli_runner().invoke(args=["verifications", *command, "99999999999d"])
    assert result.exit_code == 2
    assert "longer than the 100 years" in result.output


@ON_BOTH_BACKENDS
def test_purge_deletes_records_older_than_asked(app, known, records):
    result = app.test_cli_runner().invoke(args=["verifications", "purge", "--older-than", "7d", "--yes"])
    assert "Deleted 1 record(s)" in result.output
    assert len(records()) == 9


def test_purge_without_a_terminal_to_ask_at_refuses_unless_told_yes(app, known, records):
    result = app.test_cli_runner().invoke(args=["verifications", "purge", "--older-than", "7d"], input="y\n")
    assert result.exit_code == 1
    assert result.output == "Error: 1 record(s) older than 7 days would be deleted: add --yes to confirm\n"
    assert len(records()) == 10


@pytest.mark.parametrize("answer, left, said", [("y", 9, "Deleted 1 record(s) older than 7 days."), ("n", 10, "Nothing deleted.")])
def test_purge_at_a_terminal_asks_first_saying_how_many(known, records, database_url, answer, left, said):
    keyboard, terminal = pty.openpty()  # what is typed on the keyboard, the terminal the command reads
    os.write(keyboard, f"{answer}\n".encode())
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "APP_ENV": "development", "DATABASE_URL": database_url}
    command = ["flask", "verifications", "purge", "--older-than", "7d"]
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, stdin=terminal, capture_output=True, text=True, timeout=60)
    finally:
        os.close(terminal)
        os.close(keyboard)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Delete 1 record(s) older than 7 days? [y/N]: {said}\n"
    assert len(records()) == left


def test_purge_with_nothing_that_old_asks_nothing(app, records):
    result = app.test_cli_runner().invoke(args=["verifications", "purge", "--older-than", "7d"])
    assert (result.exit_code, result.output) == (0, "No record is older than 7 days.\n")


@ON_BOTH_BACKENDS
def test_purge_removes_finished_callbacks_and_lookup_answers_past_their_use(make_app, call, hang_up, verify, db):
    app = make_app(CALLBACK=True, RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US")
    verify.lookup.answer(CALLER, line_type="landline")
    hang_up(promised(call, app), target=app)
    answer(app, verify, "machine_start")  # the callback ends unanswered
    long_ago = now() - datetime.timedelta(days=30)
    with db.begin() as connection:
        connection.execute(callbacks.update().values(created_at=long_ago))
        connection.execute(lookups.update().values(looked_up_at=long_ago))
    call(from_="+14155550199", target=app)  # a mobile, looked up now
    result = app.test_cli_runner().invoke(args=["verifications", "purge", "--older-than", "7d", "--yes"])
    assert result.output.splitlines()[-1] == "Deleted 1 finished callback(s) older than 7 days and 1 Lookup answer(s) older than 24 hours."
    with db.connect() as connection:
        assert connection.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(callbacks)).scalar() == 0
        assert connection.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(lookups)).scalar() == 1


def looked_up(outcome, reason, line_type, sim_swap, forwarding):
    """A record of a call whose risk checks found these facts."""
    return {**record(outcome, reason, 1 if outcome == "approved" else 0, seconds=30),
            "line_type": line_type, "sim_swap": sim_swap, "forwarding": forwarding}


# Calls the risk checks and the callback ended, and two that were looked up and verified.
LOOKED_UP = [
    looked_up("approved", "approved", "mobile", "none", "off"),
    looked_up("approved", "approved", "nonFixedVoip", "recent", "on"),
    looked_up("failed", "landline", "landline", "none", "off"),
    looked_up("failed", "line_type_not_supported", "tollFree", None, None),
    looked_up("failed", "sim_swapped", "mobile", "recent", "off"),
    looked_up("failed", "lookup_unavailable", "unknown", "unknown", "unknown"),
    looked_up("failed", "callback_unanswered", "landline", "none", "off"),
]


@ON_BOTH_BACKENDS
def test_the_report_counts_the_risks_found_and_the_reasons_they_end_with(app, db):
    with db.begin() as connection:
        connection.execute(verifications.insert(), KNOWN)
    assert report(app, db).by_risk == {}  # no risk checks, no section
    with db.begin() as connection:
        connection.execute(verifications.insert(), LOOKED_UP)
    figures = report(app, db)
    assert figures.by_risk == {
        "line_type": {"mobile": 2, "landline": 2, "nonFixedVoip": 1, "tollFree": 1, "unknown": 1},
        "sim_swap": {"none": 3, "recent": 2, "unknown": 1},
        "forwarding": {"off": 4, "on": 1, "unknown": 1},
    }
    for reason in ("landline", "line_type_not_supported", "sim_swapped", "lookup_unavailable", "callback_unanswered"):
        assert figures.by_reason[reason] == 1


@ON_BOTH_BACKENDS
def test_the_report_command_and_its_csv_show_the_risks_found(app, db):
    with db.begin() as connection:
        connection.execute(verifications.insert(), LOOKED_UP)
    table = app.test_cli_runner().invoke(args=["verifications", "report"])
    lines = [" ".join(line.split()) for line in table.output.splitlines()]
    for line in ["line_type", "nonFixedVoip 1", "sim_swap", "recent 2", "forwarding", "on 1", "line_type_not_supported 1"]:
        assert line in lines
    result = app.test_cli_runner().invoke(args=["verifications", "report", "--csv"])
    rows = {(section, name): value for section, name, value in csv.reader(io.StringIO(result.output))}
    assert (rows[("line_type", "landline")], rows[("sim_swap", "recent")], rows[("forwarding", "unknown")]) == ("2", "2", "1")
    assert rows[("reason", "callback_unanswered")] == "1"
