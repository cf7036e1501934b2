"""A deploy between two webhooks loses nothing: the call's state travels with the call."""

from app import create_app
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
