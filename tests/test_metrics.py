"""GET /metrics: what happened on calls, in Prometheus's format, behind METRICS_TOKEN."""

import base64
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.calls.prompts import PROMPTS
from app.ops.metrics import LOOKUP_RESULTS, REASONS
from app.storage import sends
from tests.conftest import CALLER
from tests.fakes import TIMEOUT, verify_error
from tests.test_database_down import CLOSED_PORT
from tests.test_logs import CALLERS, walk_every_path
from tests.test_prometheus import debian_tool

TOKEN = "metrics-token-for-the-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
FORM = {"CallSid": "CA" + "1" * 32, "From": CALLER, "To": "+15005550006"}


def exposition(app):
    response = app.test_client().get("/metrics", headers=BEARER)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def samples(app):
    return [sample for family in text_string_to_metric_families(exposition(app)) for sample in family.samples]


def figure(app, name, **labels):
    """The sum of a metric's samples whose labels include `labels`; 0 when there are none."""
    return sum(s.value for s in samples(app) if s.name == name and labels.items() <= s.labels.items())


@pytest.fixture
def app(make_app):
    return make_app(METRICS_TOKEN=TOKEN)


@pytest.fixture
def counts(app):
    """How much a metric has grown since the test began: `counts("ivr_lockouts_total")`."""
    start = samples(app)

    def grown(name, **labels):
        before = sum(s.value for s in start if s.name == name and labels.items() <= s.labels.items())
        return figure(app, name, **labels) - before

    return grown


def test_without_a_token_there_is_no_metrics_endpoint(make_app):
    assert make_app().test_client().get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token-of-some-length",
        f"Bearer {TOKEN}x",
        f"Token {TOKEN}",
        "Basic " + base64.b64encode(b"prometheus:wrong").decode(),
        "Basic not-base64!",
        "Basic " + base64.b64encode(TOKEN.encode()).decode(),  # no user:password pair
    ],
)
def test_the_wrong_credentials_get_a_401_that_says_what_is_needed(app, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="metrics"'
    assert TOKEN not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}", f"bearer {TOKEN}", "Basic " + base64.b64encode(f"prometheus:{TOKEN}".encode()).decode()],
)
def test_a_bearer_token_or_basic_auth_reads_the_metrics(app, authorization):
    response = app.test_client().get("/metrics", headers={"Authorization": authorization})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert "ivr_verifications_started_total" in response.get_data(as_text=True)


def test_a_verified_call_is_counted_from_start_to_finish(call, counts):
    caller = call()
    caller.press("000000")
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert counts("ivr_verifications_started_total") == 1
    assert counts("ivr_verifications_finished_total", outcome="approved", reason="approved") == 1
    assert counts("ivr_verifications_finished_total", outcome="failed") == 0
    assert counts("ivr_verify_request_seconds_count", action="send") == 1
    assert counts("ivr_verify_request_seconds_count", action="check") == 2
    assert counts("ivr_verify_errors_total") == 0
    assert counts("ivr_webhook_seconds_count", step="voice.incoming") == 1
    assert counts("ivr_webhook_seconds_count", step="verification.start") == 1
    assert counts("ivr_webhook_seconds_count", step="verification.check") == 2
    assert counts("ivr_webhook_seconds_count", step="voice.outcome") == 1


def test_failures_are_counted_by_reason(call, counts):
    caller = call()
    for _ in range(3):
        caller.press("000000")
    assert caller.heard("not right too many times")
    call(from_="anonymous")
    assert counts("ivr_verifications_finished_total", outcome="failed", reason="too_many_attempts") == 1
    assert counts("ivr_verifications_finished_total", outcome="failed", reason="withheld") == 1
    assert counts("ivr_verifications_started_total") == 2


def test_account_failures_are_counted_by_their_own_reason_not_as_other(make_app, call, counts):
    app = make_app(METRICS_TOKEN=TOKEN, VERIFY_BY="account", LOCKOUT_MAX_FAILURES=2)
    guesser = call(target=app)
    for guess in ["11111111#", "22222222#", "33333333#"]:
        guesser.press(guess)
    assert guesser.heard("Too many account numbers have been entered from this phone")
    assert counts("ivr_verifications_finished_total", outcome="failed", reason="unknown_accounts") == 1
    assert counts("ivr_verifications_finished_total", reason="other") == 0


def test_every_reason_a_caller_is_told_is_a_label_of_its_own():
    # "failed:REASON", or "failed:REASON:named" for a number the flow or agent named.
    told = {key.split(":")[1] for key in PROMPTS["en-US"] if key.startswith("failed:")}
    assert told - REASONS == set()


def test_verify_errors_are_counted_by_code(call, verify, counts):
    verify.script("send", verify_error(429, 60203, "Max send attempts reached"))
    call(from_=CALLERS[0])
    verify.script("send", verify_error(503, 99999, "Service unavailable"))
    call(from_=CALLERS[1])
    caller = call(from_=CALLERS[2])
    verify.script("check", TIMEOUT)
    caller.press(caller.last_code)
    assert counts("ivr_verify_errors_total", action="send", error="60203") == 1
    assert counts("ivr_verify_errors_total", action="send", error="http_5xx") == 1
    assert counts("ivr_verify_errors_total", action="check", error="network") == 1
    assert counts("ivr_verifications_finished_total", reason="unavailable") == 2


def test_a_call_turned_away_by_a_lockout_is_counted(make_app, call, counts):
    app = make_app(METRICS_TOKEN=TOKEN, LOCKOUT_MAX_FAILURES=1)
    caller = call(target=app)
    for _ in range(3):
        caller.press("000000")
    assert counts("ivr_lockouts_total") == 0
    assert call(target=app).heard("failed verification too many times")
    assert counts("ivr_lockouts_total") == 1
    assert counts("ivr_verifications_finished_total", reason="locked") == 1


def test_database_errors_are_counted(make_app, call, counts):
    call(target=make_app(METRICS_TOKEN=TOKEN, DATABASE_URL=CLOSED_PORT)).press("")
    assert counts("ivr_database_errors_total", operation="record") == 1


def test_limits_taken_in_memory_without_the_database_are_counted(make_app, call, counts):
    call(target=make_app(METRICS_TOKEN=TOKEN, DATABASE_URL=CLOSED_PORT))
    assert counts("ivr_database_fallbacks_total", what="lockout") == 1
    assert counts("ivr_database_fallbacks_total", what="sends") == 1


def test_signature_refusals_are_counted_by_reason(app, counts):
    client = app.test_client()
    assert client.post("/voice", data=FORM).status_code == 403
    assert client.post("/voice", data=FORM, headers={"X-Twilio-Signature": "bm90IGl0"}).status_code == 403
    forged = {"X-Twilio-Signature": "bm90IGl0", "X-Forwarded-Proto": "gopher"}
    assert client.post("/voice/status", data=FORM, headers=forged).status_code == 403
    assert counts("ivr_signature_refusals_total", reason="missing") == 1
    assert counts("ivr_signature_refusals_total", reason="invalid") == 1
    assert counts("ivr_signature_refusals_total", reason="forwarded") == 1


def test_label_values_are_bounded_sets_never_numbers_or_sids(app, call, verify):
    walk_every_path(call, verify)
    labels = {}
    for sample in samples(app):
        for name, value in sample.labels.items():
            labels.setdefault(name, set()).add(value)
    assert set(labels) <= {"outcome", "reason", "action", "error", "step", "operation", "what", "result", "le"}
    assert labels["outcome"] <= {"approved", "failed"}
    assert labels.get("result", set()) <= LOOKUP_RESULTS | {"other"}
    assert labels.get("what", set()) <= {"lockout", "sends"}
    assert labels["action"] <= {"send", "check"}
    assert all(step.split(".")[0] in {"voice", "verification", "handoff"} for step in labels["step"])
    everything = " ".join(value for values in labels.values() for value in values)
    for number in CALLERS:
        assert number[2:] not in everything
    assert "CA" not in everything


def test_promtool_accepts_the_exposition(app, call, verify):
    walk_every_path(call, verify)
    checked = subprocess.run([debian_tool("promtool"), "check", "metrics"], input=exposition(app), capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_codes_sent_this_hour_are_shown_against_the_cap_not_the_places_held(app, call, monkeypatch):
    hour = sends.this_hour()
    monkeypatch.setattr(sends, "this_hour", lambda: hour)  # whenever the test runs
    assert figure(app, "ivr_send_cap_per_hour") == 2500  # PEAK_CALLS_PER_HOUR 1000 × 2 codes × 1.25
    for number in CALLERS[:3]:
        assert call(from_=number, target=app).heard("sent a text message")
    # The worker holds ten places and has reported its first code; the other two come with its next report.
    assert figure(app, "ivr_codes_sent_this_hour") == 1
    sends.give_back(app)
    assert figure(app, "ivr_codes_sent_this_hour") == 3


def test_without_the_database_the_scrape_answers_without_the_codes_sent(make_app):
    app = make_app(METRICS_TOKEN=TOKEN, DATABASE_URL=CLOSED_PORT)
    names = {sample.name for sample in samples(app)}
    assert "ivr_send_cap_per_hour" in names and "ivr_codes_sent_this_hour" not in names
