"""The caller's channel (CHANNELS): a menu when there are several, and another channel when Verify refuses one."""

import pytest

from app import create_app
from config import TestConfig
from tests.fakes import ScriptedVerify, verify_error

BOTH = {"CHANNELS": "sms,whatsapp"}
# Verify's answer when WhatsApp is not set up on the service.
WHATSAPP_NOT_SET_UP = verify_error(400, 60223, "Delivery channel disabled: WHATSAPP")


@pytest.fixture
def app(make_app):
    return make_app(**BOTH)


def sends(verify):
    return [form for path, form in verify.requests if path.endswith("/Verifications")]


def test_the_caller_is_asked_how_the_code_should_reach_them(call, verify):
    caller = call()
    assert caller.heard("How should we send your code?")
    assert caller.heard("For a text message, press 1.")
    assert caller.heard("For WhatsApp, press 2.")
    assert caller.listening["numDigits"] == "1"
    assert verify.sent == []


def test_pressing_2_sends_the_code_by_whatsapp(call, verify, records):
    caller = call()
    caller.press("2")
    assert sends(verify)[-1]["Channel"] == "whatsapp"
    assert caller.heard("We have just sent a WhatsApp message with a 6 digit code")
    assert "[WhatsApp to +1•••••••71] Your verification code is" in caller.transcript()
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert records()[0]["channel"] == "whatsapp"


@pytest.mark.parametrize("key", ["", "1", "7", "*"])
def test_silence_or_another_key_sends_a_text_message(call, verify, key):
    caller = call()
    caller.press(key)
    assert sends(verify)[-1]["Channel"] == "sms"
    assert caller.heard("We have just sent a text message")


def test_whatsapp_not_set_up_on_the_service_falls_back_to_a_text_message(call, verify, records):
    verify.script("send", WHATSAPP_NOT_SET_UP)
    caller = call()
    caller.press("2")
    assert caller.heard("We cannot send a code by WhatsApp right now.")
    assert caller.heard("For a text message, press 1.")
    assert not caller.heard("WhatsApp, press")
    caller.press("1")
    assert [form["Channel"] for form in sends(verify)] == ["whatsapp", "sms"]
    assert caller.heard("We have just sent a text message")
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert len(records()) == 1 and records()[0]["outcome"] == "approved"


def test_a_refused_channel_is_not_offered_again_and_the_last_refusal_ends_the_call(call, verify):
    verify.script("send", WHATSAPP_NOT_SET_UP, verify_error(400, 60223, "Delivery channel disabled: SMS"))
    caller = call()
    caller.press("2")
    caller.press("2")  # not offered any more: the first offered, a text message
    assert caller.heard("We cannot verify your phone right now")
    assert [form["Channel"] for form in sends(verify)] == ["whatsapp", "sms"]


def test_a_whatsapp_only_service_sends_by_whatsapp_without_a_menu(make_app, call, verify):
    caller = call(target=make_app(CHANNELS="whatsapp"))
    assert caller.heard("We have just sent a WhatsApp message")
    assert sends(verify)[-1]["Channel"] == "whatsapp"


def test_with_one_channel_a_60223_is_unavailable_as_before(make_app, call, verify):
    verify.script("send", WHATSAPP_NOT_SET_UP)
    caller = call(target=make_app())
    assert caller.heard("We cannot verify your phone right now")


def test_a_locked_out_caller_hears_so_after_choosing(make_app, call, verify):
    app = make_app(LOCKOUT_MAX_FAILURES=1, MAX_ATTEMPTS=1, **BOTH)
    first = call(target=app)
    first.press("1")
    first.press("000000")
    second = call(target=app)
    second.press("2")
    assert second.heard("cannot send it another code")
    assert len(verify.sent) == 1


def test_the_spanish_caller_chooses_in_spanish(make_app, call, verify):
    caller = call(target=make_app(LANGUAGES="en-US,es-MX", **BOTH))
    caller.press("2")
    assert caller.heard("Para recibirlo por WhatsApp, oprima 2.")
    caller.press("2")
    assert (sends(verify)[-1]["Channel"], sends(verify)[-1]["Locale"]) == ("whatsapp", "es")
    assert caller.heard("Acabamos de enviar un mensaje de WhatsApp")


@pytest.mark.parametrize("channels", ["sms,sms", "sms,carrier-pigeon", "", "call", "email"])
def test_channels_are_checked_at_start_up(channels):
    with pytest.raises(RuntimeError, match="CHANNELS="):
        create_app(TestConfig, http_client=ScriptedVerify(), CHANNELS=channels)
