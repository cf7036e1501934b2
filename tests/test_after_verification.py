"""Where a verified caller goes next, and the language they hear it in."""


def test_by_default_a_verified_caller_hears_goodbye(call):
    caller = call()
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert caller.heard("goodbye")
    assert caller.end_reason == "hangup"


def test_a_verified_caller_can_be_forwarded_to_a_number(make_app, call):
    caller = call(target=make_app(SUCCESS_NEXT_STEP="+14155550123"))
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert caller.dialed == ["+14155550123"]


def test_a_verified_caller_can_be_handed_to_another_ivr(make_app, call):
    caller = call(target=make_app(SUCCESS_NEXT_STEP="/voice/fallback"))
    caller.press(caller.last_code)
    redirects = [event.text for event in caller.events if event.kind == "redirect"]
    assert redirects[-1].startswith("/voice/fallback?verdict=")


def test_a_verified_caller_can_be_sent_to_another_ivrs_url(make_app, call):
    caller = call(target=make_app(SUCCESS_NEXT_STEP="https://menu.example.com/main"))
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert caller.end_reason.startswith("sent to another host, not followed: https://menu.example.com/main?verdict=")


def test_spanish_callers_hear_spanish(make_app, call):
    caller = call(target=make_app(LANGUAGE="es-MX", VOICE="Polly.Mia"))
    assert caller.heard("acabamos de enviar un mensaje de texto")
    caller.press("000000")
    assert caller.heard("ese código no es correcto")
    caller.press(caller.last_code)
    assert caller.heard("está verificado")
    says = [event for event in caller.events if event.kind == "say"]
    assert {event.attrs["language"] for event in says} == {"es-MX"}
    assert {event.attrs["voice"] for event in says} == {"Polly.Mia"}
