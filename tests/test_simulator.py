"""The call engine plays Twilio's part the way Twilio does, on a toy IVR of fixed documents."""

import pytest

from app.simulator import CallError, place_call
from app.simulator.script import ScriptError, Step, parse
from tests.fakes import TOY_TOKEN as TOKEN
from tests.fakes import toy_ivr

CALLER = "+14155552671"


def ring(documents, url="https://ivr.example.com/voice", **options):
    app = toy_ivr(documents)
    return app, place_call(app, from_=CALLER, url=url, auth_token=TOKEN, **options)


GATHER = '<Gather action="/code" numDigits="4"><Say>Enter four digits.</Say></Gather><Say>Nothing?</Say>'


def test_the_first_webhook_rings_and_the_next_are_in_progress():
    app, caller = ring({"/voice": GATHER, "/code": "<Hangup/>"})
    caller.press("1234")
    assert [r["CallStatus"] for r in app.requests] == ["ringing", "in-progress"]
    assert all(r["signed"] for r in app.requests)


def test_numdigits_ends_the_entry_without_a_finishing_key():
    app, caller = ring({"/voice": GATHER, "/code": "<Hangup/>"})
    caller.press("123456")
    assert app.requests[-1]["Digits"] == "1234"
    assert app.requests[-1]["FinishedOnKey"] == ""


def test_the_finishing_key_is_not_in_digits_but_is_reported():
    app, caller = ring({"/voice": '<Gather action="/code"/>', "/code": "<Hangup/>"})
    caller.press("12#")
    assert app.requests[-1]["Digits"] == "12"
    assert app.requests[-1]["FinishedOnKey"] == "#"


def test_a_custom_finishing_key():
    app, caller = ring({"/voice": '<Gather action="/code" finishOnKey="*"/>', "/code": "<Hangup/>"})
    caller.press("9#9*")
    assert app.requests[-1]["Digits"] == "9#9"
    assert app.requests[-1]["FinishedOnKey"] == "*"


def test_silence_falls_through_to_the_next_verb():
    app, caller = ring({"/voice": GATHER})
    caller.silence()
    assert caller.heard("Nothing?")
    assert caller.end_reason == "end of document"
    assert [r["path"] for r in app.requests] == ["/voice"]


def test_silence_posts_to_the_action_with_action_on_empty_result():
    documents = {"/voice": '<Gather action="/code" actionOnEmptyResult="true"/>', "/code": "<Say>Empty.</Say>"}
    app, caller = ring(documents)
    caller.silence()
    assert app.requests[-1]["path"] == "/code"
    assert app.requests[-1]["Digits"] == ""
    assert caller.heard("Empty.")


def test_the_default_gather_action_is_the_current_document():
    app, caller = ring({"/menu": "<Gather numDigits='1'/>"}, url="https://ivr.example.com/menu?step=2")
    caller.press("5")
    assert app.requests[-1]["path"] == "/menu"
    assert app.requests[-1]["step"] == "2"
    assert app.requests[-1]["Digits"] == "5"


def test_relative_urls_resolve_against_the_current_document():
    documents = {"/ivr/start": "<Redirect>next</Redirect>", "/ivr/next": "<Say>Next.</Say>"}
    app, caller = ring(documents, url="https://ivr.example.com/ivr/start")
    assert [r["path"] for r in app.requests] == ["/ivr/start", "/ivr/next"]
    assert caller.heard("Next.")


def test_get_is_honoured_with_the_fields_in_the_signed_query():
    documents = {"/voice": '<Gather action="/code" method="GET" numDigits="1"/>', "/code": "<Hangup/>"}
    app, caller = ring(documents)
    caller.press("7")
    last = app.requests[-1]
    assert (last["method"], last["Digits"], last["From"], last["signed"]) == ("GET", "7", CALLER, True)


def test_speech_reaches_a_gather_that_listens_for_it():
    documents = {"/voice": '<Gather input="dtmf speech" action="/said"/>', "/said": "<Hangup/>"}
    app, caller = ring(documents)
    caller.speak("one two three")
    assert app.requests[-1]["SpeechResult"] == "one two three"
    assert "Digits" not in app.requests[-1]


def test_speech_at_a_keys_only_gather_is_silence():
    app, caller = ring({"/voice": GATHER})
    caller.speak("hello")
    assert caller.heard("Nothing?")


def test_dial_with_an_action_posts_the_dial_status():
    documents = {"/voice": '<Dial action="/after">+14155550100</Dial>', "/after": "<Say>Bye.</Say>"}
    app, caller = ring(documents)
    assert caller.dialed == ["+14155550100"]
    assert app.requests[-1]["DialCallStatus"] == "completed"
    assert caller.heard("Bye.")


def test_dial_targets_inside_number_elements():
    _, caller = ring({"/voice": "<Dial><Number>+14155550100</Number><Number>+14155550101</Number></Dial>"})
    assert caller.dialed == ["+14155550100", "+14155550101"]
    assert caller.end_reason == "end of document"


def test_a_numbers_url_is_fetched_on_the_agents_leg_as_a_whisper():
    documents = {
        "/voice": '<Dial><Number url="/whisper?v=1">+14155550100</Number></Dial>',
        "/whisper": '<Say voice="Polly.Joanna">Verified caller.</Say>',
    }
    app, caller = ring(documents)
    assert caller.dialed == ["+14155550100"]
    assert caller.agent_heard == ["Verified caller."]
    assert not caller.heard("Verified caller.")
    whisper = app.requests[-1]
    assert whisper["signed"] and whisper["path"] == "/whisper" and whisper["v"] == "1"
    assert whisper["ParentCallSid"] == caller.fields["CallSid"] != whisper["CallSid"]
    assert (whisper["To"], whisper["Direction"]) == ("+14155550100", "outbound-dial")
    assert 'Agent hears (Polly.Joanna, en-US): "Verified caller."' in caller.transcript()


def test_a_whisper_twilio_would_refuse_stops_the_call():
    documents = {"/voice": '<Dial><Number url="/whisper">+14155550100</Number></Dial>', "/whisper": ("no", 403)}
    with pytest.raises(CallError, match="whisper answered HTTP 403"):
        ring(documents)


def test_a_sip_uri_shows_its_headers_decoded():
    _, caller = ring({"/voice": "<Dial><Sip>sip:desk@pbx.example.com?X-A=approved&amp;X-B=a%26b%3Dc</Sip></Dial>"})
    assert caller.dialed == ["sip:desk@pbx.example.com"]
    dial = [event for event in caller.events if event.kind == "dial"][0]
    assert dial.attrs["headers"] == {"X-A": "approved", "X-B": "a&b=c"}
    assert "Dial: sip:desk@pbx.example.com\n   X-A: approved\n   X-B: a&b=c" in caller.transcript()


def test_a_client_shows_its_identity_and_parameters():
    document = '<Dial><Client><Identity>alice</Identity><Parameter name="status" value="approved"/></Client></Dial>'
    _, caller = ring({"/voice": document})
    assert caller.dialed == ["client:alice"]
    assert [event for event in caller.events if event.kind == "dial"][0].attrs["parameters"] == {"status": "approved"}


def test_an_enqueue_shows_its_workflow_and_task_attributes():
    document = '<Enqueue workflowSid="WW0"><Task>{"verification":{"status":"approved"}}</Task></Enqueue><Say>After.</Say>'
    _, caller = ring({"/voice": document})
    enqueued = [event for event in caller.events if event.kind == "enqueue"][0]
    assert (enqueued.text, enqueued.attrs["task"]) == ("WW0", '{"verification":{"status":"approved"}}')
    assert caller.heard("After.")  # once the task is done, the document goes on


def test_a_redirect_to_another_host_ends_the_call_clearly():
    _, caller = ring({"/voice": "<Redirect>https://other.example.com/ivr</Redirect><Say>Never.</Say>"})
    assert caller.ended
    assert caller.end_reason == "sent to another host, not followed: https://other.example.com/ivr"
    assert not caller.heard("Never.")


def test_a_loop_is_stopped_after_the_step_bound():
    with pytest.raises(CallError, match="did not end after 5 webhooks"):
        ring({"/voice": "<Redirect>/voice</Redirect>"}, max_webhooks=5)


@pytest.mark.parametrize(
    "answer, message",
    [
        (("oops", 500), "answered HTTP 500"),
        (("<html>hi</html>", {"Content-Type": "text/html"}), "not TwiML"),
        (("<Response><Sing/></Response>", {"Content-Type": "text/xml"}), "invalid TwiML: <Sing>"),
        (("<Response><Gather><Dial/></Gather></Response>", {"Content-Type": "text/xml"}), "invalid TwiML"),
    ],
)
def test_an_answer_twilio_would_refuse_stops_the_call(answer, message):
    with pytest.raises(CallError, match=message):
        ring({"/voice": answer})


def test_an_answer_twilio_would_refuse_mid_call_ends_it_with_a_completed_status_callback():
    app, caller = ring({"/voice": GATHER, "/code": ("oops", 500), "/status": ""}, status_callback="/status")
    with pytest.raises(CallError, match="answered HTTP 500"):
        caller.press("1234")
    assert caller.ended and caller.end_reason == "application error"
    assert (app.requests[-1]["path"], app.requests[-1]["CallStatus"]) == ("/status", "completed")


def test_hang_up_mid_gather_posts_a_signed_completed_status_callback():
    ticks = iter([100.0, 107.4])
    app, caller = ring({"/voice": GATHER, "/status": ""}, status_callback="/status", clock=lambda: next(ticks))
    caller.hang_up()
    status = app.requests[-1]
    assert caller.end_reason == "caller hung up"
    assert status["path"] == "/status" and status["method"] == "POST" and status["signed"]
    assert status["CallStatus"] == "completed"
    assert status["CallDuration"] == "8"
    assert status["CallSid"] == caller.fields["CallSid"] and status["From"] == CALLER
    assert status["CallbackSource"] == "call-progress-events"
    assert "Digits" not in status


def test_the_status_callback_also_follows_an_ivr_hangup():
    app, caller = ring({"/voice": "<Say>Bye.</Say><Hangup/>", "/status": ""}, status_callback="/status")
    assert caller.end_reason == "hangup"
    assert [r["path"] for r in app.requests] == ["/voice", "/status"]
    assert "Status callback -> POST https://ivr.example.com/status (200)" in caller.transcript()


def test_no_status_callback_unless_asked():
    app, caller = ring({"/voice": GATHER})
    caller.hang_up()
    assert [r["path"] for r in app.requests] == ["/voice"]


def test_an_ended_call_cannot_hang_up_or_press():
    _, caller = ring({"/voice": "<Hangup/>"})
    with pytest.raises(CallError, match="already ended"):
        caller.hang_up()
    with pytest.raises(CallError, match="has ended"):
        caller.press("1")


def test_the_transcript_reads_like_the_call():
    documents = {
        "/voice": '<Say voice="Polly.Joanna" language="en-US">Hello.</Say><Pause length="2"/>'
        '<Play>https://cdn.example.com/beep.mp3</Play>' + GATHER,
        "/code": "<Hangup/>",
    }
    _, caller = ring(documents)
    caller.press("1234")
    lines = [line for line in caller.transcript().splitlines() if not line.startswith("->")]
    assert lines == [
        'Say (Polly.Joanna, en-US): "Hello."',
        "Pause: 2 s",
        "Play: https://cdn.example.com/beep.mp3",
        'Say (default voice, en-US): "Enter four digits."',
        "Gather: listening for 4 digits, '#' to finish, 5 s timeout",
        "Caller: '1234'",
        "Call ended: hangup",
    ]


@pytest.mark.parametrize(
    "num_digits, heard",
    [("1", "listening for 1 digit,"), ("6", "listening for 6 digits,"), (None, "listening for any number of digits,")],
)
def test_the_gather_line_counts_digits_in_words(num_digits, heard):
    gather = f'<Gather action="/code" numDigits="{num_digits}"/>' if num_digits else '<Gather action="/code"/>'
    _, caller = ring({"/voice": gather})
    assert heard in caller.transcript()


@pytest.mark.parametrize(
    "script, steps",
    [
        ("123456", [Step("keys", "123456")]),
        ("000000,code", [Step("keys", "000000"), Step("code")]),
        (",,", [Step("keys", "")] * 3),
        ("*#, 12 34#", [Step("keys", "*#"), Step("keys", "1234#")]),
        ("say:one two three", [Step("speech", "one two three")]),
    ],
)
def test_a_script_reads_as_steps(script, steps):
    assert parse(script) == steps


@pytest.mark.parametrize("script", ["12a", "say:", "code please"])
def test_a_script_step_no_caller_could_do_is_refused(script):
    with pytest.raises(ScriptError):
        parse(script)


def test_a_caller_in_an_agents_conference_leaves_when_the_calls_api_moves_the_leg_and_comes_back():
    from app.twilio.standin import LocalVerify

    twilio = LocalVerify(on_send=None)
    app = toy_ivr({"/elsewhere": '<Gather action="/back" numDigits="1"><Say>Press 1.</Say></Gather>', "/back": "<Dial><Conference>support-42</Conference></Dial>"})
    caller = place_call(app, from_=CALLER, auth_token=TOKEN, conference="support-42", sms_source=twilio)
    assert caller.conference == "support-42" and not caller.ended
    assert twilio.live.calls[caller.fields["CallSid"]]["status"] == "in-progress"
    with pytest.raises(CallError, match="has not moved"):
        caller.follow_moves()
    twilio.live.moves.append((caller.fields["CallSid"], "https://ivr.example.com/elsewhere", "POST"))
    caller.follow_moves()
    assert caller.conference is None and caller.heard("Press 1.")
    caller.press("1")
    assert caller.conference == "support-42" and not caller.ended
    assert "Conference: caller leaves support-42; the agent stays on, alone" in caller.transcript()
    caller.hang_up()
    assert twilio.live.calls[caller.fields["CallSid"]]["status"] == "completed"
