"""Spoken codes (SPEECH_INPUT=on): digits said aloud count as keyed; what is not digits is a wrong entry."""

import pytest
from twilio.twiml.voice_response import VoiceResponse

from app.calls import gathering
from app.calls.twiml import to_xml
from app.simulator.twiml_model import validate


@pytest.fixture
def app(make_app):
    return make_app(SPEECH_INPUT=True)


@pytest.mark.parametrize(
    "speech, digits",
    [
        ("one two three four five six", "123456"),
        ("One, two, three, four, five, six.", "123456"),
        ("six eight oh", "680"),
        ("six eight o", "680"),
        ("zero zero seven", "007"),
        ("double five", "55"),
        ("double five two triple one", "552111"),
        ("double 5", "55"),
        ("123456", "123456"),
        ("123 456", "123456"),
        ("1 2 3 4 5 6", "123456"),
        ("123-456.", "123456"),
        ("12 three 4", "1234"),
        ("uno dos tres cuatro cinco seis", "123456"),
        ("cero ocho doble nueve", "0899"),
        ("star", "*"),
        ("", ""),
        ("  .  ", ""),
    ],
)
def test_spoken_digits_read_as_the_digits_said(speech, digits):
    assert gathering.spoken_digits(speech) == digits


@pytest.mark.parametrize(
    "speech",
    ["hello", "my code is one two three", "twenty", "one two double", "double double five", "١٢٣٤٥٦", "12a456", "onetwothree"],
)
def test_speech_that_is_not_digits_is_not_understood(speech):
    with pytest.raises(gathering.NotUnderstood):
        gathering.spoken_digits(speech)


def test_the_code_gather_listens_for_digits_spoken_in_the_callers_language(call):
    caller = call()
    gather = caller.listening
    assert gather["input"] == "dtmf speech"
    assert gather["hints"] == "$OOV_CLASS_DIGIT_SEQUENCE"
    assert gather["speechModel"] == "numbers_and_commands"
    assert gather["language"] == "en-US"
    assert gather["numDigits"] == "6"
    assert caller.heard("key in or say the code")


def test_the_speech_gather_is_twilio_valid_twiml(app):
    with app.test_request_context():
        response = VoiceResponse()
        gathering.digits_gather(response, "/verification/check?s=x", "es-MX", num_digits=6)
        gathering.digits_gather(response, "/account", "en-US")  # no fixed length, ended by '#'
    gathers = validate(to_xml(response))
    assert [gather.get("input") for gather in gathers] == ["dtmf speech", "dtmf speech"]
    assert gathers[1].get("numDigits") is None


def test_a_spoken_code_is_verified(call, verify):
    caller = call()
    caller.speak(" ".join(caller.last_code))
    assert caller.heard("verified")
    checks = [form for path, form in verify.requests if path.endswith("VerificationCheck")]
    assert checks[-1]["Code"] == caller.last_code


def test_a_spoken_code_with_twilios_punctuation_is_verified(call):
    caller = call()
    words = dict(zip("0123456789", ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]))
    caller.speak(", ".join(words[digit] for digit in caller.last_code).capitalize() + ".")
    assert caller.heard("verified")


def test_speech_that_is_not_digits_counts_as_a_wrong_entry_and_never_reaches_verify(call, verify):
    caller = call()
    caller.speak("I don't have it")
    assert caller.heard("did not understand that as a number")
    assert caller.heard("key in or say the code")
    caller.speak("hello?")
    caller.speak("what")
    assert caller.heard("not right too many times")
    assert not [path for path, _ in verify.requests if path.endswith("VerificationCheck")]


def test_too_few_spoken_digits_hear_how_long_the_code_is(call):
    caller = call()
    caller.speak("one two three")
    assert caller.heard("The code has 6 digits")


def test_keys_still_work_when_speech_is_on(call):
    caller = call()
    caller.press("000000")
    assert caller.heard("not right")
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_a_spoken_star_asks_for_a_new_code(call, verify):
    caller = call()
    caller.speak("star")
    assert caller.heard("We have sent the code again")
    assert len(verify.sent) == 2


def test_without_speech_input_the_gather_takes_keys_only(make_app, call):
    caller = call(target=make_app())
    assert caller.listening["input"] == "dtmf"
    assert "speechModel" not in caller.listening
    assert caller.heard("Please enter the code now")
    caller.speak("one two three four five six")
    assert caller.heard("We did not hear anything")
