"""A database that is down, gone or slow breaks no call, and opens no limit: each worker keeps them in memory."""

import datetime
import logging
import subprocess
import sys
import threading
from pathlib import Path

import sqlalchemy

from app.simulator import place_call
from app.storage import accounts, database, fallback, lockout, records
from tests.conftest import CALLER
from tests.fakes import verify_error
from tests.test_mounting import build_other_ivr

CLOSED_PORT = "postgresql+psycopg://postgres@127.0.0.1:9/nothing"


def verified_despite_the_database(caller):
    caller.press("000000")
    assert caller.heard("not right")
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_a_database_nobody_answers_on_leaves_the_call_as_it_was(make_app, call, caplog):
    caller = call(target=make_app(DATABASE_URL=CLOSED_PORT))
    assert caller.heard("sent a text message")
    verified_despite_the_database(caller)
    # One attempt per step: the record and the lockout count share a connection.
    assert caplog.text.count("record start skipped, database error OperationalError") == 1
    assert caplog.text.count("record finish skipped, database error OperationalError") == 1
    assert CALLER not in caplog.text and CALLER[2:] not in caplog.text


def test_a_dropped_database_leaves_the_call_as_it_was(make_app, call, postgres, migrated, caplog):
    url = migrated(postgres())
    app = make_app(DATABASE_URL=url)
    call(target=app).press("")
    admin = sqlalchemy.create_engine(url.rsplit("/", 1)[0] + "/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{sqlalchemy.make_url(url).database}" WITH (FORCE)')
    admin.dispose()

    caller = call(target=app)
    assert caller.heard("sent a text message")
    verified_despite_the_database(caller)
    assert "record start skipped" in caplog.text


def cut_every_connection(url):
    """A restart or failover: every connection to the database is cut."""
    admin = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    admin.dispose()


def recorded(url):
    """(outcome, attempts) of every verification recorded, oldest first."""
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT outcome, attempts FROM verifications ORDER BY id").all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_a_database_restarted_between_two_calls_records_both(make_app, call, postgres, migrated, caplog):
    url = migrated(postgres())
    app = make_app(DATABASE_URL=url)
    verified_despite_the_database(call(target=app))
    cut_every_connection(url)
    verified_despite_the_database(call(target=app))
    assert sorted(recorded(url)) == [("approved", 2), ("approved", 2)]
    assert "skipped" not in caplog.text


def test_a_database_restarted_mid_call_records_the_next_wrong_code(make_app, call, postgres, migrated, caplog):
    url = migrated(postgres())
    app = make_app(DATABASE_URL=url)
    caller = call(target=app)
    cut_every_connection(url)
    caller.press("000000")  # a statement of its own, not a step's pair
    assert caller.heard("not right")
    assert recorded(url) == [(None, 1)]
    assert "skipped" not in caplog.text


def test_a_database_url_nobody_can_use_leaves_the_call_as_it_was(make_app, call, caplog):
    app = make_app()
    app.config["DATABASE_URL"] = "nosuchdatabase://somewhere"  # start-up refuses it; a call must outlive it all the same
    verified_despite_the_database(call(target=app))
    assert "record start skipped, database error NoSuchModuleError" in caplog.text


def test_missing_tables_leave_the_call_as_it_was(make_app, call, tmp_path, caplog):
    caller = call(target=make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}"))
    verified_despite_the_database(caller)
    assert "record approved skipped, database error OperationalError" in caplog.text


def test_a_database_that_hangs_is_waited_on_for_database_timeout_only(make_app, call, postgres, migrated, caplog):
    url = migrated(postgres())
    app = make_app(DATABASE_URL=url, DATABASE_TIMEOUT=0.5)
    # Another session holds every table locked: each statement would wait for ever.
    holder = sqlalchemy.create_engine(url)
    locked, release = threading.Event(), threading.Event()

    def hold_locks():
        with holder.begin() as connection:
            connection.exec_driver_sql("LOCK TABLE verifications, lockouts IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(120)

    thread = threading.Thread(target=hold_locks)
    thread.start()
    try:
        assert locked.wait(120), "the other session never got its locks"
        caller = call(target=app)
        assert caller.heard("sent a text message")
        # statement_timeout (DATABASE_TIMEOUT) ended the wait for the lock: the call went on.
        assert "record start skipped, database error OperationalError" in caplog.text
    finally:
        release.set()
        thread.join()
        holder.dispose()
    verified_despite_the_database(caller)


def test_a_host_ivr_without_a_database_runs_the_subflow_unrecorded(verify, caplog):
    caplog.set_level(logging.WARNING)
    app = build_other_ivr(verify)
    caller = place_call(app, from_=CALLER, url="https://other.example.com/account", sms_source=verify)
    caller.press(caller.last_code)
    assert caller.heard("forty two dollars")
    assert "database" not in caplog.text


def test_a_database_that_stops_answering_mid_call_is_given_up_on(postgres, migrated):
    url = migrated(postgres())
    # In a process of its own, patched by gevent as the Procfile's workers are.
    script = Path(__file__).parent / "frozen_database_call.py"
    done = subprocess.run([sys.executable, str(script), url], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "heard: Thank you. Your phone number is verified." in done.stdout
    assert "record approved skipped, database error DatabaseTimeout" in done.stdout
    # Once the link is back, the next call is recorded as usual.
    assert "then heard: Thank you. Your phone number is verified." in done.stdout
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        outcomes = connection.exec_driver_sql("SELECT outcome FROM verifications").scalars().all()
    engine.dispose()
    # The next call's record is complete. The frozen call's UPDATE, held in the link, may still
    # reach the database once the link is back: that record is open or approved, never wrong.
    assert len(outcomes) == 2 and "approved" in outcomes and set(outcomes) <= {None, "approved"}


def test_thirty_calls_from_one_number_without_the_database_get_the_lockouts_codes_only(make_app, call, verify):
    app = make_app(DATABASE_URL=CLOSED_PORT)
    heard = [call(target=app).heard("sent a text message") for _ in range(30)]
    assert heard == [True] * 3 + [False] * 27
    assert len(verify.sent) == 3  # LOCKOUT_MAX_FAILURES
    assert call(target=app).heard("This number has failed verification too many times")


def test_racing_calls_without_the_database_cannot_pass_the_lockout(make_app):
    app = make_app(DATABASE_URL=CLOSED_PORT)
    barrier = threading.Barrier(30)
    admitted = []

    def race():
        with app.app_context():
            barrier.wait()
            admitted.append(lockout.admit(CALLER) is not None)

    threads = [threading.Thread(target=race) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == 3


def test_without_the_database_a_worker_sends_its_share_of_the_cap_and_no_more(make_app, call, verify, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    app = make_app(DATABASE_URL=CLOSED_PORT, MAX_SENDS_PER_HOUR=5)
    callers = [call(from_=f"+1415555260{n}", target=app) for n in range(4)]
    assert [caller.heard("sent a text message") for caller in callers] == [True, True, False, False]
    assert callers[2].heard("Too many codes are being sent right now, so we cannot send you one.")
    assert len(verify.sent) == 2  # 5 // 2 workers


def test_an_approval_without_the_database_clears_the_count_in_memory(make_app, call):
    app = make_app(DATABASE_URL=CLOSED_PORT)
    for _ in range(5):
        caller = call(target=app)
        caller.press(caller.last_code)
        assert caller.heard("verified")


def test_a_failure_not_of_the_callers_doing_gives_the_count_back_in_memory(make_app, call, verify):
    app = make_app(DATABASE_URL=CLOSED_PORT)
    verify.script("send", *[verify_error(503, 20500, "Service unavailable")] * 5)
    for _ in range(5):
        assert call(target=app).heard("cannot verify your phone right now")
    assert call(target=app).heard("sent a text message")


def flaky_lockout_check(monkeypatch):
    """`down[0] = True` makes the lockout's count fail (one slow statement), and the memory count it."""
    real, down = database.execute, [False]

    def execute(what, *args, **kwargs):
        return kwargs.get("default") if down[0] and what == "lockout check" else real(what, *args, **kwargs)

    monkeypatch.setattr(database, "execute", execute)
    return down


def test_a_count_taken_in_the_database_is_given_back_there_and_not_in_memory(make_app, monkeypatch):
    app, down = make_app(), flaky_lockout_check(monkeypatch)  # LOCKOUT_MAX_FAILURES=3
    admitted_in_memory = 0
    with app.test_request_context():
        for _ in range(4):
            down[0] = True
            admitted_in_memory += sum(lockout.admit(CALLER) is not None for _ in range(3))
            down[0] = False
            lockout.settle(CALLER, "rate_limited", lockout.admit(CALLER))  # counted in the database, given back there
    assert admitted_in_memory == 3


def test_a_count_taken_in_memory_is_given_back_there_and_not_in_the_database(make_app, monkeypatch):
    app, down = make_app(), flaky_lockout_check(monkeypatch)
    admitted_by_database = 0
    with app.test_request_context():
        for _ in range(3):
            admitted_by_database += lockout.admit(CALLER) is not None  # a wrong code keyed: never given back
            down[0] = True
            counted = lockout.admit(CALLER)
            down[0] = False
            lockout.settle(CALLER, "rate_limited", counted)  # counted in memory, given back there
        admitted_by_database += sum(lockout.admit(CALLER) is not None for _ in range(3))
    assert admitted_by_database == 3


def test_the_numbers_counted_in_memory_are_bounded_and_a_new_one_past_them_is_refused(make_app, monkeypatch):
    monkeypatch.setattr(fallback, "MOST_KEYS", 2)
    app = make_app()
    start = datetime.datetime(2026, 12, 7, 2, 0)
    hour = datetime.timedelta(hours=1)
    with app.app_context():
        assert [fallback.count(key, start, start - hour, 3) for key in ("a", "b", "c")] == [1, 1, 4]
        # Once a window has run out, its place is free for another number.
        later = start + hour + datetime.timedelta(seconds=1)
        assert fallback.count("c", later, later - hour, 3) == 1
        assert fallback.count("a", later, later - hour, 3) == 1


def test_a_withheld_callers_short_window_leaves_the_hours_lockouts_in_memory(make_app, monkeypatch):
    app = make_app(DATABASE_URL=CLOSED_PORT)
    moment = [records.now()]
    monkeypatch.setattr(records, "now", lambda: moment[0])
    with app.test_request_context():
        account = accounts.account_hash("12345678", app.config["SECRET_KEY"])
        assert [lockout.admit(CALLER) is not None for _ in range(4)] == [True, True, True, False]
        assert [lockout.admit_key(account) is not None for _ in range(4)] == [True, True, True, False]
        moment[0] += datetime.timedelta(minutes=6)
        # A caller who withholds their number keys an account number: counted in a 5-minute window.
        assert lockout.admit_entry("anonymous") is not None
        assert lockout.admit(CALLER) is None
        assert lockout.admit_key(account) is None
        assert lockout.is_locked(records.number_hash(CALLER))
        moment[0] += datetime.timedelta(minutes=55)
        assert lockout.admit(CALLER) is not None  # the hour has run out


def test_a_number_locked_before_the_database_failed_stays_locked(make_app, call, postgres, migrated):
    url = migrated(postgres())
    app = make_app(DATABASE_URL=url)
    assert [call(target=app).heard("sent a text message") for _ in range(3)] == [True] * 3
    admin = sqlalchemy.create_engine(url.rsplit("/", 1)[0] + "/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{sqlalchemy.make_url(url).database}" WITH (FORCE)')
    admin.dispose()

    assert call(target=app).heard("This number has failed verification too many times")
    assert call(from_="+14155550123", target=app).heard("sent a text message")  # another number starts afresh


def test_locks_remembered_from_the_database_never_take_a_place_from_a_new_number(make_app, monkeypatch):
    monkeypatch.setattr(fallback, "MOST_KEYS", 2)
    monkeypatch.setattr(fallback, "MOST_LOCKED", 2)
    app = make_app()
    start = datetime.datetime(2026, 12, 7, 2, 0)
    opened = start - datetime.timedelta(hours=1)
    with app.app_context():
        for key in ("x", "y", "z"):
            fallback.remember_locked(key, start, opened)
        assert [fallback.count(key, start, opened, 3) for key in ("a", "b")] == [1, 1]
        assert fallback.count("z", start, opened, 3) == 4
        assert fallback.count("x", start, opened, 3) == 4  # the oldest remembered was forgotten, and the store is full
