"""`flask call`: a whole call from the command line, in process or against a running server."""

import threading

import pytest
from werkzeug.serving import make_server

from app import cli, create_app
from config import TestConfig
from tests.fakes import toy_ivr

FLOW = "FW" + "ab" * 16
NO_CREDENTIALS = {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_VERIFY_SERVICE_SID": ""}


@pytest.fixture
def app():
    """A development app as on a fresh clone: no credentials, so the local Verify stand-in."""
    return create_app(TestConfig, **NO_CREDENTIALS)


@pytest.fixture
def flask_call(app):
    def run(*args, app=app, **kwargs):
        return app.test_cli_runner().invoke(args=["call", *args], **kwargs)

    return run


@pytest.fixture
def fixed_code(monkeypatch):
    """Every code the stand-in sends is 424242."""
    digits = iter("424242" * 20)
    monkeypatch.setattr("app.twilio.standin.secrets.choice", lambda _: next(digits))
    return "424242"


@pytest.fixture
def server():
    """A real HTTP server on localhost running a stand-in app; yields its voice URL."""
    served = create_app(TestConfig, **NO_CREDENTIALS)
    httpd = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/voice"
    httpd.shutdown()
    thread.join()


def test_keys_code_ends_verified_offline(flask_call, app):
    result = flask_call("--keys", "code")
    code = app.extensions["twilio_client"].http_client.last_code()
    assert result.exit_code == 0, result.output
    assert f"[SMS to +1•••••••06] Your verification code is {code}" in result.output
    assert "Gather: listening for 6 digits, '#' to finish, 12 s timeout" in result.output
    assert f"Caller: '{code}'" in result.output
    assert 'Say (Polly.Joanna, en-US): "Thank you. Your phone number is verified."' in result.output
    assert result.output.rstrip().endswith("Call ended: hangup\nStatus callback -> POST https://ivr.example.com/voice/status (204)")
    assert "+14155550106" not in result.output


def test_a_number_written_with_spaces_dashes_and_parentheses_is_called_in_e164(flask_call):
    result = flask_call("--from", "+1 (415) 555-0106", "--to", "+1 415.555.0100", "--keys", "code")
    assert result.exit_code == 0, result.output
    assert "Calling +1•••••••00 from +1•••••••06 (in process, local Verify stand-in)" in result.output
    assert "[SMS to +1•••••••06] Your verification code is" in result.output
    assert "Your phone number is verified." in result.output


def test_a_wrong_code_then_the_right_one(flask_call, fixed_code):
    result = flask_call("--keys", "000000,code")
    assert result.exit_code == 0, result.output
    assert "That code is not right. Please try again." in result.output
    assert "Your phone number is verified." in result.output


def test_three_wrong_codes_end_in_the_fallback(flask_call):
    result = flask_call("--keys", "1,1,1")
    assert result.exit_code == 0, result.output
    assert result.output.count("Caller: '1'") == 3
    assert "The code was not right too many times." in result.output
    assert "verified" not in result.output


def test_three_silences_end_in_the_fallback(flask_call):
    result = flask_call("--keys", ",,")
    assert result.exit_code == 0, result.output
    assert result.output.count("Caller: (silence)") == 3
    assert "We did not hear anything." in result.output
    assert "We did not receive a code." in result.output


def test_the_caller_hangs_up_when_the_script_runs_out(flask_call):
    result = flask_call("--keys", "*#")
    assert result.exit_code == 0, result.output
    assert "We have sent the code again." in result.output
    assert result.output.rstrip().endswith("Call ended: caller hung up\nStatus callback -> POST https://ivr.example.com/voice/status (204)")


def test_keys_typed_at_the_terminal(flask_call, fixed_code):
    result = flask_call(input="\ncode\n")
    assert result.exit_code == 0, result.output
    assert "Caller: (silence)" in result.output
    assert "Your phone number is verified." in result.output


def test_end_of_input_at_the_terminal_hangs_up(flask_call):
    result = flask_call(input="")
    assert result.exit_code == 0, result.output
    assert "Call ended: caller hung up" in result.output


def test_a_withheld_caller_is_told_so(flask_call):
    result = flask_call("--from", "anonymous")
    assert result.exit_code == 0, result.output
    assert "we cannot see the number you are calling from" in result.output.lower()
    assert "[SMS to" not in result.output


def test_extra_call_fields_reach_the_ivr(flask_call):
    result = flask_call("--param", "From=restricted", "--keys", "")
    assert result.exit_code == 0, result.output
    assert "we cannot see the number you are calling from" in result.output.lower()


def test_verbose_shows_webhooks_and_raw_twiml(flask_call):
    result = flask_call("-v", "--keys", "code")
    assert "-> POST https://ivr.example.com/voice (200)" in result.output
    assert "<Response><Say" in result.output
    assert "/verification/check?s=" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--keys", "12x"], "is not keys"),
        (["--param", "nope"], "is not K=V"),
        (["--studio", "FW123"], "'FW123' is not a flow SID: FW and 32 hex digits"),
        (["--widget-param", "to=+14155550177"], "only with --studio FW…"),
        (["--studio", FLOW, "--widget-param", "flow=FW1"], "the widget's URL takes to, account, language"),
    ],
)
def test_a_bad_option_is_a_usage_error(flask_call, args, message):
    result = flask_call(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_url_drives_a_running_server_with_signed_requests(flask_call, server, fixed_code):
    result = flask_call("--url", server, "--keys", f"999999,{fixed_code}")
    assert result.exit_code == 0, result.output
    assert "That code is not right." in result.output
    assert "Your phone number is verified." in result.output


def test_the_prompt_offers_code_in_process_only(flask_call, server, fixed_code):
    in_process = flask_call(input="\n")
    assert "Keys (digits * #, 'code', 'say:words', empty line = silence):" in in_process.output
    remote = flask_call("--url", server, input=f"{fixed_code}\n")
    assert remote.exit_code == 0, remote.output
    assert "Keys (digits * #, 'say:words', empty line = silence):" in remote.output
    assert "'code'" not in remote.output
    assert "Your phone number is verified." in remote.output


def test_code_needs_the_stand_in_in_process_and_the_call_it_stops_is_reported_ended(flask_call, server, records):
    result = flask_call("--url", server, "--keys", "code")
    assert result.exit_code == 1
    assert "read the code on its console" in result.output.splitlines()[-1]
    assert f"Call ended: caller hung up\nStatus callback -> POST {server}/status (204)" in result.output
    assert [(record["outcome"], record["reason"]) for record in records()] == [("failed", "hung_up")]


def test_code_before_the_account_number_is_told_to_key_the_account_number_first(flask_call):
    app = create_app(TestConfig, **NO_CREDENTIALS, VERIFY_BY="account")
    result = flask_call("--keys", "code", app=app)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: 'code' stands for the code the local Verify stand-in sent on this call, and none was seen: "
        'the call asked for an account number first (VERIFY_BY=account): key it before code, as in --keys "12345678#,code"'
    )
    assert "--url" not in result.output


def test_code_where_no_code_was_sent_says_where_the_code_comes_from():
    toy = toy_ivr({"/voice": '<Gather action="/menu"><Say>Press 1.</Say></Gather>', "/voice/status": ""})
    cli.init_app(toy)
    result = toy.test_cli_runner().invoke(args=["call", "--keys", "code"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: 'code' stands for the code the local Verify stand-in sent on this call, and none was seen: "
        "it is known once the local stand-in has sent one; with Twilio Verify, key the digits the phone received"
    )


def test_a_server_with_another_auth_token_answers_403(server):
    app = create_app(TestConfig, **{**NO_CREDENTIALS, "TWILIO_AUTH_TOKEN": "another-token"})
    result = app.test_cli_runner().invoke(args=["call", "--url", server, "--keys", "code"])
    assert result.exit_code == 1
    assert f"Error: POST {server} answered HTTP 403" in result.output


def test_a_server_that_is_not_there(flask_call, server):
    result = flask_call("--url", server.replace("/voice", "/nothing-here"))
    assert result.exit_code == 1
    assert "answered HTTP 404: the voice webhook is /voice" in result.output


def test_a_url_without_the_voice_path_is_told_the_webhooks_path(flask_call, server):
    root = server.removesuffix("/voice")
    result = flask_call("--url", root, "--keys", "")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"Error: POST {root} answered HTTP 404: the voice webhook is /voice"


def test_a_refused_connection_names_the_url_and_how_to_start_a_server(flask_call):
    result = flask_call("--url", "http://127.0.0.1:9/voice")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: nothing answers at http://127.0.0.1:9/voice (connection refused): "
        "is a server running there? (`make run` starts one on http://localhost:5000)"
    )


@pytest.mark.parametrize(
    "args, line",
    [
        (["--url", "localhost:5000/voice"], "Error: Invalid value for '--url': 'localhost:5000/voice' is not a URL: add http:// or https://, e.g. http://localhost:5000/voice"),
        (["--from", "4155550106"], "Error: Invalid value for '--from': a number goes in E.164 form, + and country code: e.g. +14155550106"),
        (["--to", "(415) 555-0100"], "Error: Invalid value for '--to': a number goes in E.164 form, + and country code: e.g. +14155550106"),
        (["--keys", "say:one two"], "Error: Invalid value for --keys: 'say:' needs SPEECH_INPUT=on (in .env or the environment): without it the IVR listens for keys only"),
    ],
    ids=["url-without-scheme", "from-not-e164", "to-not-e164", "speech-off"],
)
def test_what_a_new_user_mistypes_is_one_error_line_and_no_call(flask_call, args, line):
    result = flask_call(*args)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == line
    assert "Calling" not in result.output and "Traceback" not in result.output


def test_speech_typed_at_the_terminal_without_speech_input_is_asked_again(flask_call, fixed_code):
    result = flask_call(input="say:one two\ncode\n")
    assert result.exit_code == 0, result.output
    assert "  'say:' needs SPEECH_INPUT=on" in result.output
    assert "(says)" not in result.output
    assert "Your phone number is verified." in result.output


@pytest.mark.parametrize(
    "answer, message",
    [
        (("<html>hello</html>", {"Content-Type": "text/html"}), "not TwiML"),
        (("<Response><Say><Dial/></Say></Response>", {"Content-Type": "text/xml"}), "invalid TwiML"),
        (("<Response><Redirect>/voice</Redirect></Response>", {"Content-Type": "text/xml"}), "is the IVR in a loop?"),
    ],
)
def test_an_ivr_twilio_would_give_up_on_is_an_error(answer, message):
    toy = toy_ivr({"/voice": answer})
    cli.init_app(toy)
    result = toy.test_cli_runner().invoke(args=["call", "--keys", ""])
    assert result.exit_code == 1
    assert message in result.output


def test_the_agent_number_dialled_is_shown_masked():
    app = create_app(TestConfig, **NO_CREDENTIALS, FALLBACK_NUMBER="+14155550177")
    result = app.test_cli_runner().invoke(args=["call", "--keys", ",,"])
    assert result.exit_code == 0, result.output
    assert "Dial: +1•••••••77" in result.output
    assert "+14155550177" not in result.output


def test_a_status_callback_is_posted_when_the_call_ends():
    toy = toy_ivr({"/voice": "<Say>Hello.</Say><Hangup/>", "/status": ""})
    cli.init_app(toy)
    result = toy.test_cli_runner().invoke(args=["call", "--status-callback", "/status"])
    assert result.exit_code == 0, result.output
    assert "Status callback -> POST https://ivr.example.com/status (200)" in result.output
    assert toy.requests[-1]["CallStatus"] == "completed" and toy.requests[-1]["signed"]


@pytest.mark.parametrize("how", [{"input": "\n"}, {"args": ["--keys", "1"]}], ids=["at-the-terminal", "script-runs-out"])
def test_a_caller_who_hangs_up_mid_verification_is_recorded_as_hung_up(flask_call, records, how):
    result = flask_call(*how.get("args", []), input=how.get("input"))
    assert result.exit_code == 0, result.output
    assert "Call ended: caller hung up\nStatus callback -> POST https://ivr.example.com/voice/status (204)" in result.output
    assert [(record["outcome"], record["reason"]) for record in records()] == [("failed", "hung_up")]


def test_the_status_callback_goes_beside_a_running_servers_voice_url(flask_call, server):
    result = flask_call("--url", server, "--keys", "")
    assert result.exit_code == 0, result.output
    assert f"Status callback -> POST {server}/status (204)" in result.output


def test_an_empty_status_callback_posts_none(flask_call):
    result = flask_call("--status-callback", "", "--keys", "1")
    assert result.exit_code == 0, result.output
    assert "Status callback" not in result.output


def test_it_says_when_a_real_text_message_would_be_sent(verify):
    credentials = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t", "TWILIO_VERIFY_SERVICE_SID": "VA" + "1" * 32}
    app = create_app(TestConfig, http_client=verify, **credentials)
    result = app.test_cli_runner().invoke(args=["call", "--keys", ""])
    assert "Calling +1•••••••00 from +1•••••••06 (in process, Twilio Verify: a real text message goes to +1•••••••06)" in result.output


@pytest.mark.parametrize(
    "next_step, shown",
    [
        ("+14155550177", ["Dial: +1•••••••77", '   Agent hears (Polly.Joanna, en-US): "Verified caller."']),
        ("sip:desk@pbx.example.com", ["Dial: sip:desk@pbx.example.com", "   X-Verification-Status: approved",
                                      "   X-Verification-Reason: approved", "   X-Verification-Method: caller_id",
                                      "   X-Verification-Attestation: TN-Validation-Passed-A"]),
        ("client:alice", ["Dial: client:alice", "   verification_status: approved"]),
        ("flex:WW" + "0" * 32, ["Enqueue: workflow WW" + "0" * 32]),
    ],
    ids=["agent", "sip", "client", "flex"],
)
def test_flask_call_shows_what_goes_with_the_call_after_the_verdict(fixed_code, next_step, shown):
    app = create_app(TestConfig, **NO_CREDENTIALS, SUCCESS_NEXT_STEP=next_step)
    result = app.test_cli_runner().invoke(args=["call", "--keys", "code", "--param", "StirVerstat=TN-Validation-Passed-A"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index('   Say (Polly.Joanna, en-US): "Thank you. Your phone number is verified."')
    assert lines[start + 1 : start + 1 + len(shown)] == shown
    assert "+14155550177" not in result.output


def test_flask_call_shows_the_task_attributes_of_a_failed_call(fixed_code):
    app = create_app(TestConfig, **NO_CREDENTIALS, FAILURE_NEXT_STEP="flex:WW" + "0" * 32)
    result = app.test_cli_runner().invoke(args=["call", "--keys", "1,1,1"])
    assert result.exit_code == 0, result.output
    assert '   task attributes: {"verification":{"call_sid":"CA' in result.output
    assert '"status":"failed","reason":"too_many_attempts","method":"caller_id","attestation":""' in result.output


def test_flask_call_shortens_the_verdict_token_unless_verbose(fixed_code):
    app = create_app(TestConfig, **NO_CREDENTIALS, SUCCESS_NEXT_STEP="https://menu.example.com/main")
    result = app.test_cli_runner().invoke(args=["call", "--keys", "code"])
    assert result.exit_code == 0, result.output
    assert "Call ended: sent to another host, not followed: https://menu.example.com/main?verdict=eyJhbGciOiJIUzI1" in result.output
    assert "-character verdict token, -v shows it)" in result.output
    verbose = app.test_cli_runner().invoke(args=["call", "--keys", "code", "-v"])
    token = verbose.output.split("?verdict=")[-1].split()[0]
    assert app.test_cli_runner().invoke(args=["verdict", "decode", token]).exit_code == 0


def test_a_spoken_code_verifies_offline(fixed_code):
    app = create_app(TestConfig, **NO_CREDENTIALS, SPEECH_INPUT=True)
    result = app.test_cli_runner().invoke(args=["call", "--keys", "say:one two three,say:code"])
    assert result.exit_code == 0, result.output
    assert "Gather: listening for 6 digits, '#' to finish, 12 s timeout, speech allowed" in result.output
    assert 'Caller: (says) "one two three"' in result.output
    assert "The code has 6 digits." in result.output
    assert 'Caller: (says) "4 2 4 2 4 2"' in result.output
    assert "Your phone number is verified." in result.output


def test_the_spanish_menu_and_the_whatsapp_choice_offline(fixed_code):
    app = create_app(TestConfig, **NO_CREDENTIALS, LANGUAGES="en-US,es-MX", CHANNELS="sms,whatsapp")
    result = app.test_cli_runner().invoke(args=["call", "--keys", "2,2,code"])
    assert result.exit_code == 0, result.output
    assert 'Say (Polly.Mia, es-MX): "Para español, oprima 2."' in result.output
    assert 'Say (Polly.Mia, es-MX): "Para recibirlo por WhatsApp, oprima 2."' in result.output
    assert "[WhatsApp to +1•••••••06, locale es] Your verification code is 424242" in result.output
    assert 'Say (Polly.Mia, es-MX): "Gracias. Su número de teléfono está verificado."' in result.output


def test_studio_hands_the_call_over_and_shows_what_the_flow_gets_back(flask_call, fixed_code):
    result = flask_call("--studio", FLOW, "--keys", "code")
    assert result.exit_code == 0, result.output
    assert f"through Studio flow {FLOW}'s TwiML Redirect" in result.output
    back = result.output.split(f"Back to Studio flow {FLOW}, the widget's variables:\n")[1].splitlines()
    assert back[:3] == ["   verified: true", "   reason: approved", "   method: caller_id"]
    assert back[3].startswith("   verdict: eyJ") and back[3].endswith("-character verdict token, -v shows it)")
    # Studio keeps the call: no status callback of this server's is posted.
    assert back[4:] == [f"Call ended: returned to Studio flow {FLOW}"]


def test_studio_with_widget_parameters_and_a_whole_token_with_verbose(flask_call, app, fixed_code):
    result = flask_call("--studio", FLOW, "--widget-param", "to=+14155550177", "--keys", "000000,111111,222222", "-v")
    assert result.exit_code == 0, result.output
    assert "/studio/verify?flow=" + FLOW + "&to=%2B14155550177" in result.output
    assert "[SMS to +1•••••••77]" in result.output
    assert "   verified: false\n   reason: too_many_attempts\n" in result.output
    token = result.output.split("   verdict: ")[1].split()[0]
    assert app.test_cli_runner().invoke(args=["verdict", "decode", token]).exit_code == 0


def test_studio_against_a_running_server(flask_call, server, fixed_code):
    result = flask_call("--url", server, "--studio", FLOW, "--keys", fixed_code)
    assert result.exit_code == 0, result.output
    assert "   verified: true" in result.output


def test_agent_a_caller_in_a_conference_leaves_for_the_code_and_comes_back(flask_call, fixed_code):
    agent_app = create_app(TestConfig, API_TOKEN="an-api-token-for-trying-it-out", **NO_CREDENTIALS)
    result = flask_call("--agent", "support-42", "--keys", "code", app=agent_app)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Conference: caller joins support-42, the agent there" in lines[1]
    assert lines[2].startswith("Agent: POST /api/v1/calls/CA") and lines[3] == "   API: 202 the caller is being verified"
    assert "Conference: caller leaves support-42; the agent stays on, alone" in lines
    assert "Calls API: the caller's leg moved to https://ivr.example.com/agent/start" in lines
    assert lines[-6:-2] == [
        '   Say (Polly.Joanna, en-US): "Thank you. Your phone number is verified."',
        "Conference: caller joins support-42, the agent there",
        "The caller talks with the agent in support-42 again; the simulation ends here.",
        "Caller: (hangs up)",
    ]


@pytest.mark.parametrize("args", [["--agent", "support-42"], ["--agent", "support-42", "--studio", FLOW]])
def test_agent_needs_the_stand_in_and_api_token(flask_call, args):
    result = flask_call(*args)
    assert result.exit_code == 2
    assert "with API_TOKEN set" in result.output



@pytest.fixture
def calling_back():
    """An app that calls landlines back (CALLBACK=on), on the stand-in."""
    return create_app(TestConfig, **NO_CREDENTIALS, CALLBACK=True, RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US")


def placed(app):
    """The calls the app's stand-in placed through the Calls API."""
    return app.extensions["twilio_client"].http_client.calls


def test_a_landline_is_called_back_and_the_caller_presses_1_on_it(flask_call, records):
    calling_back = create_app(TestConfig, **NO_CREDENTIALS, CALLBACK=True, RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US", SUCCESS_NEXT_STEP="sip:desk@pbx.example.com")
    result = flask_call("--line-type", "landline", "--keys", "1", app=calling_back)
    assert result.exit_code == 0, result.output
    first, second = result.output.split("Call back: ")
    assert "we will call this number back within a minute" in first and "[SMS" not in first
    assert first.rstrip().endswith("Status callback -> POST https://ivr.example.com/voice/status (204)")
    assert second.startswith("the IVR calls +1•••••••06 from +1•••••••00: a person answers\n")
    assert "To continue, press 1." in second and "Caller: '1'" in second
    assert "Your phone number is verified." in second
    assert "Dial: sip:desk@pbx.example.com" in second and "   X-Verification-Method: callback" in second
    assert second.rstrip().endswith("Status callback -> POST https://ivr.example.com/callback/status (204)")
    [record] = records()
    assert (record["outcome"], record["line_type"]) == ("approved", "landline")
    assert placed(calling_back)[0]["form"]["To"] == "+14155550106"


@pytest.mark.parametrize(
    ("answered", "shown", "status"),
    [("machine", "a machine answers (machine_start)", "completed"), ("none", "nobody answers", "no-answer")],
)
def test_a_call_back_a_machine_answers_or_nobody_does_is_unanswered(flask_call, calling_back, records, answered, shown, status):
    result = flask_call("--line-type", "landline", "--callback", answered, app=calling_back)
    assert result.exit_code == 0, result.output
    assert f"Call back: the IVR calls +1•••••••06 from +1•••••••00: {shown}" in result.output
    assert "press 1" not in result.output
    assert result.output.rstrip().endswith("Status callback -> POST https://ivr.example.com/callback/status (204)")
    assert placed(calling_back)[0]["sid"] in calling_back.extensions["twilio_client"].http_client.live.calls
    assert calling_back.extensions["twilio_client"].http_client.live.calls[placed(calling_back)[0]["sid"]]["status"] == status
    [record] = records()
    assert (record["outcome"], record["reason"]) == ("failed", "callback_unanswered")


def test_no_call_back_to_a_landline_whose_calls_are_forwarded(flask_call, calling_back, records):
    result = flask_call("--line-type", "landline", "--forwarding", app=calling_back)
    assert result.exit_code == 0, result.output
    assert "RISK_CHECKS=line_type,call_forwarding for this call (--forwarding needs it" in result.output
    assert "cannot send a text message to this phone line" in result.output and "Call back:" not in result.output
    assert placed(calling_back) == []
    assert (records()[0]["reason"], records()[0]["forwarding"]) == ("landline", "on")


def test_a_sim_swapped_two_hours_ago_gets_no_code(flask_call, app, records):
    result = flask_call("--sim-swapped", "2h", "--keys", "code")
    assert result.exit_code == 0, result.output
    assert "RISK_CHECKS=sim_swap for this call (--sim-swapped needs it; set it in .env for every call)" in result.output
    assert "[SMS" not in result.output
    assert (records()[0]["reason"], records()[0]["sim_swap"]) == ("sim_swapped", "recent")


def test_a_sim_swapped_days_ago_is_flagged_and_verified_when_the_policy_says_flag(flask_call, records):
    result = flask_call("--sim-swapped", "3d", "--keys", "code", app=create_app(TestConfig, **NO_CREDENTIALS, SIM_SWAP_POLICY="flag"))
    assert "Your phone number is verified." in result.output
    assert (records()[0]["outcome"], records()[0]["sim_swap"]) == ("approved", "recent")


def test_the_answer_set_now_is_heard_not_one_kept_from_an_earlier_call(flask_call, calling_back):
    assert "[SMS" in flask_call("--keys", "code", app=create_app(TestConfig, **NO_CREDENTIALS, RISK_CHECKS="line_type")).output
    # Lookup said "mobile" a moment ago, and the answer was kept for LOOKUP_CACHE_HOURS.
    assert "call this number back" in flask_call("--line-type", "landline", app=calling_back).output


def test_without_options_a_call_hears_the_kept_answers_as_a_real_caller_would(flask_call, records):
    app = create_app(TestConfig, **NO_CREDENTIALS, RISK_CHECKS="sim_swap")
    assert "[SMS" not in flask_call("--sim-swapped", "2h", "--keys", "code", app=app).output
    # A recent swap is kept an hour: the next call is refused without asking Lookup.
    result = flask_call("--keys", "code", app=app)
    assert "[SMS" not in result.output
    assert [record["reason"] for record in records()] == ["sim_swapped", "sim_swapped"]


@pytest.mark.parametrize("option", [["--line-type", "landline"], ["--sim-swapped", "1d"], ["--forwarding"], ["--callback", "machine"]])
def test_what_the_stand_in_answers_is_set_only_in_process(flask_call, server, option):
    result = flask_call("--url", server, *option)
    assert result.exit_code == 2
    assert f"Invalid value for {option[0]}: only in process on the local Verify stand-in, without --url" in result.output


def test_a_sim_swap_age_is_hours_or_days(flask_call):
    result = flask_call("--sim-swapped", "2 weeks")
    assert result.exit_code == 2
    assert "'2 weeks' is not an age: hours or days, e.g. 2h or 3d" in result.output


def test_who_answers_a_call_back_that_is_not_placed_is_said(flask_call):
    result = flask_call("--callback", "machine", "--keys", "code")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("No call was placed back (CALLBACK=on calls a landline back once its call has ended).")


def test_a_call_back_keyed_what_the_script_cannot_key_is_hung_up(flask_call, calling_back, records):
    result = flask_call("--line-type", "landline", "--keys", "code", app=calling_back)
    assert result.exit_code == 1
    assert "Status callback -> POST https://ivr.example.com/callback/status (204)" in result.output
    assert records()[0]["reason"] == "callback_unanswered"
