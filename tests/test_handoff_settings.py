"""Start-up reads each next step once and refuses one that names no destination, in one line naming it."""

import pytest

from app import create_app
from app.calls.handoff import Destination
from config import Config, TestConfig
from tests.fakes import ScriptedVerify
from tests.test_settings import PRODUCTION

KEY = "a-shared-secret-the-pbx-also-knows-0123456789"


def build(**settings):
    return create_app(TestConfig, http_client=ScriptedVerify(), **settings)


@pytest.mark.parametrize(
    "value, destination",
    [
        ("hangup", Destination("hangup")),
        ("", Destination("hangup")),
        ("+14155550123", Destination("number", "+14155550123")),
        ("sip:desk@pbx.example.com", Destination("sip", "sip:desk@pbx.example.com")),
        ("sip:+14155550123@trunk.example.com:5061;transport=tls", Destination("sip", "sip:+14155550123@trunk.example.com:5061;transport=tls")),
        ("client:alice_agent", Destination("client", "alice_agent")),
        ("flex:WW" + "0123456789abcdef" * 2, Destination("flex", "WW" + "0123456789abcdef" * 2)),
        ("https://menu.example.com/main?menu=2", Destination("url", "https://menu.example.com/main?menu=2")),
        ("/menu", Destination("url", "/menu")),
    ],
)
def test_each_form_of_next_step_is_read_once_at_start_up(value, destination):
    app = build(SUCCESS_NEXT_STEP=value, FAILURE_NEXT_STEP=value)
    assert app.extensions["handoff"]["approved"] == destination
    assert app.extensions["handoff"]["failed"] == destination


BAD_DESTINATIONS = [
    "dance",
    "+1",
    "sip:desk@pbx.example.com?X-Verification-Status=approved",
    "sip:desk pbx@example.com",
    'sip:desk@pbx.example.com>"',
    "sip:@pbx.example.com",
    "sip:desk@" + "p" * 250 + ".example.com",
    "client:",
    "client:alice agent",
    "client:<alice>",
    "flex:WW123",
    "flex:XX" + "0" * 32,
    "flex:WW" + "G" * 32,
    "https://",
    "https://menu.example.com/a b",
    "https://menu.example.com/#fragment",
    "//evil.example.com/menu",
    "ftp://menu.example.com",
]


@pytest.mark.parametrize("name", ["SUCCESS_NEXT_STEP", "FAILURE_NEXT_STEP"])
@pytest.mark.parametrize("value", BAD_DESTINATIONS)
def test_a_next_step_of_no_known_form_is_refused_in_one_line_naming_it(name, value):
    with pytest.raises(RuntimeError, match=f"^{name} must be") as refused:
        build(**{name: value})
    assert "\n" not in str(refused.value)


def test_fallback_number_still_works_as_failure_next_steps_old_spelling():
    app = build(FALLBACK_NUMBER="+14155550100")
    assert app.extensions["handoff"]["failed"] == Destination("number", "+14155550100")
    with pytest.raises(RuntimeError, match="^FALLBACK_NUMBER must be"):
        build(FALLBACK_NUMBER="555-0100")


def test_failure_next_step_and_its_old_spelling_may_not_disagree():
    assert build(FAILURE_NEXT_STEP="+14155550100", FALLBACK_NUMBER="+14155550100").extensions["handoff"]["failed"].kind == "number"
    with pytest.raises(RuntimeError, match="FAILURE_NEXT_STEP and FALLBACK_NUMBER"):
        build(FAILURE_NEXT_STEP="sip:desk@pbx.example.com", FALLBACK_NUMBER="+14155550100")


def test_an_unknown_stir_policy_is_named():
    with pytest.raises(RuntimeError, match="STIR_POLICY='require-b' is not one of record, require-a"):
        build(STIR_POLICY="require-b")


def test_a_short_verdict_signing_key_is_refused():
    with pytest.raises(RuntimeError, match="VERDICT_SIGNING_KEY is too short"):
        build(VERDICT_SIGNING_KEY="short-key")


@pytest.mark.parametrize("setting", ["SUCCESS_NEXT_STEP", "FAILURE_NEXT_STEP"])
@pytest.mark.parametrize("value", ["sip:desk@pbx.example.com", "client:alice", "https://menu.example.com/main", "/menu"])
def test_production_refuses_a_destination_that_checks_the_verdict_without_a_shared_key(setting, value):
    with pytest.raises(RuntimeError, match="VERDICT_SIGNING_KEY is required for a sip:, client: or URL next step"):
        create_app(Config, **PRODUCTION, **{setting: value})
    app = create_app(Config, **PRODUCTION, **{setting: value}, VERDICT_SIGNING_KEY=KEY)
    assert app.extensions["handoff"]["key"] == KEY


@pytest.mark.parametrize("value", ["hangup", "+14155550123", "flex:WW" + "0" * 32])
def test_production_signs_with_a_derived_key_where_only_this_server_or_twilio_reads_the_verdict(value):
    app = create_app(Config, **PRODUCTION, SUCCESS_NEXT_STEP=value)
    assert len(app.extensions["handoff"]["key"]) == 64
    assert app.extensions["handoff"]["key"] != PRODUCTION["SECRET_KEY"]


@pytest.mark.parametrize("name", ["SUCCESS_NEXT_STEP", "FAILURE_NEXT_STEP"])
def test_an_http_next_step_is_refused_saying_the_verdict_would_travel_in_clear(name):
    with pytest.raises(RuntimeError) as refused:
        build(**{name: "http://menu.example.com/main"})
    assert str(refused.value) == f"{name} must be https://, not http://: http would carry the verdict in clear"


def test_a_path_next_step_is_taken_with_a_warning_that_only_a_host_ivr_serves_it(caplog):
    app = build(SUCCESS_NEXT_STEP="/menu", FAILURE_NEXT_STEP="https://menu.example.com/agent")
    assert app.extensions["handoff"]["approved"] == Destination("url", "/menu")
    assert [record.message for record in caplog.records if "path" in record.message] == [
        "SUCCESS_NEXT_STEP='/menu' is a path this server does not answer: it works only in another IVR that mounts the subflow and serves it"
    ]


@pytest.mark.parametrize(
    "value, destination",
    [
        ("Hangup", Destination("hangup")),
        ("HANGUP", Destination("hangup")),
        ("SIP:Desk@pbx.example.com", Destination("sip", "sip:Desk@pbx.example.com")),
        ("Client:Alice", Destination("client", "Alice")),
        ("Flex:WW" + "0123456789abcdef" * 2, Destination("flex", "WW" + "0123456789abcdef" * 2)),
        ("HTTPS://menu.example.com/Main", Destination("url", "https://menu.example.com/Main")),
    ],
)
def test_a_next_steps_keyword_is_read_in_any_case_and_what_follows_it_as_written(value, destination):
    assert build(SUCCESS_NEXT_STEP=value).extensions["handoff"]["approved"] == destination


def test_a_flex_workflow_sid_is_read_as_written():
    with pytest.raises(RuntimeError, match="^SUCCESS_NEXT_STEP must be flex: and a TaskRouter workflow SID"):
        build(SUCCESS_NEXT_STEP="flex:ww" + "0123456789abcdef" * 2)
