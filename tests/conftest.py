"""Fixtures: an app on a fake Twilio, and a phone to call it with."""

import pytest

from app import create_app
from app.simulator import place_call
from config import TestConfig
from tests.fakes import ScriptedVerify

CALLER = "+14155552671"
SERVICE_NUMBER = "+15005550006"


@pytest.fixture
def verify():
    """Twilio Verify, faked at the HttpClient seam; scriptable per test."""
    return ScriptedVerify()


@pytest.fixture
def make_app(verify):
    """Build an app on the fake Verify, with settings changed for one test."""

    def make(**overrides):
        return create_app(TestConfig, http_client=verify, **overrides)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def call(app, verify):
    """Place a call the way Twilio does: `call(from_=...)` rings /voice and waits at the first Gather."""

    def dial(from_=CALLER, target=None, **options):
        options.setdefault("sms_source", verify)
        return place_call(target or app, from_=from_, to=SERVICE_NUMBER, **options)

    return dial
