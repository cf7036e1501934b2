"""Where a verified caller goes next, and the language they hear it in."""

import pytest

from app import create_app
from config import TestConfig
from tests.fakes import ScriptedVerify


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
    app = make_app(SUCCESS_NEXT_STEP="/menu")
    app.add_url_rule("/menu", "menu", lambda: ("<Response><Say>Main menu.</Say></Response>", {"Content-Type": "text/xml"}), methods=["POST"])
    caller = call(target=app)
    caller.press(caller.last_code)
    redirects = [event.text for event in caller.events if event.kind == "redirect"]
    assert redirects[-1].startswith("/menu?verdict=")
    assert caller.heard("main menu")


@pytest.mark.parametrize("step", ["/voice", "/voice/fallback", "/verification/start", "/handoff/whisper?x=1", "/./voice", "/%76oice", "/menu/../voice"])
def test_a_next_step_on_one_of_this_servers_own_webhooks_is_refused(step):
    with pytest.raises(RuntimeError, match="one of this server's own webhooks: the call would go round in a loop"):
        create_app(TestConfig, http_client=ScriptedVerify(), FAILURE_NEXT_STEP=step)


def test_a_verified_caller_can_be_sent_to_another_ivrs_url(make_app, call):
    caller = call(target=make_app(SUCCESS_NEXT_STEP="https://menu.example.com/main"))
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert caller.end_reason.startswith("sent to another host, not followed: https://menu.example.com/main?verdict=")


def test_spanish_is_spoken_in_a_mexican_spanish_voice_unless_voice_says_otherwise(make_app, call):
    caller = call(target=make_app(LANGUAGE="es-MX"))
    assert caller.heard("acabamos de enviar un mensaje de texto")
    says = {(event.attrs["voice"], event.attrs["language"]) for event in caller.events if event.kind == "say"}
    assert says == {("Polly.Mia", "es-MX")}
    caller = call(target=make_app(LANGUAGE="es-MX", VOICE="Polly.Andres-Neural"))
    assert {event.attrs["voice"] for event in caller.events if event.kind == "say"} == {"Polly.Andres-Neural"}


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
