"""Lookup is asked while the caller hears the greeting, so the first code need not wait for it."""

import concurrent.futures
from urllib.parse import urlsplit

from app.calls import risk
from app.calls.callstate import CallState
from app.calls.verification import channels
from app.simulator.engine import Call, FlaskTransport
from tests.conftest import CALLER, SERVICE_NUMBER
from tests.test_lockout import fail_once

ALL_CHECKS = "line_type,sim_swap,call_forwarding"
ASKED = [(CALLER, "line_type_intelligence,sim_swap,call_forwarding")]


class Speaking(FlaskTransport):
    """Twilio speaks each document before it fetches the next: long enough for Lookup to answer what the app asked."""

    def __init__(self, app, lookup, another_worker=False):
        super().__init__(app)
        self.lookup = lookup
        # The next webhook reaches another worker process, which holds none of this one's answers.
        self.another_worker = another_worker
        self.asked_before = {}

    def request(self, method, url, params, headers):
        # The greeting ends after Lookup has answered (or failed).
        concurrent.futures.wait(risk._ahead.pending(), timeout=30)
        if self.another_worker:
            risk._ahead.calls.clear()
        self.asked_before.setdefault(urlsplit(url).path, list(self.lookup.requests))
        return super().request(method, url, params, headers)


def speaking_call(app, verify, **transport):
    wire = Speaking(app, verify.lookup, **transport)
    caller = Call(wire, "https://ivr.example.com/voice", "test-auth-token", CALLER, SERVICE_NUMBER, sms_source=verify)
    caller.start()
    return caller, wire


def test_the_number_is_looked_up_while_the_greeting_plays(make_app, verify, records):
    caller, wire = speaking_call(make_app(RISK_CHECKS=ALL_CHECKS), verify)
    assert wire.asked_before["/verification/start"] == ASKED
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert verify.lookup.requests == ASKED  # the first code took the answer asked ahead
    assert (records()[0]["line_type"], records()[0]["sim_swap"], records()[0]["forwarding"]) == ("mobile", "none", "off")


def test_a_first_code_on_another_worker_takes_the_answer_from_the_kept_ones(make_app, verify, records):
    app = make_app(RISK_CHECKS=ALL_CHECKS)
    caller, _ = speaking_call(app, verify, another_worker=True)
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    # The SIM-swap answer that lets the code go was given for this very call: not asked twice.
    assert verify.lookup.requests == ASKED
    speaking_call(app, verify, another_worker=True)  # a later call asks of the SIM again
    assert verify.lookup.requests == ASKED + [(CALLER, "sim_swap")]


def test_a_swap_found_ahead_stops_the_code_as_before(make_app, verify, records):
    verify.lookup.answer(CALLER, sim_swapped_hours=2)
    caller, wire = speaking_call(make_app(RISK_CHECKS=ALL_CHECKS), verify)
    assert wire.asked_before["/verification/start"] == ASKED
    assert verify.sent == []
    assert records()[0]["reason"] == "sim_swapped"


def test_lookup_failing_ahead_follows_the_policy_at_the_first_code(make_app, verify, records):
    verify.lookup.answer(CALLER, failure="server_error")
    caller, _ = speaking_call(make_app(RISK_CHECKS=ALL_CHECKS, RISK_ON_LOOKUP_ERROR="refuse"), verify)
    assert verify.sent == []
    assert records()[0]["reason"] == "lookup_unavailable"


def test_a_locked_out_number_is_not_looked_up_ahead(make_app, call, verify, records):
    app = make_app()
    for _ in range(3):
        fail_once(lambda: call(target=app))
    app.config["RISK_CHECKS"] = ALL_CHECKS
    caller, wire = speaking_call(app, verify)
    assert caller.heard("failed verification too many times")
    assert verify.lookup.requests == []


def test_a_number_outside_the_allowed_countries_is_not_looked_up_ahead(make_app, verify, records):
    caller, _ = speaking_call(make_app(RISK_CHECKS=ALL_CHECKS, ALLOWED_COUNTRIES="GB"), verify)
    assert records()[0]["reason"] == "country_not_allowed"
    assert verify.lookup.requests == []


def test_a_caller_who_may_choose_email_is_looked_up_only_after_choosing(make_app, verify):
    # By account with an address on file, the channel menu offers email: a Lookup asked ahead could be paid for nothing.
    app = make_app(RISK_CHECKS=ALL_CHECKS, CHANNELS="sms,email")
    with app.test_request_context("/voice", method="POST"):
        state = CallState(call_sid="CA" + "1" * 32, destination=CALLER, channel="", email="ann@example.com", return_to="/voice/outcome")
        risk.ask_ahead(state, channels.available(state))
        assert risk._ahead.take(state.call_sid, CALLER) is None
        risk.ask_ahead(state.but(channel="sms"), ["sms"])
        assert risk._ahead.take(state.call_sid, CALLER).result(timeout=30)["line_type"] == "mobile"
