"""However a caller spoofing a number plays it, Verify checks at most 9 wrong codes for it per lockout window."""

import datetime

import pytest

from app.calls.callstate import StateCodec
from app.storage import records
from app.twilio.verify import VerifyService
from tests.conftest import BACKENDS
from tests.fakes import TIMEOUT, ScriptedVerify, verify_error

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

WINDOW = 3600  # LOCKOUT_WINDOW
CEILING = 3 * 3  # LOCKOUT_MAX_FAILURES calls in a window, MAX_ATTEMPTS codes each (docs/security.md, "The lockout ceiling")


class Clock:
    """The time the app's records and lockouts and the Verify stand-in see, moved by the test."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now

    def utc(self):
        return datetime.datetime.fromtimestamp(self.now, datetime.UTC).replace(tzinfo=None)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(records, "now", clock.utc)
    return clock


@pytest.fixture
def verify(clock):
    return ScriptedVerify(clock=clock)


def guesses(verify):
    """Wrong codes Verify may have compared: every check but those answered 404 (the verification was gone)."""
    return sum(
        path.endswith("VerificationCheck") and status != 404
        for (path, _), status in zip(verify.requests, verify.statuses, strict=True)
    )


def wrong(verify):
    """A code that is not the one Verify last texted."""
    return "000000" if verify.last_code() != "000000" else "111111"


def key_wrong(caller, verify, times=1):
    for _ in range(times):
        caller.press(wrong(verify))
        assert caller.heard("not right")


def call_until_locked_out(call, verify, app):
    """Call again and again, keying wrong codes, until the number is refused."""
    for _ in range(10):
        caller = call(target=app)
        if caller.heard("cannot send it another code"):
            return
        while caller.listening:
            caller.press(wrong(verify))
    pytest.fail("ten calls in a row were not refused")


def rotated_secret_key(monkeypatch, app):
    """Our side loses the calls' state: the tokens in their URLs no longer open."""
    codec = StateCodec("a-secret-key-rotated-mid-call", app.config["CALL_STATE_MAX_AGE"])
    monkeypatch.setitem(app.extensions["verification"], "codec", codec)


def crash_after_verify_answers(monkeypatch):
    """A bug on our side after Verify has checked the code."""
    check = VerifyService.check

    def check_then_fail(self, sid, code, **options):
        check(self, sid, code, **options)
        raise RuntimeError("a bug")

    monkeypatch.setattr(VerifyService, "check", check_then_fail)


def test_two_wrong_codes_then_star_into_verifys_send_limit_still_count(make_app, call, verify, clock):
    app = make_app()
    for _ in range(3):
        caller = call(target=app)
        key_wrong(caller, verify, 2)
        verify.script("send", verify_error(429, 60203))
        caller.press("*")
        assert caller.heard("too many codes have been requested")
        clock.now += 601  # each call on a fresh code, as far from Verify's own limits as it gets
    assert call(target=app).heard("cannot send it another code")
    assert guesses(verify) == 6


def test_a_call_counted_in_a_window_that_has_ended_gives_nothing_back_to_the_next(make_app, call, verify, clock):
    app = make_app(LOCKOUT_MAX_FAILURES=1)
    late = call(target=app)
    clock.now += WINDOW + 1
    assert call(target=app).heard("sent a text message")
    verify.script("send", verify_error(429, 60203))
    late.press("*")
    assert late.heard("too many codes have been requested")
    assert call(target=app).heard("cannot send it another code")


def test_no_sequence_gets_more_wrong_codes_checked_than_the_ceiling_and_each_window_starts_afresh(
    make_app, call, verify, clock, hang_up, monkeypatch
):
    app = make_app()

    # Window 1. Three calls wait at their Gathers at once; a fourth is refused.
    first, second, third = call(target=app), call(target=app), call(target=app)
    assert call(target=app).heard("cannot send it another code")
    # Two wrong codes, then '*' as Verify's send limit is reached: rate limited.
    key_wrong(first, verify, 2)
    verify.script("send", verify_error(429, 60203))
    first.press("*")
    assert first.heard("too many codes have been requested")
    # A wrong code, then Verify times out checking the next: unavailable.
    key_wrong(second, verify)
    verify.script("check", TIMEOUT)
    second.press(wrong(verify))
    assert second.heard("cannot verify your phone right now")
    # A wrong code, then the call's state token no longer opens.
    key_wrong(third, verify)
    with monkeypatch.context() as patch:
        rotated_secret_key(patch, app)
        third.press(wrong(verify))
    assert third.heard("something went wrong on our side")
    call_until_locked_out(call, verify, app)
    in_window_1 = guesses(verify)
    assert in_window_1 <= CEILING

    # Window 2 starts afresh.
    clock.now += WINDOW + 1
    window_2 = clock.now
    fourth = call(target=app)
    assert fourth.heard("sent a text message")
    # A wrong code; the code expires and is sent again on the next; one more wrong code; a hang-up.
    key_wrong(fourth, verify)
    clock.now += 601
    fourth.press(wrong(verify))
    assert fourth.heard("that code has expired, so we have sent you a new one")
    key_wrong(fourth, verify)
    hang_up(fourth, target=app)
    # A wrong code, then a bug on our side after Verify has checked the next.
    fifth = call(target=app)
    key_wrong(fifth, verify)
    checked = guesses(verify)
    with monkeypatch.context() as patch:
        crash_after_verify_answers(patch)
        fifth.press(wrong(verify))
    assert fifth.heard("something went wrong on our side")
    assert guesses(verify) == checked + 1  # Verify did compare the code before our side broke
    # Just before the window ends, a call that keys nothing yet.
    clock.now = window_2 + WINDOW - 5
    straddling = call(target=app)
    assert straddling.heard("sent a text message")
    assert call(target=app).heard("cannot send it another code")
    in_window_2 = guesses(verify) - in_window_1
    assert in_window_2 <= CEILING

    # Window 3 starts afresh. Three calls wait at once; the straddling call's '*' meets Verify's
    # send limit, which does not give window 3 a fourth call. Then all three key wrong codes in turn.
    clock.now = window_2 + WINDOW + 1
    callers = [call(target=app) for _ in range(3)]
    assert all(caller.heard("sent a text message") for caller in callers)
    verify.script("send", verify_error(429, 60203))
    straddling.press("*")
    assert straddling.heard("too many codes have been requested")
    while any(caller.listening for caller in callers):
        for caller in callers:
            if caller.listening:
                caller.press(wrong(verify))
    call_until_locked_out(call, verify, app)
    assert guesses(verify) - in_window_1 - in_window_2 <= CEILING
