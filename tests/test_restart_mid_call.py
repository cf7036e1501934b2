"""A deploy between two webhooks loses nothing: the call's state travels with the call."""

import dataclasses

from app import create_app
from app.calls import callstate
from app.calls.callstate import CallState, StateCodec
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
