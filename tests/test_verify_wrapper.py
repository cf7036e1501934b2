"""The Verify wrapper speaks Verify v2 as Twilio's own OpenAPI spec describes it."""

import json
import re
import socket
from pathlib import Path

import pytest
from twilio.rest import Client
from urllib3 import exceptions as http_errors

from app.twilio.verify import VerifyFailed, VerifyService
from tests.fakes import REFUSED, TIMEOUT, ScriptedVerify, problem_details, verify_error

SPEC = json.loads((Path(__file__).parent / "reference" / "twilio_verify_v2.json").read_text())
SERVICE_SID = "VA" + "a" * 32
SEND_PATH = "/v2/Services/{ServiceSid}/Verifications"
CHECK_PATH = "/v2/Services/{ServiceSid}/VerificationCheck"


def operation(path):
    return SPEC["paths"][path]["post"]


def example(path, status):
    """The first example answer the spec gives for a status."""
    examples = operation(path)["responses"][status]["content"]["application/json"]["examples"]
    return next(iter(examples.values()))["value"]


def request_fields(path):
    return operation(path)["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]


@pytest.fixture
def fake():
    return ScriptedVerify()


@pytest.fixture
def service(fake):
    return VerifyService(Client("AC" + "0" * 32, "token", http_client=fake), SERVICE_SID)


def sent_to(fake, path):
    """The last request's path matched against the spec's path template, and its form fields."""
    uri, form = fake.requests[-1]
    pattern = "^https://verify.twilio.com" + re.escape(path).replace(re.escape("{ServiceSid}"), "VA[0-9a-f]{32}") + "$"
    assert re.match(pattern, uri), uri
    return form


def test_send_posts_the_spec_fields_and_returns_the_verification_sid(fake, service):
    fake.script("send", (201, example(SEND_PATH, "201")))
    assert service.send("+14155552671", "sms") == example(SEND_PATH, "201")["sid"]
    form = sent_to(fake, SEND_PATH)
    assert form == {"To": "+14155552671", "Channel": "sms"}
    assert set(form) <= set(request_fields(SEND_PATH))


def test_an_email_send_posts_the_spec_fields(fake, service):
    fake.script("send", (201, {**example(SEND_PATH, "201"), "to": "jane@example.com", "channel": "email"}))
    service.send("jane@example.com", "email", "es")
    form = sent_to(fake, SEND_PATH)
    assert form == {"To": "jane@example.com", "Channel": "email", "Locale": "es"}
    assert set(form) <= set(request_fields(SEND_PATH))
    assert "`email`" in request_fields(SEND_PATH)["Channel"]["description"]


def test_the_stand_ins_email_answer_fits_the_spec(fake):
    status, answer = fake.handle("POST", f"/v2/Services/{SERVICE_SID}/Verifications", {"To": "jane@example.com", "Channel": "email"})
    schemas = SPEC["components"]["schemas"]
    assert status == 201 and set(answer) == set(schemas["verify.v2.service.verification"]["properties"])
    assert (answer["to"], answer["channel"]) == ("jane@example.com", "email")
    assert answer["channel"] in schemas["verification_enum_channel"]["enum"]
    assert fake.handle("POST", f"/v2/Services/{SERVICE_SID}/Verifications", {"To": "+14155552671", "Channel": "email"})[0] == 400


def test_an_approved_check_is_true(fake, service):
    approved = example(CHECK_PATH, "200")
    assert approved["status"] == "approved"
    fake.script("check", (200, approved))
    assert service.check("VE" + "b" * 32, "123456") is True
    form = sent_to(fake, CHECK_PATH)
    assert form == {"Code": "123456", "VerificationSid": "VE" + "b" * 32}
    assert set(form) <= set(request_fields(CHECK_PATH))


def test_a_pending_check_is_a_wrong_code_not_an_error(fake, service):
    fake.script("check", (200, {**example(CHECK_PATH, "200"), "status": "pending", "valid": False}))
    assert service.check("VE" + "b" * 32, "000000") is False


@pytest.mark.parametrize(
    "status, reason",
    [("max_attempts_reached", "too_many_attempts"), ("expired", "expired"), ("canceled", "expired"), ("failed", "unavailable")],
)
def test_other_check_statuses_are_failures(fake, service, status, reason):
    fake.script("check", (200, {**example(CHECK_PATH, "200"), "status": status, "valid": False}))
    with pytest.raises(VerifyFailed) as failure:
        service.check("VE" + "b" * 32, "123456")
    assert failure.value.reason == reason


ERRORS = [
    ("send", verify_error(400, 60200), "invalid_number"),
    ("send", verify_error(403, 60205), "undeliverable"),
    ("send", verify_error(429, 60203), "rate_limited"),
    ("send", verify_error(429, 60212), "rate_limited"),
    ("send", verify_error(429, 20429), "rate_limited"),
    ("send", verify_error(429, 99999), "rate_limited"),
    ("send", verify_error(403, 60410), "blocked"),
    ("send", verify_error(403, 60605), "blocked"),
    ("send", verify_error(400, 60223), "unavailable"),
    ("send", verify_error(400, 60217), "email_unavailable"),
    ("send", verify_error(400, 60218), "email_unavailable"),
    ("send", verify_error(400, 60219), "email_unavailable"),
    ("send", verify_error(403, 60222), "email_unavailable"),
    ("send", verify_error(401, 20003), "unavailable"),
    ("send", verify_error(500, 20500), "unavailable"),
    ("send", (503, "Service Unavailable"), "unavailable"),
    ("send", (201, "<html>"), "unavailable"),
    ("send", TIMEOUT, "unavailable"),
    ("send", REFUSED, "unavailable"),
    ("check", verify_error(404, 20404), "expired"),
    ("check", verify_error(429, 60202), "too_many_attempts"),
    ("check", verify_error(500, 20500), "unavailable"),
    ("check", TIMEOUT, "unavailable"),
    # Twilio's newer RFC 9457 error body (twilio-python raises TwilioServiceException for it).
    ("send", problem_details(403, 60205), "undeliverable"),
    ("send", problem_details(429, 60203), "rate_limited"),
    ("check", problem_details(404, 20404), "expired"),
]


@pytest.mark.parametrize("action, answer, reason", ERRORS)
def test_each_verify_error_becomes_a_reason(fake, service, action, answer, reason):
    fake.script(action, answer)
    with pytest.raises(VerifyFailed) as failure:
        if action == "send":
            service.send("+14155552671", "sms")
        else:
            service.check("VE" + "b" * 32, "123456")
    assert failure.value.reason == reason


VERIFY_HOST = "verify.twilio.com"
OUT_OF_REACH = [
    (REFUSED, "could not connect (NewConnectionError)"),
    (http_errors.NameResolutionError(VERIFY_HOST, None, socket.gaierror(-2, "Name or service not known")), "could not connect (NameResolutionError)"),
    (http_errors.ConnectTimeoutError(None, f"connection to {VERIFY_HOST} timed out"), "no answer in time (ConnectTimeoutError)"),
    (TIMEOUT, "no answer in time (ReadTimeoutError)"),
    (http_errors.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer")), "the connection broke off (ProtocolError)"),
    (http_errors.SSLError(f"certificate verify failed for {VERIFY_HOST}"), "TLS failed (SSLError)"),
]


@pytest.mark.parametrize("error, logged", OUT_OF_REACH)
def test_verify_out_of_reach_is_logged_as_what_happened_without_the_url(fake, service, caplog, error, logged):
    fake.script("send", error)
    with pytest.raises(VerifyFailed):
        service.send("+14155552671", "sms")
    assert caplog.messages == [f"verify send failed: {logged} -> unavailable"]
