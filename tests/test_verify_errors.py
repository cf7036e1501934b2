"""Each answer Verify can give is handled the way the call needs, and a hanging Verify is cut short."""

import pytest

from tests.fakes import REFUSED, TIMEOUT, verify_error

SEND_FAILURES = [
    (verify_error(400, 60200), "we cannot send a text message to the number"),
    (verify_error(403, 60205), "cannot receive text messages"),
    (verify_error(429, 60203), "too many codes have been requested"),
    (verify_error(429, 60212), "too many codes have been requested"),
    (verify_error(429, 20429), "too many codes have been requested"),
    (verify_error(403, 60410), "not able to send a code"),
    (verify_error(403, 60605), "not able to send a code"),
    (verify_error(400, 60223), "cannot verify your phone right now"),
    (verify_error(401, 20003), "cannot verify your phone right now"),
    (verify_error(503, 20500), "cannot verify your phone right now"),
    ((502, "<html>Bad Gateway</html>"), "cannot verify your phone right now"),
    ((201, "not json"), "cannot verify your phone right now"),
    (TIMEOUT, "cannot verify your phone right now"),
    (REFUSED, "cannot verify your phone right now"),
]


@pytest.mark.parametrize("answer, sentence", SEND_FAILURES, ids=lambda v: str(v)[:24] if not isinstance(v, str) else None)
def test_a_code_that_cannot_be_sent_goes_to_the_fallback(call, verify, answer, sentence):
    verify.script("send", answer)
    caller = call()
    assert caller.heard(sentence)
    assert caller.heard("call back later")
    assert caller.end_reason == "hangup"


CHECK_OUTAGES = [verify_error(500, 20500), verify_error(401, 20003), (503, ""), (200, "{oops"), TIMEOUT, REFUSED]


@pytest.mark.parametrize("answer", CHECK_OUTAGES, ids=["500", "20003", "503-empty", "bad-json", "timeout", "refused"])
def test_verify_down_while_checking_is_not_called_a_wrong_code(call, verify, answer):
    caller = call()
    verify.script("check", answer)
    caller.press(caller.last_code)
    assert caller.heard("cannot verify your phone right now")
    assert not caller.heard("not right")
    assert not caller.heard("verified")


def test_expired_code_is_sent_again_once(call, verify):
    caller = call()
    verify.script("check", verify_error(404, 20404))
    caller.press("123456")
    assert caller.heard("that code has expired, so we have sent you a new one")
    assert len(verify.sent) == 2
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_expired_again_after_the_resend_ends_the_call(call, verify):
    caller = call()
    verify.script("check", verify_error(404, 20404), verify_error(404, 20404))
    caller.press("123456")
    caller.press("123456")
    assert caller.heard("your code has expired")
    assert caller.end_reason == "hangup"


def test_verify_rate_limiting_a_check_is_told_as_such_not_as_a_wrong_code(call, verify):
    caller = call()
    verify.script("check", verify_error(429, 20429))
    caller.press(caller.last_code)
    assert caller.heard("too many codes have been requested")
    assert not caller.heard("not right")


def test_too_many_checks_at_verify_ends_the_call(call, verify):
    caller = call()
    verify.script("check", verify_error(429, 60202))
    caller.press("123456")
    assert caller.heard("not right too many times")


def test_a_resend_refused_by_verify_ends_the_call_with_its_reason(call, verify):
    caller = call()
    verify.script("send", verify_error(429, 60203))
    caller.press("*#")
    assert caller.heard("too many codes have been requested")
    assert caller.end_reason == "hangup"


def test_every_verify_request_has_a_timeout_well_inside_twilios_15_seconds(call, verify):
    caller = call()
    caller.press(caller.last_code)
    assert verify.timeouts and all(timeout is not None and timeout <= 10 for timeout in verify.timeouts)
