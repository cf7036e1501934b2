"""The app's validator accepts exactly what twilio-python's RequestValidator accepts."""

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict

from app.calls.security import Validator

TOKEN = "test-auth-token"
FORM = ImmutableMultiDict([("CallSid", "CA" + "1" * 32), ("From", "+14155552671"), ("Digits", "1"), ("Digits", "2")])


@pytest.mark.parametrize(
    ("signed", "seen"),
    [
        ("https://ivr.example.com/verification/check?s=abc", "https://ivr.example.com/verification/check?s=abc"),
        ("https://ivr.example.com/voice", "https://ivr.example.com:443/voice"),
        ("https://ivr.example.com:443/voice", "https://ivr.example.com/voice"),
        ("http://127.0.0.1:8000/voice", "http://127.0.0.1:8000/voice"),
        ("https://ivr.example.com/voice", "https://ivr.example.com/other"),
        ("https://ivr.example.com/voice", "https://evil.example.com/voice"),
    ],
)
def test_same_verdict_as_twilio_python(signed, seen):
    signature = RequestValidator(TOKEN).compute_signature(signed, FORM)
    expected = RequestValidator(TOKEN).validate(seen, FORM, signature)
    assert Validator(TOKEN).validate(seen, FORM, signature) is expected


def test_a_changed_field_fails():
    url = "https://ivr.example.com/voice"
    signature = RequestValidator(TOKEN).compute_signature(url, FORM)
    forged = ImmutableMultiDict([*FORM.items(multi=True), ("Digits", "3")])
    assert not Validator(TOKEN).validate(url, forged, signature)
