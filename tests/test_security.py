"""Only requests signed by Twilio for the URL Twilio used get past the door."""

import pytest
from twilio.request_validator import RequestValidator

from app import create_app
from app.simulator.twiml_model import validate
from app.storage.tables import lockouts
from config import TestConfig

ROUTES = ["/voice", "/voice/outcome", "/voice/fallback", "/voice/status", "/verification/start?s=x", "/verification/check?s=x"]
FIELDS = {"CallSid": "CA" + "1" * 32, "From": "+14155552671", "To": "+15005550006", "AccountSid": "AC" + "0" * 32}


def sign(url, params, token="test-auth-token"):
    return RequestValidator(token).compute_signature(url, params)


def assert_twiml(response):
    """Accepted: 200 and a TwiML document Twilio would take."""
    assert response.status_code == 200
    validate(response.get_data(as_text=True))


@pytest.mark.parametrize("route", ROUTES)
def test_missing_signature_is_refused_on_every_route(app, route):
    response = app.test_client().post(route, data=FIELDS)
    assert response.status_code == 403


@pytest.mark.parametrize("route", ROUTES)
def test_signature_made_with_another_token_is_refused_on_every_route(app, route):
    url = "http://localhost" + route
    response = app.test_client().post(route, data=FIELDS, headers={"X-Twilio-Signature": sign(url, FIELDS, "not-the-token")})
    assert response.status_code == 403


def test_signature_for_other_parameters_is_refused(app):
    url = "http://localhost/voice"
    signature = sign(url, FIELDS)
    forged = {**FIELDS, "From": "+14155550199"}
    assert app.test_client().post("/voice", data=forged, headers={"X-Twilio-Signature": signature}).status_code == 403
    assert_twiml(app.test_client().post("/voice", data=FIELDS, headers={"X-Twilio-Signature": signature}))


def test_behind_a_tls_proxy_the_https_url_twilio_signed_is_the_one_checked(app):
    # ngrok and Heroku's router speak https to Twilio and plain http to the server.
    signature = sign("https://abc.ngrok-free.app/voice", FIELDS)
    response = app.test_client().post(
        "/voice",
        data=FIELDS,
        base_url="http://127.0.0.1:5000",
        headers={"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "abc.ngrok-free.app"},
    )
    assert_twiml(response)


def test_forwarded_headers_are_ignored_when_no_proxy_is_trusted(make_app):
    app = make_app(TRUSTED_PROXIES=0)
    signature = sign("https://abc.ngrok-free.app/voice", FIELDS)
    response = app.test_client().post(
        "/voice",
        data=FIELDS,
        headers={"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "abc.ngrok-free.app"},
    )
    assert response.status_code == 403


def test_a_configured_public_base_url_is_the_url_checked(make_app):
    app = make_app(PUBLIC_BASE_URL="https://ivr.example.com", TRUSTED_PROXIES=0)
    signature = sign("https://ivr.example.com/voice", FIELDS)
    response = app.test_client().post("/voice", data=FIELDS, headers={"X-Twilio-Signature": signature})
    assert_twiml(response)


@pytest.mark.parametrize("route", ["/voice", "/voice/outcome", "/voice/fallback", "/voice/status", "/verification/check"])
def test_webhooks_take_post_only(app, route):
    assert app.test_client().get(route).status_code == 405


def test_an_oversized_body_is_refused_even_when_signed(app):
    fields = {**FIELDS, "Padding": "x" * 20_000}
    signature = sign("http://localhost/voice", fields)
    response = app.test_client().post("/voice", data=fields, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 413


def test_signature_checks_can_be_switched_off_in_development_only(verify, caplog):
    app = create_app(TestConfig, http_client=verify, ENV_NAME="development", VALIDATE_SIGNATURES=False)
    assert_twiml(app.test_client().post("/voice", data=FIELDS))
    assert "VALIDATE_SIGNATURES is off" in caplog.text


def test_production_refuses_to_start_with_signature_checks_off(verify):
    with pytest.raises(RuntimeError, match="VALIDATE_SIGNATURES"):
        create_app(TestConfig, http_client=verify, ENV_NAME="production", VALIDATE_SIGNATURES=False)


def lockout_count(db):
    """The lockout count of the number every test calls from."""
    with db.connect() as connection:
        return connection.execute(lockouts.select()).one().failures


# Forwarded headers anyone can send through a proxy that passes them on (TRUSTED_PROXIES=1).
FORGED_FORWARDING = [
    {"X-Forwarded-Proto": "x://h:99999/"},
    {"X-Forwarded-Proto": "ftp"},
    {"X-Forwarded-Host": "h:99999"},
    {"X-Forwarded-Host": "ivr.example.com:http"},
    {"X-Forwarded-Host": "ivr.example.com/voice?"},
    {"X-Forwarded-Port": "99999"},
    {"X-Forwarded-Port": "0"},
]


@pytest.mark.parametrize("forwarded", FORGED_FORWARDING, ids=lambda headers: "-".join(headers.values()))
def test_a_forged_forwarded_header_gets_a_403_and_touches_no_record(app, call, records, db, caplog, forwarded):
    caller = call()
    signature = sign("https://ivr.example.com/voice", caller.fields)

    response = app.test_client().post(
        "/voice", data=caller.fields, headers={"X-Twilio-Signature": signature, **forwarded}
    )

    assert response.status_code == 403
    [refusal] = [line for line in caplog.messages if "refused" in line]
    assert refusal.startswith("refused /voice: ")
    assert "Traceback" not in caplog.text and "unexpected" not in caplog.text
    assert (records()[0]["outcome"], records()[0]["reason"]) == (None, None)
    assert lockout_count(db) == 1
    caller.press(caller.last_code)
    assert caller.heard("verified")


@pytest.mark.parametrize("signature", [None, "not-a-signature"], ids=["absent", "wrong"])
def test_an_error_in_a_request_whose_signature_has_not_passed_writes_nothing(make_app, call, records, db, signature):
    app = make_app()

    @app.post("/unchecked")
    def unchecked():
        raise RuntimeError("a view that checks no signature")

    caller = call(target=app)
    headers = {"X-Twilio-Signature": signature} if signature else {}

    response = app.test_client().post("/unchecked", data=caller.fields, headers=headers)

    assert_twiml(response)
    assert "something went wrong on our side" in response.get_data(as_text=True)
    assert (records()[0]["outcome"], records()[0]["reason"]) == (None, None)
    assert lockout_count(db) == 1


def test_a_signed_call_sid_or_error_code_holding_a_number_is_never_logged(make_app, call, caplog):
    app = make_app(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/nothing")  # every step logs its CallSid
    caller = call(target=app, params={"CallSid": "CA14155552671"})
    assert caller.heard("sent a text message")
    caller.press("000000")
    fields = {**FIELDS, "CallSid": "CA14155552671", "ErrorCode": "14155552671"}
    url = "https://ivr.example.com/voice/fallback"
    assert_twiml(app.test_client().post(url, data=fields, headers={"X-Twilio-Signature": sign(url, fields)}))
    assert "call -: record start skipped" in caplog.text
    assert "(error -)" in caplog.text
    assert "4155552671" not in caplog.text
