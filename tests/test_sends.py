"""Codes go only to the countries served, and no more than MAX_SENDS_PER_HOUR leave in an hour."""

import datetime
import logging
import os
import re
import runpy
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest
import requests
import sqlalchemy

from app import create_app
from app.calls import risk
from app.simulator import place_call
from app.storage import database, sends
from app.storage.tables import lockouts, send_counts
from config import TestConfig
from tests.conftest import BACKENDS, SLOW_MACHINE_DATABASE_TIMEOUT
from tests.fakes import verify_error
from tests.served import production_server
from tests.test_admin import BASE, HASH, log_in
from tests.test_cli_call import NO_CREDENTIALS
from tests.test_database_down import CLOSED_PORT

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

LONDON = "+442079460000"
OTTAWA = "+16135550100"
CALLERS = ["+14155552671", "+14155552672", "+14155552673", "+14155552674"]


class Clock:
    """The clock hour the sends fall in: the same whenever the test runs, until the test turns it."""

    def __init__(self):
        self.hour = sends.this_hour()

    def turn(self):
        self.hour += datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Every send of a test falls in the same clock hour, whenever the test runs, until `clock.turn()`."""
    clock = Clock()
    monkeypatch.setattr(sends, "this_hour", lambda: clock.hour)
    return clock


def hours_counted(db):
    """(places taken, codes sent) of each hour counted, the earliest first."""
    query = sqlalchemy.select(send_counts.c.sends, send_counts.c.sent).order_by(send_counts.c.hour_start)
    with db.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def lockout_counts(db):
    with db.connect() as connection:
        return connection.execute(sqlalchemy.select(lockouts.c.failures)).scalars().all()


def test_a_number_outside_the_allowed_countries_hears_why_and_is_sent_nothing(make_app, call, verify, records, db):
    app = make_app(ALLOWED_COUNTRIES="US,CA")

    caller = call(from_=LONDON, target=app)

    assert caller.heard("We are not able to send a code to the number you are calling from.")
    assert caller.end_reason == "hangup"
    assert verify.sent == [] and verify.requests == []
    assert (records()[0]["outcome"], records()[0]["reason"]) == ("failed", "country_not_allowed")
    assert lockout_counts(db) == [0]  # not the caller's doing: counted, then given back


def test_countries_are_named_by_region_or_by_calling_code(make_app, call, verify):
    assert call(from_=OTTAWA, target=make_app(ALLOWED_COUNTRIES="CA")).heard("sent a text message")
    assert call(from_=OTTAWA, target=make_app(ALLOWED_COUNTRIES="US")).heard("not able to send a code")
    assert call(from_=LONDON, target=make_app(ALLOWED_COUNTRIES="US, +44")).heard("sent a text message")
    assert call(from_=LONDON, target=make_app(ALLOWED_COUNTRIES="")).heard("sent a text message")


def test_past_the_hourly_cap_callers_hear_why_and_are_sent_nothing(make_app, call, verify, records, db):
    app = make_app(MAX_SENDS_PER_HOUR=2, FALLBACK_NUMBER="+14155550100")
    for number in CALLERS[:2]:
        assert call(from_=number, target=app).heard("sent a text message")

    caller = call(from_=CALLERS[2], target=app)

    assert caller.heard("Too many codes are being sent right now, so we cannot send you one.")
    assert caller.dialed == ["+14155550100"]
    assert len(verify.sent) == 2
    assert (records()[-1]["outcome"], records()[-1]["reason"]) == ("failed", "sends_capped")
    assert sorted(lockout_counts(db)) == [0, 1, 1]


def test_a_call_the_risk_check_refuses_gives_its_place_back_and_counts_as_no_code_sent(make_app, call, verify, db):
    app = make_app(MAX_SENDS_PER_HOUR=1, RISK_CHECKS="line_type")
    verify.lookup.answer(CALLERS[0], line_type="landline")
    assert call(from_=CALLERS[0], target=app).heard("We cannot send a text message to this phone line")
    sends.give_back(app)  # the worker ends: what it reports is what was sent
    assert hours_counted(db) == [(0, 0)]
    assert call(from_=CALLERS[1], target=app).heard("sent a text message")
    assert len(verify.sent) == 1
    sends.give_back(app)
    assert hours_counted(db) == [(1, 1)]


@pytest.mark.parametrize("refusal", [(403, 60410, "blocked by Fraud Guard"), (400, 60605, "geo permissions"), (400, 60200, "invalid To")])
def test_a_send_verify_refuses_gives_its_place_back_and_counts_as_no_code_sent(make_app, call, verify, db, refusal):
    app = make_app(MAX_SENDS_PER_HOUR=1)
    verify.script("send", verify_error(*refusal))
    assert not call(from_=CALLERS[0], target=app).heard("sent a text message")
    sends.give_back(app)
    assert hours_counted(db) == [(0, 0)]
    assert call(from_=CALLERS[1], target=app).heard("sent a text message")


def test_a_send_that_may_have_gone_keeps_its_place(make_app, call, verify, db):
    # Verify down (a 5xx) may have texted the code before it failed: counted as sent.
    app = make_app(MAX_SENDS_PER_HOUR=1)
    verify.script("send", verify_error(503, 20500, "Verify is down"))
    assert call(from_=CALLERS[0], target=app).heard("cannot verify your phone right now")
    assert not call(from_=CALLERS[1], target=app).heard("sent a text message")


def test_without_the_database_a_refused_call_gives_its_place_back_to_the_workers_share(make_app, call, verify, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    app = make_app(MAX_SENDS_PER_HOUR=1, RISK_CHECKS="line_type", DATABASE_URL=CLOSED_PORT)
    verify.lookup.answer(CALLERS[0], line_type="landline")
    assert call(from_=CALLERS[0], target=app).heard("We cannot send a text message to this phone line")
    assert call(from_=CALLERS[1], target=app).heard("sent a text message")


def test_a_new_code_on_star_counts_against_the_cap(make_app, call, verify):
    caller = call(target=make_app(MAX_SENDS_PER_HOUR=1))
    caller.press("*#")
    assert caller.heard("cannot send another code on this call, but the code we sent still works")
    assert "press star" not in " ".join(caller.said_since_last_input())  # nor is a new code offered again
    assert len(verify.sent) == 1
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_the_cap_opens_again_with_the_next_hour(make_app, call, db):
    app = make_app(MAX_SENDS_PER_HOUR=1)
    call(from_=CALLERS[0], target=app)
    assert call(from_=CALLERS[1], target=app).heard("too many codes are being sent")
    with db.begin() as connection:
        connection.execute(send_counts.update().values(hour_start=send_counts.c.hour_start - datetime.timedelta(hours=1)))
    assert call(from_=CALLERS[2], target=app).heard("sent a text message")


@pytest.mark.parametrize("racers", [2, 8])
def test_racing_workers_cannot_send_past_the_cap(make_app, racers):
    app = make_app(MAX_SENDS_PER_HOUR=3, DATABASE_TIMEOUT=SLOW_MACHINE_DATABASE_TIMEOUT)
    with app.app_context():
        assert sends.admit() and sends.admit()
    barrier = threading.Barrier(racers)
    admitted = []

    def race():
        with app.app_context():
            barrier.wait()
            admitted.append(sends.admit())

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(admitted) == [False] * (racers - 1) + [True]


def test_the_report_shows_both_reasons_and_the_sends_this_hour_against_the_cap(make_app, call):
    app = make_app(MAX_SENDS_PER_HOUR=2, ALLOWED_COUNTRIES="US")
    for number in [*CALLERS[:3], LONDON]:
        call(from_=number, target=app)

    result = app.test_cli_runner().invoke(args=["verifications", "report"])

    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    for line in ["sends_capped 1", "country_not_allowed 1", "this_hour 2", "max_per_hour 2"]:
        assert line in lines


def test_workers_take_places_a_few_at_a_time_and_never_send_past_the_cap(make_app, db):
    # A cap of 251: each worker takes 2 places at a time (1%), the last worker to ask gets the one left.
    workers = [make_app(MAX_SENDS_PER_HOUR=251), make_app(MAX_SENDS_PER_HOUR=251)]
    admitted = 0
    for turn in range(300):
        with workers[turn % 2].app_context():
            admitted += sends.admit()
    assert admitted == 251
    with db.connect() as connection:
        assert connection.execute(sqlalchemy.select(send_counts.c.sends)).scalar_one() == 251 + 2


def test_a_small_cap_is_exact_across_two_servers_sharing_the_database(make_app, call, verify, db):
    servers = [make_app(MAX_SENDS_PER_HOUR=3), make_app(MAX_SENDS_PER_HOUR=3)]
    heard = [call(from_=CALLERS[n], target=servers[n % 2]).heard("sent a text message") for n in range(4)]
    assert heard == [True, True, True, False]
    assert len(verify.sent) == 3
    assert hours_counted(db) == [(4, 3)]  # past the cap the count rests one above it; 3 codes sent


def test_codes_the_local_stand_in_prints_do_not_count_against_the_cap(db):
    app = create_app(TestConfig, **NO_CREDENTIALS, MAX_SENDS_PER_HOUR=1)
    for _ in range(3):
        result = app.test_cli_runner().invoke(args=["call", "--keys", "code"])
        assert "Your phone number is verified." in result.output
    database.dispose(app)
    assert hours_counted(db) == []


def test_a_process_that_ends_gives_back_the_places_it_holds(database_url, db):
    # A process of its own, as each `flask call` is: it takes 10 places, sends one code and ends.
    script = (
        "import sys; from app import create_app; from app.simulator import place_call; from config import TestConfig;"
        "from tests.fakes import ScriptedVerify; verify = ScriptedVerify();"
        "app = create_app(TestConfig, http_client=verify, DATABASE_URL=sys.argv[1]);"
        "place_call(app, from_='+14155552671', sms_source=verify)"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", script, database_url], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert hours_counted(db) == [(1, 1)]


def test_a_gunicorn_worker_that_stops_gives_back_its_places(make_app, db, monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "gthread")  # gevent would patch this test's process
    hooks = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    app = make_app(MAX_SENDS_PER_HOUR=1000)
    with app.app_context():
        assert sends.admit() and sends.admit()
    assert hours_counted(db) == [(10, 1)]  # ten places taken, the first code reported

    hooks["worker_exit"](None, types.SimpleNamespace(wsgi=app))

    assert hours_counted(db) == [(2, 2)]
    sends.give_back(app)  # then atexit: nothing more to give
    assert hours_counted(db) == [(2, 2)]


def test_places_given_back_past_the_cap_can_be_taken_again(make_app):
    # A cap of 250: 2 places at a time. One worker holds a place it will not use when the other finds the cap reached.
    holder, other = make_app(MAX_SENDS_PER_HOUR=250), make_app(MAX_SENDS_PER_HOUR=250)
    with holder.app_context():
        assert sends.admit()
    with other.app_context():
        assert sum(sends.admit() for _ in range(250)) == 248
    sends.give_back(holder)
    with other.app_context():
        assert sends.admit() and not sends.admit()


def test_the_report_and_the_page_show_codes_sent_not_places_held(make_app, call):
    app = make_app(ADMIN_PASSWORD_HASH=HASH)
    for number in CALLERS[:3]:
        call(from_=number, target=app)
    sends.give_back(app)  # the process ends: it reports its codes

    result = app.test_cli_runner().invoke(args=["verifications", "report"])
    assert "this_hour 3" in [" ".join(line.split()) for line in result.output.splitlines()]
    browser = app.test_client()
    log_in(browser)
    page = browser.get(BASE + "/admin/?period=1h").get_data(as_text=True)
    assert "3<small> / 2500</small></span><span" in page and "codes sent this hour" in page


def test_the_cap_is_drawn_from_the_callers_of_the_busiest_hour(make_app, caplog):
    caplog.set_level(logging.INFO, logger="app.storage.sends")
    caplog.set_level(logging.INFO, logger="app.factory")
    # Each caller may be sent 1 + MAX_RESENDS codes, and a quarter more leaves room.
    assert sends.cap(make_app().config) == 1000 * 2 * 1.25
    assert "send cap: 2500 codes per clock hour = PEAK_CALLS_PER_HOUR 1000 (the default" in caplog.text
    caplog.clear()
    assert sends.cap(make_app(PEAK_CALLS_PER_HOUR=300, MAX_RESENDS=2).config) == 300 * 3 * 1.25
    assert "send cap: 1125 codes per clock hour = PEAK_CALLS_PER_HOUR 300 × 3 (codes a call may send: 1 + MAX_RESENDS)" in caplog.text
    caplog.clear()
    assert sends.cap(make_app(PEAK_CALLS_PER_HOUR=300, MAX_SENDS_PER_HOUR=400).config) == 400
    assert "send cap: 400 codes per clock hour, as MAX_SENDS_PER_HOUR sets" in caplog.text


def test_a_peak_of_ten_callers_stops_the_twenty_sixth_code(make_app, call, verify, records, caplog):
    app = make_app(PEAK_CALLS_PER_HOUR=10)
    callers = [f"+1415555{n:04d}" for n in range(26)]
    heard = [call(from_=number, target=app).heard("sent a text message") for number in callers]
    assert heard == [True] * 25 + [False]
    assert len(verify.sent) == 25
    assert records()[-1]["reason"] == "sends_capped"
    assert "no code sent, MAX_SENDS_PER_HOUR (25) reached this hour" in caplog.text  # the cap in force, drawn
    sends.give_back(app)
    result = app.test_cli_runner().invoke(args=["verifications", "report"])
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "this_hour 25" in lines and "max_per_hour 25" in lines


@pytest.mark.parametrize(
    "settings, refusal",
    [
        ({"PEAK_CALLS_PER_HOUR": 0}, "PEAK_CALLS_PER_HOUR=0 is out of range (1 to 100000)"),
        ({"PEAK_CALLS_PER_HOUR": 100_001}, "PEAK_CALLS_PER_HOUR=100001 is out of range (1 to 100000)"),
        ({"MAX_SENDS_PER_HOUR": -1}, "MAX_SENDS_PER_HOUR=-1 is out of range (0 to 1000000)"),
    ],
)
def test_a_peak_or_a_cap_out_of_range_is_refused_at_start_up(make_app, settings, refusal):
    with pytest.raises(RuntimeError, match=f"^{re.escape(refusal)}$"):
        make_app(**settings)


def test_the_hour_s_turn_reports_the_codes_sent_in_the_last_and_gives_back_its_places(make_app, call, verify, db, clock):
    app = make_app(MAX_SENDS_PER_HOUR=1000)
    for number in CALLERS[:3]:
        assert call(from_=number, target=app).heard("sent a text message")
    assert hours_counted(db) == [(10, 1)]  # ten places taken, the first code reported; two more sent

    clock.turn()
    assert call(from_=CALLERS[3], target=app).heard("sent a text message")

    assert hours_counted(db) == [(3, 3), (10, 1)]  # the last hour: three codes, its places given back
    result = app.test_cli_runner().invoke(args=["verifications", "report"])
    assert "this_hour 1" in [" ".join(line.split()) for line in result.output.splitlines()]


@pytest.mark.parametrize("meanwhile", [None, CALLERS[3]], ids=["alone", "another_caller_turns_the_hour"])
def test_a_place_given_back_after_the_hour_turned_is_counted_off_in_its_own_hour(make_app, call, verify, db, clock, monkeypatch, meanwhile):
    app = make_app(MAX_SENDS_PER_HOUR=1000, RISK_CHECKS="line_type")
    assert call(from_=CALLERS[0], target=app).heard("sent a text message")
    verify.lookup.answer(CALLERS[1], line_type="landline")
    looked_up = risk.assess

    def the_hour_turns_during_the_lookup(state):
        if state.destination != CALLERS[1]:
            return looked_up(state)
        clock.turn()
        if meanwhile:  # another caller's code goes first, in another thread of the worker
            other = threading.Thread(target=lambda: call(from_=meanwhile, target=app))
            other.start()
            other.join()
        return looked_up(state)

    monkeypatch.setattr(risk, "assess", the_hour_turns_during_the_lookup)
    assert call(from_=CALLERS[1], target=app).heard("We cannot send a text message to this phone line")
    monkeypatch.setattr(risk, "assess", looked_up)
    assert call(from_=CALLERS[2], target=app).heard("sent a text message")

    sends.give_back(app)
    sent_now = 2 if meanwhile else 1
    assert hours_counted(db) == [(1, 1), (sent_now, sent_now)]  # the landline's place counted in neither hour
    assert len(verify.sent) == 1 + sent_now


def test_a_worker_whose_give_back_fails_at_exit_gives_it_back_at_the_process_s_end(make_app, db, monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "gthread")
    hooks = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    app = make_app(MAX_SENDS_PER_HOUR=1000)
    with app.app_context():
        assert sends.admit() and sends.admit()
    run = database._run

    def dropped(*args):
        raise sqlalchemy.exc.OperationalError("UPDATE send_counts", {}, ConnectionError("connection dropped"))

    monkeypatch.setattr(database, "_run", dropped)
    hooks["worker_exit"](None, types.SimpleNamespace(wsgi=app))  # logged; the places are kept
    assert hours_counted(db) == [(10, 1)]
    monkeypatch.setattr(database, "_run", run)

    sends.give_back(app)  # then atexit

    assert hours_counted(db) == [(2, 2)]


@pytest.fixture
def served(database_url, tmp_path):
    """gunicorn as the Procfile runs it, one worker at a time, Verify simulated; (server, auth token)."""
    settings = {"WEB_CONCURRENCY": "1", "GUNICORN_CMD_ARGS": f"--max-requests {MAX_REQUESTS}"}
    with production_server(database_url, tmp_path, 0.01, **settings) as served_:
        yield served_


MAX_REQUESTS = 60


def places_and_codes(db):
    """(places taken, codes sent) of every hour together: a give-back goes into its own hour, whenever the test runs."""
    return tuple(map(sum, zip(*hours_counted(db)))) or (0, 0)


def replaced(server, worker):
    """Once gunicorn has a new worker in the place of `worker`, ended: the new one's pid."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if pids and worker not in pids and not Path(f"/proc/{worker}").exists():
            return pids[0]
        time.sleep(0.05)
    pytest.fail(f"worker {worker} was not replaced within 60 s", pytrace=False)


def test_a_worker_gives_back_its_places_however_it_stops(served, db, clock):
    server, token = served
    callers = iter(f"+1415555{n:04d}" for n in range(100))
    codes = 0

    def two_codes_sent():
        nonlocal codes
        for _ in range(2):
            assert place_call(f"{server.url}/voice", from_=next(callers), auth_token=token).heard("sent a text message")
        codes += 2
        assert places_and_codes(db)[0] > codes  # the worker holds places it has not used

    worker = server.worker_pids()[0]
    # SIGTERM: a graceful stop (a deploy, a scale-down); SIGQUIT and SIGINT: a quick one;
    # SIGABRT: the master's stop of a worker stuck past gunicorn's timeout.
    for stop in (signal.SIGTERM, signal.SIGQUIT, signal.SIGINT, signal.SIGABRT):
        two_codes_sent()
        os.kill(worker, stop)
        worker = replaced(server, worker)
        assert places_and_codes(db) == (codes, codes), stop.name

    two_codes_sent()  # max_requests: the worker stops of itself after so many requests
    while worker in server.worker_pids():
        requests.get(f"{server.url}/healthz", timeout=10)
    worker = replaced(server, worker)
    assert places_and_codes(db) == (codes, codes), "max_requests"

    two_codes_sent()
    server.stop()  # the whole server, as Heroku stops a dyno
    assert places_and_codes(db) == (codes, codes), "the server stopped"


def test_a_give_back_the_database_fails_at_the_hour_s_turn_is_made_at_the_process_s_end(make_app, call, db, clock, monkeypatch):
    app = make_app(MAX_SENDS_PER_HOUR=1000)
    for number in CALLERS[:2]:
        assert call(from_=number, target=app).heard("sent a text message")
    clock.turn()
    run = database._run

    def the_give_back_dropped(statement, *args):
        if getattr(statement, "is_update", False):
            raise sqlalchemy.exc.OperationalError("UPDATE send_counts", {}, ConnectionError("connection dropped"))
        return run(statement, *args)

    monkeypatch.setattr(database, "_run", the_give_back_dropped)
    # The new hour's first code: the failed give-back skips the database for the rest of the step,
    # so the code goes from the worker's share in memory.
    assert call(from_=CALLERS[2], target=app).heard("sent a text message")
    monkeypatch.setattr(database, "_run", run)
    assert hours_counted(db) == [(10, 1)]  # the last hour's give-back is owed

    sends.give_back(app)  # worker_exit, or atexit

    assert hours_counted(db) == [(2, 2)]


def test_a_worker_that_stops_after_the_hour_turned_gives_its_places_back_into_their_own_hour(make_app, call, db, clock):
    app = make_app(MAX_SENDS_PER_HOUR=1000)
    for number in CALLERS[:2]:
        assert call(from_=number, target=app).heard("sent a text message")
    clock.turn()

    sends.give_back(app)  # worker_exit, or atexit

    assert hours_counted(db) == [(2, 2)]
    result = app.test_cli_runner().invoke(args=["verifications", "report"])
    assert "this_hour 0" in [" ".join(line.split()) for line in result.output.splitlines()]


@pytest.fixture
def statements():
    """The statements every engine runs while the test watches: `with statements.watched(): …`, then `statements.seen`."""
    seen = []

    def watch(*args):
        seen.append(args[2].split()[0] + (" send_counts" if "send_counts" in args[2] else ""))

    sqlalchemy.event.listen(sqlalchemy.Engine, "before_cursor_execute", watch)
    yield seen
    sqlalchemy.event.remove(sqlalchemy.Engine, "before_cursor_execute", watch)


def test_a_code_sent_from_the_places_a_worker_holds_adds_no_statement_to_the_call_s_start(make_app, call, clock, statements):
    app = make_app(MAX_SENDS_PER_HOUR=1000)
    call(from_=CALLERS[0], target=app)  # the worker takes its places
    statements.clear()
    assert call(from_=CALLERS[1], target=app).heard("sent a text message")
    assert "send_counts" not in " ".join(statements)  # the record and the lockout count only

    clock.turn()
    statements.clear()
    assert call(from_=CALLERS[2], target=app).heard("sent a text message")
    # Once an hour a worker's first code gives the last hour's places back, and takes this hour's.
    assert [statement for statement in statements if "send_counts" in statement] == ["UPDATE send_counts", "INSERT send_counts"]
