"""A database that is down, gone or slow never changes what the caller hears."""

import logging
import subprocess
import sys
import threading
from pathlib import Path

import sqlalchemy

from app.simulator import place_call
from tests.conftest import CALLER
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
    verified_despite_the_database(call(target=make_app(DATABASE_URL="nosuchdatabase://somewhere")))
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
