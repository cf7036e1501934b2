"""A caller who keys in the code they were texted is verified."""


def test_caller_is_texted_a_code_and_verified(call, verify):
    caller = call()
    assert caller.heard("confirm that you are calling from your own phone")
    assert caller.heard("sent a text message with a 6 digit code")
    assert caller.listening["numDigits"] == "6"
    assert verify.sent == [("+14155552671", caller.last_code)]

    caller.press(caller.last_code)

    assert caller.heard("your phone number is verified")
    assert caller.end_reason == "hangup"


def test_pound_ends_a_short_entry_and_the_caller_is_told_the_length(call):
    caller = call()
    caller.press("123#")
    assert caller.heard("the code has 6 digits")
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_an_eight_digit_service_is_asked_for_eight_digits(make_app, verify, call):
    verify.code_length = 8
    caller = call(target=make_app(CODE_LENGTH=8))
    assert caller.listening["numDigits"] == "8"
    caller.press(caller.last_code)
    assert caller.heard("verified")
