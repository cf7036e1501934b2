"""Logs say what happened on a call without a code, a token or a full number in them."""

import logging

import pytest

from tests.fakes import TIMEOUT, verify_error

CALLERS = ["+14155552671", "+14155552672", "+14155552673", "+14155552674"]


def walk_every_path(call, verify):
    """Calls that go through every branch: verified, wrong codes, silence, resend, errors."""
    caller = call(from_=CALLERS[0])
    caller.press("000000")
    caller.silence()
    caller.press("*#")
    caller.press(caller.last_code)
    codes = [caller.last_code]
    caller = call(from_=CALLERS[1])
    codes.append(caller.last_code)
    for _ in range(3):
        caller.press("000000")
    verify.script("send", verify_error(400, 60200, f"Invalid parameter `To`: {CALLERS[2]}"))
    call(from_=CALLERS[2])
    caller = call(from_=CALLERS[3])
    verify.script("check", TIMEOUT)
    caller.press(caller.last_code)
    codes.append(caller.last_code)
    call(from_="anonymous")
    return codes


@pytest.fixture
def log_text(call, verify, caplog):
    caplog.set_level(logging.DEBUG)
    codes = walk_every_path(call, verify)
    return caplog.text, codes


def test_logs_tell_the_story_of_each_call(log_text):
    text, _ = log_text
    assert "sending a code by sms to +1•••••••71" in text
    assert "verification approved" in text
    assert "failed: too_many_attempts" in text
    assert "failed: invalid_number" in text
    assert "failed: unavailable" in text
    assert "failed: withheld" in text


def test_logs_hold_no_full_number_no_code_and_no_auth_token(log_text, app):
    text, codes = log_text
    for number in CALLERS:
        assert number[2:] not in text
    assert app.config["TWILIO_AUTH_TOKEN"] not in text
    for code in codes:
        assert code not in text
