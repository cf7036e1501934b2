"""Odd, missing and garbled input gets TwiML or a 4xx, never a crash."""

import pytest

from app.simulator import validate
from tests.test_security import FIELDS, sign


def post_signed(app, path, fields, **kwargs):
    url = "http://localhost" + path
    return app.test_client().post(path, data=fields, headers={"X-Twilio-Signature": sign(url, fields)}, **kwargs)


def test_a_call_without_a_callsid_is_a_bad_request(app):
    fields = {key: value for key, value in FIELDS.items() if key != "CallSid"}
    assert post_signed(app, "/voice", fields).status_code == 400


def test_a_call_without_from_is_treated_as_withheld(call, verify):
    caller = call(from_="", params={"From": ""})
    assert caller.heard("we cannot see the number you are calling from")
    assert verify.requests == []


def test_a_step_without_a_callsid_gets_an_apology_not_a_crash(call, app):
    caller = call()
    fields = {key: value for key, value in caller.fields.items() if key != "CallSid"}
    response = post_signed(app, caller.listening["action"], fields)
    assert response.status_code == 200
    assert "something went wrong" in response.get_data(as_text=True)
    validate(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"\xff\xfe\x00garbage\x00", "application/x-www-form-urlencoded"),
        (b"CallSid=%ZZ%&From=%%", "application/x-www-form-urlencoded"),
        (b'{"CallSid": "CA1"}', "application/json"),
        (b"--x\r\nnot multipart", "multipart/form-data; boundary=x"),
    ],
    ids=["binary", "bad-percent-escapes", "json", "broken-multipart"],
)
@pytest.mark.parametrize("path", ["/voice", "/voice/outcome", "/verification/check?s=x"])
def test_garbled_bodies_get_twiml_or_a_4xx(make_app, body, content_type, path):
    # Signature checks off, so that the garbled body itself reaches the views.
    app = make_app(ENV_NAME="development", VALIDATE_SIGNATURES=False)
    response = app.test_client().post(path, data=body, content_type=content_type)
    assert response.status_code < 500
    if response.status_code == 200:
        validate(response.get_data(as_text=True))
    else:
        assert 400 <= response.status_code < 500


def test_non_ascii_fields_are_handled(call):
    caller = call(params={"CallerName": "Zoë Ünïcødé 電話", "FromCity": "Köln"})
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_an_unexpected_error_becomes_an_apology_and_the_fallback(make_app, call, monkeypatch, caplog):
    from app.twilio.verify import VerifyService

    message = "a bug with " + "+14155552671" + " in its message"

    def broken(*args, **kwargs):
        raise RuntimeError(message)

    monkeypatch.setattr(VerifyService, "send", broken)
    caller = call(target=make_app(FALLBACK_NUMBER="+14155550100"))
    assert caller.heard("something went wrong on our side")
    assert caller.dialed == ["+14155550100"]
    assert "unexpected RuntimeError" in caplog.text
    assert "4155552671" not in caplog.text  # the exception's message is never logged


def test_twilios_fallback_url_apologises_and_follows_the_fallback(make_app, call):
    app = make_app(FALLBACK_NUMBER="+14155550100")
    caller = call(target=app, url="https://ivr.example.com/voice/fallback", params={"ErrorCode": "11200"})
    assert caller.heard("something went wrong on our side")
    assert caller.dialed == ["+14155550100"]


def test_an_unknown_route_is_a_404(app):
    assert post_signed(app, "/nope", FIELDS).status_code == 404
