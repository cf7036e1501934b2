"""Wrong codes: the caller is told and asked again, a bounded number of times."""

import pytest


def test_wrong_then_right_code_is_verified(call):
    caller = call()
    caller.press("000000")
    assert caller.heard("that code is not right")
    assert caller.listening is not None
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_three_wrong_codes_end_in_the_fallback(call, verify):
    caller = call()
    caller.press("000000")
    caller.press("111111")
    caller.press("222222")
    assert caller.heard("not right too many times")
    assert caller.heard("call back later")
    assert not caller.heard("verified")
    assert caller.end_reason == "hangup"
    assert len([path for path, _ in verify.requests if path.endswith("VerificationCheck")]) == 3


def test_the_fallback_forwards_to_an_agent_when_one_is_configured(make_app, call):
    caller = call(target=make_app(FALLBACK_NUMBER="+14155550100", MAX_ATTEMPTS=1))
    caller.press("000000")
    assert caller.heard("connect you to an agent")
    assert caller.dialed == ["+14155550100"]


@pytest.mark.parametrize(
    "keys",
    ["12", "12345678901", "1" * 5000, "١٢٣٤٥٦", "12a456", "12 456"],
    ids=["too-short", "too-long", "5000-digits", "arabic-indic-digits", "letter", "space"],
)
def test_malformed_entries_count_as_tries_and_never_reach_verify(app, call, verify, keys):
    caller = call()
    # Twilio only sends keypad characters, but a validly signed request may carry anything.
    caller.send_raw(Digits=keys)
    assert caller.heard("the code has 6 digits")
    assert not any(path.endswith("VerificationCheck") for path, _ in verify.requests)
    caller.send_raw(Digits=keys)
    caller.send_raw(Digits=keys)
    assert caller.heard("not right too many times")  # each one was counted as a try


def test_limit_on_tries_is_configurable(make_app, call):
    caller = call(target=make_app(MAX_ATTEMPTS=5))
    for wrong in ["000000", "111111", "222222", "333333"]:
        caller.press(wrong)
        assert caller.heard("not right. please try again")
    caller.press(caller.last_code)
    assert caller.heard("verified")
