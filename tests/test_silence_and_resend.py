"""Silence is asked about again, '*' sends a new code, and neither can hold a call forever."""


def test_silence_then_the_code(call):
    caller = call()
    caller.silence()
    assert caller.heard("we did not hear anything")
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_silence_three_times_ends_in_the_fallback(call, verify):
    caller = call()
    caller.silence()
    caller.silence()
    assert caller.listening is not None
    caller.silence()
    assert caller.heard("we did not receive a code")
    assert caller.end_reason == "hangup"
    assert not any(path.endswith("VerificationCheck") for path, _ in verify.requests)


def test_no_silences_allowed_fails_on_the_first(make_app, call):
    caller = call(target=make_app(MAX_SILENCES=0))
    caller.silence()
    assert caller.heard("we did not receive a code")


def test_star_sends_the_code_again(call, verify):
    caller = call()
    first = caller.last_code
    caller.press("*#")
    assert caller.heard("we have sent the code again")
    # Inside Verify's 10-minute window a resend texts the same code.
    assert len(verify.sent) == 2 and caller.last_code == first
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_star_past_the_resend_limit_counts_as_a_silence_not_a_wrong_code(call, verify):
    caller = call()
    caller.press("*#")
    caller.press("*#")
    assert caller.heard("cannot send another code")
    assert len(verify.sent) == 2
    caller.press("*#")
    caller.press("*#")
    assert caller.heard("did not receive a code")
    assert not caller.heard("not right")
    assert caller.end_reason == "hangup"


def test_the_gather_asks_for_the_code_the_twilio_way(call):
    caller = call()
    gather = caller.listening
    assert gather["input"] == "dtmf"
    assert gather["numDigits"] == "6"
    assert gather["finishOnKey"] == "#"
    assert gather["timeout"] == "12"
    assert gather["method"] == "POST"
    assert gather["action"].startswith("/verification/check?s=")


def test_star_is_offered_only_while_the_call_may_still_have_the_code_sent_again(call):
    caller = call()
    assert caller.heard("press star, then pound, and we will send it again")
    caller.press("*")
    assert caller.heard("we have sent the code again")
    assert not caller.heard("press star")


def test_with_no_resends_star_is_never_offered(make_app, call):
    caller = call(target=make_app(MAX_RESENDS=0))
    assert caller.heard("please enter the code now, then press pound")
    assert not caller.heard("press star")
