"""Lookup is asked while the caller hears the greeting, so the first code need not wait for it."""

import concurrent.futures
import datetime
import threading
from urllib.parse import urlsplit

import pytest

from app.calls import ahead, risk
from app.calls.callstate import CallState
from app.calls.verification import channels
from app.simulator.engine import Call, FlaskTransport, call_fields
from app.storage import lookups, records
from tests.conftest import CALLER, SERVICE_NUMBER
from tests.test_lockout import fail_once
from tests.test_odd_input import post_signed

ALL_CHECKS = "line_type,sim_swap,call_forwarding"
ASKED = [(CALLER, "line_type_intelligence,sim_swap,call_forwarding")]


@pytest.fixture(autouse=True)
def fresh_worker(monkeypatch):
    """Each test's Lookups asked ahead are a fresh worker's: none under way, the hour's allowance whole."""
    monkeypatch.setattr(risk, "_ahead", ahead.Ahead(risk.AHEAD_AT_ONCE, "lookup-ahead"))


def greeted(app, from_=CALLER, call_sid="CA" + "5" * 32):
    """Twilio rings /voice, and the caller hangs up during the greeting; the Lookup asked ahead has answered."""
    fields = {**call_fields(from_, SERVICE_NUMBER), "CallSid": call_sid}
    assert post_signed(app, "/voice", fields).status_code == 200
    concurrent.futures.wait(risk._ahead.pending(), timeout=30)


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


def test_callers_who_hang_up_during_the_greeting_cost_lookups_only_up_to_the_workers_share_of_the_send_cap(make_app, verify):
    app = make_app(RISK_CHECKS=ALL_CHECKS, MAX_SENDS_PER_HOUR=4)  # two workers: a share of 2 an hour
    for index in range(3):
        greeted(app, from_=f"+1415555267{index}", call_sid=f"CA{index:032d}")
    assert len(verify.lookup.requests) == 2
    caller, wire = speaking_call(app, verify)  # past the allowance, the first code still asks, behind the cap
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert wire.asked_before["/verification/start"] == verify.lookup.requests[:2]
    assert len(verify.lookup.requests) == 3


def test_a_first_code_that_takes_its_answer_gives_the_allowance_back(make_app, verify):
    app = make_app(RISK_CHECKS=ALL_CHECKS, MAX_SENDS_PER_HOUR=3)  # two workers: a share of 1
    for _ in range(3):
        caller, wire = speaking_call(app, verify)
        assert len(wire.asked_before["/verification/start"]) == len(verify.lookup.requests)  # each asked ahead
        caller.press(caller.last_code)


def test_a_replayed_greeting_asks_nothing_more(make_app, verify):
    app = make_app(RISK_CHECKS=ALL_CHECKS, LOOKUP_CACHE_HOURS=0)
    for _ in range(5):
        greeted(app)  # the same signed /voice, again and again
    assert verify.lookup.requests == ASKED


def test_with_every_lookup_ahead_under_way_the_first_code_asks_as_it_comes(make_app, verify, monkeypatch):
    app = make_app(RISK_CHECKS=ALL_CHECKS)
    monkeypatch.setattr(risk, "_ahead", ahead.Ahead(1, "lookup-ahead"))
    held = threading.Event()
    blocker = risk._ahead.ask("CA" + "9" * 32, "+14155550000", held.wait)
    assert blocker
    try:
        caller = Call(FlaskTransport(app), "https://ivr.example.com/voice", "test-auth-token", CALLER, SERVICE_NUMBER, sms_source=verify)
        caller.start()
        assert verify.lookup.requests == ASKED  # by the first code itself: the pool had no room
        caller.press(caller.last_code)
        assert caller.heard("your phone number is verified")
    finally:
        held.set()


def test_a_swap_answer_asked_ahead_serves_only_its_own_first_code(make_app, verify):
    # The same CallSid verified again (a Studio flow's second pass, an agent's request) asks of the SIM afresh.
    app = make_app(RISK_CHECKS=ALL_CHECKS)
    caller, _ = speaking_call(app, verify, another_worker=True)
    caller.press(caller.last_code)
    with app.app_context():
        number_hash = records.number_hash(CALLER)
        kept = lookups.read(number_hash)
        earlier = {check: {**fact, "at": fact["at"] - datetime.timedelta(seconds=ahead.KEPT + 1)} for check, fact in kept.items()}
        lookups.write(number_hash, earlier)
        state = CallState(call_sid=caller.fields["CallSid"], destination=CALLER, channel="sms", return_to="/voice/outcome")
    with app.test_request_context("/verification/start", method="POST"):
        risk.assess(state)
    assert verify.lookup.requests == ASKED + [(CALLER, "sim_swap")]


def test_a_lookup_asked_ahead_that_never_started_is_asked_by_the_first_code_not_taken_as_failed(make_app, verify, monkeypatch, records):
    # The worker's pool is taken up by other work: the Lookup asked ahead waits in its queue past the first code's wait.
    app = make_app(RISK_CHECKS=ALL_CHECKS, RISK_ON_LOOKUP_ERROR="refuse", VERIFY_TIMEOUT=0.5)
    busy, held = concurrent.futures.ThreadPoolExecutor(1), threading.Event()
    busy.submit(held.wait)
    monkeypatch.setattr(risk._ahead, "_pool", lambda: busy)
    try:
        caller = Call(FlaskTransport(app), "https://ivr.example.com/voice", "test-auth-token", CALLER, SERVICE_NUMBER, sms_source=verify)
        caller.start()
        caller.press(caller.last_code)
    finally:
        held.set()
        busy.shutdown()
    assert caller.heard("your phone number is verified")  # not refused as lookup_unavailable
    assert verify.lookup.requests == ASKED  # asked once, by the first code; the queued one was cancelled
    assert records()[0]["sim_swap"] == "none"
