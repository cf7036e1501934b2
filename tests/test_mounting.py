"""The verification subflow mounted in another Flask IVR, as the documentation shows it."""

import jwt
from flask import Flask, request, url_for
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from app.calls import handoff, security, verification
from app.simulator import place_call
from config import TestConfig


def build_other_ivr(http_client, hand_to=None, **return_args):
    """Another IVR: a menu that verifies the caller before opening their account."""
    app = Flask("other_ivr")
    app.config.from_object(TestConfig)
    security.init_app(app)
    verification.init_app(app, Client("AC" + "0" * 32, "test-auth-token", http_client=http_client))

    @app.post("/account")
    def account():
        response = VoiceResponse()
        response.say("Account services.")
        verification.hand_over(response, request.form["From"], return_to=url_for("account_verified", **return_args))
        return str(response), {"Content-Type": "text/xml"}

    @app.post("/account/verified")
    def account_verified():
        response = VoiceResponse()
        app.results.append(verification.result())
        if hand_to:
            handoff.hand_on(response, hand_to, app.results[-1])  # the verdict goes with the call
        elif app.results[-1].approved:
            response.say("Your balance is forty two dollars.")
        else:
            response.say("We could not verify you.")
        return str(response), {"Content-Type": "text/xml"}

    app.results = []
    return app


def test_another_ivr_runs_the_subflow_and_trusts_its_verdict(verify):
    app = build_other_ivr(verify)
    caller = place_call(app, from_="+14155552671", url="https://other.example.com/account", sms_source=verify)
    assert caller.heard("account services")
    caller.press(caller.last_code)
    assert caller.heard("your balance is forty two dollars")
    assert app.results == [verification.Result(True, destination="+14155552671")]


def test_another_ivr_hears_about_a_failed_verification(verify):
    app = build_other_ivr(verify)
    caller = place_call(app, from_="+14155552671", url="https://other.example.com/account", sms_source=verify)
    for wrong in ["000000", "111111", "222222"]:
        caller.press(wrong)
    assert caller.heard("we could not verify you")
    assert app.results == [verification.Result(False, "too_many_attempts")]


def test_a_host_ivr_that_sets_no_timeout_still_never_waits_forever_on_verify():
    app = Flask("host_without_settings")
    app.config.update(SECRET_KEY="host-secret", CALL_STATE_MAX_AGE=900, TWILIO_VERIFY_SERVICE_SID="VA" + "0" * 32)
    client = Client("AC" + "0" * 32, "host-auth-token")  # twilio-python's own HTTP client: no timeout
    assert client.http_client.timeout is None
    verification.init_app(app, client)
    assert client.http_client.timeout == verification.DEFAULT_VERIFY_TIMEOUT


def test_a_return_step_with_its_own_query_gets_the_verdict_added_to_it(verify):
    app = build_other_ivr(verify, menu="2")
    caller = place_call(app, from_="+14155552671", url="https://other.example.com/account", sms_source=verify)
    caller.press(caller.last_code)
    assert caller.heard("your balance is forty two dollars")
    [returned] = [event.text for event in caller.events if event.kind == "webhook" and "/account/verified" in event.text]
    assert "/account/verified?menu=2&s=" in returned


def test_the_verdict_carries_the_attestation_and_the_method(verify):
    app = build_other_ivr(verify)
    caller = place_call(app, from_="+14155552671", url="https://other.example.com/account", sms_source=verify,
                        params={"StirVerstat": "TN-Validation-Passed-B"})
    caller.press(caller.last_code)
    [result] = app.results
    assert (result.approved, result.attestation, result.method) == (True, "TN-Validation-Passed-B", "caller_id")


def test_a_host_ivr_hands_the_call_on_with_the_verdict_in_one_call(verify):
    app = build_other_ivr(verify, hand_to="sip:desk@pbx.example.com")
    caller = place_call(app, from_="+14155552671", url="https://other.example.com/account", sms_source=verify)
    caller.press(caller.last_code)
    headers = [event for event in caller.events if event.kind == "dial"][-1].attrs["headers"]
    assert (headers["X-Verification-Status"], headers["X-Verification-Method"]) == ("approved", "caller_id")
    token = jwt.decode(headers["X-Verification-Token"], app.extensions["handoff"]["key"], algorithms=["HS256"])
    assert token["call_sid"] == caller.fields["CallSid"]


def test_a_host_ivr_hands_a_failed_call_to_an_agent_who_hears_why(verify):
    app = build_other_ivr(verify, hand_to="+14155550123")
    caller = place_call(app, from_="+14155552671", url="https://other.example.com/account", sms_source=verify)
    for wrong in ["000000", "111111", "222222"]:
        caller.press(wrong)
    assert caller.agent_heard == ["Caller not verified: the code was wrong too many times."]
