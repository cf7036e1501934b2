"""A deploy between two webhooks loses nothing: the call's state travels with the call."""

import base64
import dataclasses
import hashlib
import json

import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.calls import agent, callstate
from app.calls.callstate import LONGEST_TOKEN, BadState, CallState, Sealer, StateCodec
from app.simulator.engine import FlaskTransport
from config import TestConfig


def test_the_call_goes_on_after_the_server_restarts(call, verify):
    caller = call()
    caller.press("000000")
    assert caller.heard("not right")

    # A new process: nothing shared with the old one but the settings and Twilio Verify.
    restarted = create_app(TestConfig, http_client=verify)
    caller.transport = FlaskTransport(restarted)

    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_a_server_with_another_secret_key_cannot_read_the_call(call, verify):
    caller = call()
    caller.transport = FlaskTransport(create_app(TestConfig, http_client=verify, SECRET_KEY="another-secret-key-entirely"))
    caller.press(caller.last_code)
    assert caller.heard("something went wrong")
    assert not caller.heard("verified")


def test_a_deploy_that_adds_a_call_state_field_keeps_calls_in_flight(monkeypatch):
    codec = StateCodec("test-secret-key", max_age=900)
    token = codec.dump(CallState(call_sid="CA1", destination="+14155552671", channel="sms", return_to="/voice/outcome"))

    @dataclasses.dataclass(frozen=True)
    class NextRelease(CallState):
        retries_left: int = 2  # a field the running call's token does not have

    monkeypatch.setattr(callstate, "CallState", NextRelease)
    monkeypatch.setattr(callstate, "_FIELDS", [field.name for field in dataclasses.fields(NextRelease)])
    state = codec.load(token, "CA1")
    assert (state.destination, state.retries_left) == ("+14155552671", 2)


def test_a_token_sealed_as_calls_in_flight_were_sealed_is_still_read():
    # The format every running call's URL holds: Fernet under sha256("call-state:" + SECRET_KEY), JSON, no padding.
    fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"call-state:test-secret-key").digest()))
    payload = {"call_sid": "CA1", "destination": "+14155552671", "channel": "sms", "return_to": "/voice/outcome", "attempts": 2}
    token = fernet.encrypt(json.dumps(payload).encode()).decode().rstrip("=")

    state = StateCodec("test-secret-key", max_age=900).load(token, "CA1")

    assert (state.call_sid, state.destination, state.attempts) == ("CA1", "+14155552671", 2)


def test_an_agent_s_request_sealed_as_requests_in_flight_were_sealed_is_still_read(app):
    # Fernet under sha256("agent-request:" + SECRET_KEY), the call's SID in the JSON, no padding.
    fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"agent-request:" + app.config["SECRET_KEY"].encode()).digest()))
    token = fernet.encrypt(json.dumps({"call_sid": "CA1", "request": "r1", "to": "+14155552671"}).encode()).decode().rstrip("=")
    with app.app_context():
        assert agent.unseal(token, "CA1") == {"request": "r1", "to": "+14155552671"}


def test_a_whole_call_state_sealed_for_an_agent_s_request_is_refused_as_a_call_s_state():
    state = {"destination": "+14155552671", "channel": "sms", "return_to": "/voice/outcome"}
    sealed = Sealer("agent-request", "test-secret-key", 900).seal("CA1", state)
    assert StateCodec("test-secret-key", max_age=900).load(Sealer("call-state", "test-secret-key", 900).seal("CA1", state), "CA1")
    with pytest.raises(BadState, match="forged"):
        StateCodec("test-secret-key", max_age=900).load(sealed, "CA1")


@pytest.mark.parametrize("token", ["A" * (LONGEST_TOKEN + 1), "gAAAAAB" + "é" * 60, ""])
def test_a_token_too_long_not_ascii_or_missing_is_refused_before_it_is_decrypted(token):
    with pytest.raises(BadState, match="missing or malformed"):
        StateCodec("test-secret-key", max_age=900).load(token, "CA1")
