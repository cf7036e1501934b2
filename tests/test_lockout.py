"""A number that keeps failing is sent to an agent instead of a code, on every worker at once."""

import datetime
import threading
import time

import pytest

from app.storage import lockout
from app.storage.tables import lockouts
from tests.conftest import BACKENDS, CALLER, SLOW_MACHINE_DATABASE_TIMEOUT
from tests.fakes import verify_error

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

AGENT = "+14155550100"


def fail_once(call):
    caller = call()
    for _ in range(3):
        caller.press("000000")
    assert caller.heard("not right too many times")


def test_after_three_failed_verifications_the_caller_must_speak_to_an_agent(make_app, call, verify, records):
    app = make_app(FALLBACK_NUMBER=AGENT)
    for _ in range(3):
        fail_once(lambda: call(target=app))
    codes_sent = len(verify.sent)

    caller = call(target=app)

    assert caller.heard("failed verification too many times, so we cannot send it another code")
    assert caller.heard("connect you to an agent")
    assert caller.dialed == [AGENT]
    assert len(verify.sent) == codes_sent
    assert records()[-1]["reason"] == "locked"


def test_the_locked_prompt_is_spoken_in_spanish_too(make_app, call):
    app = make_app(LANGUAGE="es-MX", LOCKOUT_MAX_FAILURES=1)
    caller = call(target=app)
    caller.press("000000")
    caller.press("000000")
    caller.press("000000")
    caller = call(target=app)
    assert caller.heard("no podemos enviar otro código a este número")


def test_another_number_is_not_locked_out(make_app, call):
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    fail_once(lambda: call(target=app))
    assert call(from_="+14155552699", target=app).heard("sent a text message")


def test_a_verified_call_clears_the_count(make_app, call):
    app = make_app(LOCKOUT_MAX_FAILURES=2)
    fail_once(lambda: call(target=app))
    caller = call(target=app)
    caller.press(caller.last_code)
    assert caller.heard("verified")
    fail_once(lambda: call(target=app))
    assert call(target=app).heard("sent a text message")


def test_a_hang_up_mid_verification_counts_as_a_failure(make_app, call, hang_up):
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    hang_up(call(target=app), target=app)
    assert call(target=app).heard("cannot send it another code")


def test_verify_being_down_does_not_count_against_the_caller(make_app, call, verify):
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    verify.script("send", verify_error(503, 20500), verify_error(503, 20500))
    assert call(target=app).heard("cannot verify your phone right now")
    assert call(target=app).heard("cannot verify your phone right now")
    assert call(target=app).heard("sent a text message")


def test_a_resend_refused_before_any_code_was_checked_does_not_count_against_the_caller(make_app, call, verify):
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    caller = call(target=app)
    verify.script("send", verify_error(429, 60203))
    caller.press("*")
    assert caller.heard("too many codes have been requested")
    assert call(target=app).heard("sent a text message")


def test_verify_failing_while_checking_counts_against_the_caller(make_app, call, verify):
    # Verify may have counted the code before it failed: the call is not given back.
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    caller = call(target=app)
    verify.script("check", verify_error(503, 20500))
    caller.press("000000")
    assert caller.heard("cannot verify your phone right now")
    assert call(target=app).heard("cannot send it another code")


def test_a_verification_broken_off_by_an_error_on_our_side_counts_against_the_caller(make_app, call, monkeypatch):
    # Once our side has lost the call, nothing proves that no code was checked.
    from app.twilio.verify import VerifyService

    app = make_app(LOCKOUT_MAX_FAILURES=1)
    monkeypatch.setattr(VerifyService, "check", lambda *args: 1 / 0)
    caller = call(target=app)
    caller.press("000000")
    assert caller.heard("something went wrong on our side")
    assert call(target=app).heard("cannot send it another code")


def test_a_caller_keying_past_the_state_max_age_counts_against_the_caller(make_app, call, monkeypatch):
    # The shortest max age these settings allow; Twilio restarts the Gather's timeout at each key.
    app = make_app(CALL_STATE_MAX_AGE=60, CODE_LENGTH=4, GATHER_TIMEOUT=3, LOCKOUT_MAX_FAILURES=1)
    caller = call(target=app)
    later = time.time() + 61
    with monkeypatch.context() as clock:
        clock.setattr("cryptography.fernet.time.time", lambda: later)
        caller.press("0000")
    assert caller.heard("something went wrong on our side")
    assert call(target=app).heard("cannot send it another code")


def test_the_lockout_ends_with_its_window(make_app, call, db):
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    fail_once(lambda: call(target=app))
    assert call(target=app).heard("cannot send it another code")
    with db.begin() as connection:
        connection.execute(lockouts.update().values(window_start=lockouts.c.window_start - datetime.timedelta(hours=2)))
    assert call(target=app).heard("sent a text message")


def test_calls_from_a_locked_number_do_not_pile_up_the_count(make_app, call, db):
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    fail_once(lambda: call(target=app))
    for _ in range(3):
        assert call(target=app).heard("cannot send it another code")
    with db.connect() as connection:
        assert connection.execute(lockouts.select()).one().failures == 2


def test_unlock_lifts_the_lockout(make_app, call):
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    fail_once(lambda: call(target=app))
    result = app.test_cli_runner().invoke(args=["verifications", "unlock", CALLER])
    assert "+1•••••••71: lockout lifted" in result.output
    assert CALLER not in result.output
    assert call(target=app).heard("sent a text message")


def test_unlocking_a_number_that_is_not_locked_says_so(app):
    result = app.test_cli_runner().invoke(args=["verifications", "unlock", "+14155552699"])
    assert "was not locked out" in result.output


def test_unlocking_a_number_with_failures_but_no_lockout_says_what_it_cleared(make_app, call):
    app = make_app(LOCKOUT_MAX_FAILURES=3)
    fail_once(lambda: call(target=app))
    result = app.test_cli_runner().invoke(args=["verifications", "unlock", CALLER])
    assert "+1•••••••71: was not locked out; its count of failed verifications is cleared." in result.output


def test_unlock_takes_the_number_however_it_is_spaced(make_app, call):
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    fail_once(lambda: call(target=app))
    result = app.test_cli_runner().invoke(args=["verifications", "unlock", "+1 (415) 555-2671"])
    assert "+1•••••••71: lockout lifted" in result.output


def test_unlock_refuses_what_is_not_a_phone_number(app):
    result = app.test_cli_runner().invoke(args=["verifications", "unlock", "4155552671"])
    assert result.exit_code == 2
    assert "not a phone number in international form" in result.output


@pytest.mark.parametrize("racers", [2, 8])
def test_racing_workers_cannot_let_an_extra_attempt_through(make_app, racers):
    # Two failures already: one try is left, and `racers` calls reach the check at the same instant.
    app = make_app(DATABASE_TIMEOUT=SLOW_MACHINE_DATABASE_TIMEOUT)
    with app.app_context():
        assert lockout.admit(CALLER) and lockout.admit(CALLER)
    barrier = threading.Barrier(racers)
    admitted = []

    def race():
        with app.app_context():
            barrier.wait()
            admitted.append(lockout.admit(CALLER) is not None)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(admitted) == [False] * (racers - 1) + [True]
