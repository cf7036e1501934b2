"""From a Studio flow: its TwiML Redirect widget hands the call over, and the verdict comes back as the widget's variables."""

import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from app.calls.handoff.verdict import read
from app.settings import shortest_state_max_age
from app.simulator import CallError
from app.simulator.engine import ACCOUNT_SID
from app.storage.accounts import account_hash
from tests.conftest import BACKENDS, CALLER
from config import DEFAULTS
from tests.test_security import FIELDS

FLOW = "FW" + "0123456789abcdef" * 2
KEY = "a-shared-secret-the-studio-flow-also-knows-0123"
ACCOUNT = "20240817"
ON_FILE = "+14155550142"
ROOT = Path(__file__).resolve().parent.parent
FLOW_JSON = ROOT / "studio" / "parent-flow.json"


def studio_url(flow=FLOW, **query):
    """The URL a TwiML Redirect widget points at, with the widget's query parameters."""
    return "https://ivr.example.com/studio/verify?" + urlencode({"flow": flow, **query})


@pytest.fixture
def app(make_app):
    app = make_app(VERDICT_SIGNING_KEY=KEY)
    assert app.test_cli_runner().invoke(args=["accounts", "add", ACCOUNT, ON_FILE]).exit_code == 0
    return app


@pytest.fixture
def from_studio(call):
    """A call the Studio flow hands over: `from_studio(to=..., account=..., language=...)`."""

    def redirect(from_=CALLER, **query):
        return call(from_=from_, url=studio_url(**query))

    return redirect


def verdict_of(caller):
    """The widget's `verdict` variable, checked as the flow's next system checks it: signature, expiry, this call."""
    return read(caller.studio_return["verdict"], KEY, caller.fields["CallSid"])


def test_a_verified_caller_goes_back_to_the_flow_with_verified_true_and_a_token_that_holds(from_studio):
    caller = from_studio()
    assert caller.heard("we have just sent a text message")
    caller.press(caller.last_code)
    variables = caller.studio_return
    assert {name: variables[name] for name in ("verified", "reason", "method")} == {"verified": "true", "reason": "approved", "method": "caller_id"}
    verdict = verdict_of(caller)
    assert (verdict.status, verdict.reason, verdict.method, verdict.number) == ("approved", "approved", "caller_id", "+1•••••••71")
    # The flow says its own next words: nothing is said between the code and the return.
    assert caller.said_since_last_input() == []
    assert caller.end_reason == f"returned to Studio flow {FLOW}"


def test_the_return_is_a_post_to_exactly_studios_webhook_for_the_flow(from_studio):
    caller = from_studio()
    caller.press(caller.last_code)
    redirect = [event for event in caller.events if event.kind == "redirect"][-1]
    assert redirect.attrs["method"] == "POST"
    url = urlsplit(redirect.text)
    assert (url.scheme, url.netloc, url.path) == ("https", "webhooks.twilio.com", f"/v1/Accounts/{ACCOUNT_SID}/Flows/{FLOW}")
    assert url.query.startswith("FlowEvent=return&")
    assert set(parse_qs(url.query)) == {"FlowEvent", "verified", "reason", "method", "verdict"}
    assert CALLER.lstrip("+") not in redirect.text and caller.last_code not in redirect.text


def test_three_wrong_codes_go_back_with_verified_false_and_too_many_attempts(from_studio):
    caller = from_studio()
    for wrong in ["000000", "111111", "222222"]:
        caller.press(wrong)
    assert caller.studio_return["verified"] == "false"
    assert caller.studio_return["reason"] == "too_many_attempts"
    assert verdict_of(caller).status == "failed"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("first", ["approved", "too_many_attempts"])
@pytest.mark.parametrize("entry", [{}, {"account": ACCOUNT}, {"account": "ask"}], ids=["caller_id", "account", "ask"])
def test_the_flow_may_verify_the_same_call_again_once_the_first_pass_is_over(app, call, verify, records, first, entry):
    caller = call(url=studio_url(**entry))
    if entry.get("account") == "ask":
        caller.press(ACCOUNT + "#")
    for keys in [caller.last_code] if first == "approved" else ["000000", "111111", "222222"]:
        caller.press(keys)
    assert caller.studio_return["reason"] == first
    # The flow's "try again" branch redirects the same call here once more: a new code, a new record.
    again = call(url=studio_url(**entry), params={"CallSid": caller.fields["CallSid"]})
    if entry.get("account") == "ask":
        again.press(ACCOUNT + "#")
    assert again.heard("please enter the code now")
    assert len(verify.sent) == 2
    again.press(again.last_code)
    assert (again.studio_return["verified"], again.studio_return["reason"]) == ("true", "approved")
    assert [row["reason"] for row in records()] == [first, "approved"]


def test_a_replayed_start_of_a_studio_pass_sends_no_second_code(app, from_studio, verify, records):
    caller = from_studio()
    start = next(event.text for event in caller.events if event.kind == "redirect" and "/verification/start" in event.text)
    url = f"https://ivr.example.com{start}"
    fields = {**FIELDS, "CallSid": caller.fields["CallSid"], "From": caller.fields["From"]}
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, fields)
    assert app.test_client().post(url, data=fields, headers={"X-Twilio-Signature": signature}).status_code == 200
    assert len(verify.sent) == 1 and len(records()) == 1


def test_the_widget_names_the_number_to_verify(from_studio, verify, records):
    caller = from_studio(to="+14155550177")
    assert verify.sent[-1][0] == "+14155550177"
    # Not the phone the caller calls from: they hear which one, and the verdict says it was named.
    assert caller.heard("we have sent a code to the phone number ending in 7 7")
    assert not caller.heard("the phone you are calling from")
    caller.press(caller.last_code)
    assert (caller.studio_return["verified"], caller.studio_return["method"]) == ("true", "named_number")
    assert (verdict_of(caller).number, verdict_of(caller).method) == ("+1•••••••77", "named_number")
    assert records()[-1]["method"] == "named_number"


@pytest.mark.parametrize("written", ["+14155550177", "%2B14155550177"])
def test_the_widget_s_number_is_read_with_its_plus_however_the_url_writes_it(call, verify, written):
    # Typed in the widget's URL, or filled in by Liquid ({{trigger.call.From}}), the '+' stays plain.
    caller = call(url=f"https://ivr.example.com/studio/verify?flow={FLOW}&to={written}")
    assert verify.sent[-1][0] == "+14155550177"
    caller.press(caller.last_code)
    assert (caller.studio_return["verified"], caller.studio_return["method"]) == ("true", "named_number")


def test_the_widget_naming_the_callers_own_number_is_verification_by_caller_id(from_studio):
    caller = from_studio(to=CALLER)
    assert caller.heard("to the phone you are calling from")
    caller.press(caller.last_code)
    assert caller.studio_return["method"] == "caller_id"


def test_a_number_no_code_can_reach_goes_back_unverified_without_a_code(from_studio, verify):
    caller = from_studio(to="12345")
    assert caller.studio_return["reason"] == "invalid_number"
    assert verify.sent == []


def test_a_landline_goes_back_to_the_flow_as_landline_with_no_callback_promised(make_app, call, verify):
    app = make_app(VERDICT_SIGNING_KEY=KEY, CALLBACK=True, RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US")
    verify.lookup.answer(CALLER, line_type="landline")
    caller = call(url=studio_url(), target=app)
    assert not caller.heard("call this number back")
    assert (caller.studio_return["verified"], caller.studio_return["reason"]) == ("false", "landline")
    assert caller.end_reason == f"returned to Studio flow {FLOW}"
    assert verify.sent == []


def test_by_account_the_code_goes_to_the_phone_on_file(app, from_studio, verify, caplog):
    caplog.set_level(logging.INFO)
    caller = from_studio(account=ACCOUNT)
    assert caller.heard("ending in 4 2")
    assert verify.sent[-1][0] == ON_FILE
    caller.press(caller.last_code)
    assert caller.studio_return["method"] == "account"
    verdict = verdict_of(caller)
    assert (verdict.status, verdict.account) == ("approved", account_hash(ACCOUNT, app.config["SECRET_KEY"]))
    assert ACCOUNT not in caller.end_reason and ACCOUNT not in caplog.text


def test_account_ask_collects_the_digits_here_so_they_are_in_no_url(from_studio, verify, caplog):
    caplog.set_level(logging.INFO)
    caller = from_studio(account="ask")
    assert caller.heard("please enter your account number")
    caller.press(ACCOUNT + "#")
    assert caller.heard("ending in 4 2")
    assert verify.sent[-1][0] == ON_FILE
    caller.press(caller.last_code)
    assert (caller.studio_return["verified"], caller.studio_return["method"]) == ("true", "account")
    urls = " ".join(event.text for event in caller.events if event.kind in {"webhook", "redirect"})
    assert ACCOUNT not in urls and ACCOUNT not in caplog.text


def test_account_ask_that_finds_no_account_goes_back_to_the_flow_unverified(from_studio, verify):
    caller = from_studio(account="ask")
    for _ in range(3):
        caller.press("99999999#")
    assert (caller.studio_return["verified"], caller.studio_return["reason"]) == ("false", "account_not_found")
    assert caller.end_reason == f"returned to Studio flow {FLOW}"
    assert verify.sent == []


def test_an_unknown_account_goes_back_unverified_without_a_code(from_studio, verify, records):
    caller = from_studio(account="99999999")
    assert (caller.studio_return["verified"], caller.studio_return["reason"]) == ("false", "account_not_found")
    assert caller.studio_return["method"] == "account"
    assert verify.sent == []
    assert [(row["outcome"], row["reason"]) for row in records()] == [("failed", "account_not_found")]


def test_an_account_entry_that_is_no_account_number_is_not_looked_up(from_studio, verify):
    caller = from_studio(account="12a")
    assert caller.studio_return["reason"] == "account_not_found"
    assert verify.sent == []


def test_the_widget_chooses_the_language(make_app, call):
    app = make_app(LANGUAGES="en-US,es-MX")
    caller = call(target=app, url=studio_url(language="es-MX"))
    said = [event for event in caller.events if event.kind == "say"]
    assert caller.listening and [event.attrs["language"] for event in said] == ["es-MX"]


@pytest.mark.parametrize("flow", ["", "FW123", "FW" + "0123456789ABCDEF" * 2, FLOW + "0", "WW" + FLOW[2:]])
def test_a_flow_sid_that_is_no_flows_is_refused_with_a_4xx(from_studio, verify, flow):
    with pytest.raises(CallError, match="answered HTTP 400"):
        from_studio(flow=flow)
    assert verify.sent == []


def test_a_language_not_served_is_refused_with_a_4xx(from_studio):
    with pytest.raises(CallError, match="answered HTTP 400"):
        from_studio(language="fr-FR")


@pytest.mark.parametrize("path", ["/studio/verify", "/studio/return"])
def test_an_unsigned_request_is_refused(app, path):
    url = f"https://ivr.example.com{path}?flow={FLOW}"
    assert app.test_client().post(url, data=FIELDS).status_code == 403
    forged = RequestValidator("another-auth-token").compute_signature(url, FIELDS)
    assert app.test_client().post(url, data=FIELDS, headers={"X-Twilio-Signature": forged}).status_code == 403


def test_a_return_step_without_its_state_goes_back_unverified(app):
    url = f"https://ivr.example.com/studio/return?flow={FLOW}"
    fields = {**FIELDS, "AccountSid": ACCOUNT_SID}
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, fields)
    answer = app.test_client().post(url, data=fields, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200
    assert "FlowEvent=return&amp;verified=false&amp;reason=error" in answer.get_data(as_text=True)


# -- the flow shipped for import ------------------------------------------------------------------


def flow_definition():
    return json.loads(FLOW_JSON.read_text())


def test_the_shipped_flow_is_a_studio_flow_definition():
    flow = flow_definition()
    names = [state["name"] for state in flow["states"]]
    assert len(names) == len(set(names))
    assert flow["initial_state"] in names
    assert flow["flags"] == {"allow_concurrent_calls": True}
    for state in flow["states"]:
        assert set(state) == {"name", "type", "transitions", "properties"}
        for transition in state["transitions"]:
            assert transition.get("next", names[0]) in names, f"{state['name']}: {transition}"


def test_the_shipped_flow_hands_the_call_to_this_server_and_splits_on_its_verdict():
    states = {state["name"]: state for state in flow_definition()["states"]}
    trigger = states["Trigger"]
    call = next(transition["next"] for transition in trigger["transitions"] if transition["event"] == "incomingCall")
    redirect = states[call]
    assert redirect["type"] == "add-twiml-redirect"
    assert redirect["properties"]["url"] == "https://YOUR-SERVER/studio/verify?flow={{flow.flow_sid}}"
    assert redirect["properties"]["method"] == "POST"
    exits = {transition["event"]: transition.get("next") for transition in redirect["transitions"]}
    assert set(exits) == {"return", "timeout", "fail"}
    split = states[exits["return"]]
    assert split["type"] == "split-based-on"
    assert split["properties"]["input"] == f"{{{{widgets.{call}.verified}}}}"
    branches = {transition["event"]: transition for transition in split["transitions"]}
    match = branches["match"]["conditions"][0]
    assert (match["arguments"], match["type"], match["value"]) == ([f"{{{{widgets.{call}.verified}}}}"], "equal_to", "true")
    assert states[branches["match"]["next"]]["type"] == "say-play"
    assert states[branches["noMatch"]["next"]]["type"] == "say-play"


def test_the_server_url_is_the_flows_only_placeholder():
    text = FLOW_JSON.read_text()
    assert text.count("YOUR-SERVER") == 1


def test_the_widgets_timeout_outlasts_the_longest_verification_the_readme_computes():
    # Each code prompt ends in a wrong code, a silence or a resend, each bounded; the last ends the call.
    prompts = DEFAULTS["MAX_ATTEMPTS"] + DEFAULTS["MAX_SILENCES"] + 1 + DEFAULTS["MAX_RESENDS"]
    slowest = shortest_state_max_age(DEFAULTS)
    assert f"{prompts} × {slowest} s = {prompts * slowest} s" in (ROOT / "docs" / "studio-and-agent.md").read_text()
    redirect = next(state for state in flow_definition()["states"] if state["type"] == "add-twiml-redirect")
    # The two menus and the Verify requests fit in what is left.
    assert int(redirect["properties"]["timeout"]) >= prompts * slowest + 300
