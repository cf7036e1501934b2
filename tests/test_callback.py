"""A caller on a landline is called back at that number, and verified by pressing 1 on the call back."""

import pytest
from twilio.request_validator import RequestValidator

from app.calls import risk
from app.calls.handoff.whisper import WHISPERS
from app.simulator import CallError, place_call
from config import SettingsError
from tests.conftest import BACKENDS, CALLER, SERVICE_NUMBER
from tests.fakes import TIMEOUT

PBX = "sip:desk@pbx.example.com"
# What a server that calls landlines back must be given (it refuses to start without).
CALLING_BACK = {"CALLBACK": True, "RISK_CHECKS": "line_type", "ALLOWED_COUNTRIES": "US"}


@pytest.fixture
def landline(monkeypatch):
    """Lookup says every number is a landline (`forwarding` sets what it says of call forwarding)."""
    said = {"forwarding": ""}

    def assess(state):
        return state.but(line_type="landline", forwarding=said["forwarding"]), "landline"

    monkeypatch.setattr(risk, "assess", assess)
    monkeypatch.setattr(risk, "ask_ahead", lambda state, offered: None)  # its answer would not be used
    return said


@pytest.fixture
def callback_app(make_app, landline):
    return make_app(**CALLING_BACK, SUCCESS_NEXT_STEP=PBX)


def calls_placed(verify):
    """The Calls API requests the app made: (path, form)."""
    return [(path, form) for path, form in verify.requests if path.endswith("/Calls.json")]


def promised(call, app):
    """A landline caller who heard the callback promise; the call has ended."""
    caller = call(target=app)
    assert caller.heard("we will call this number back within a minute")
    assert caller.end_reason == "hangup"
    return caller


def answer(app, verify, answered_by="human"):
    """Twilio runs the callback it was asked to place: the callee picks up (or a machine does)."""
    placed = verify.calls[-1]
    fields = {"CallSid": placed["sid"], "Direction": "outbound-api", "AnsweredBy": answered_by}
    return place_call(app, from_=SERVICE_NUMBER, to=placed["form"]["To"], url=placed["form"]["Url"], params=fields)


def callback_status(app, verify, status):
    """The callback's own status callback, signed as Twilio signs it."""
    placed = verify.calls[-1]
    url = placed["form"]["StatusCallback"]
    fields = {"CallSid": placed["sid"], "AccountSid": "AC" + "0" * 32, "From": SERVICE_NUMBER, "To": CALLER,
              "Direction": "outbound-api", "CallStatus": status}
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, fields)
    return app.test_client().post(url, data=fields, headers={"X-Twilio-Signature": signature})


def test_a_landline_caller_hears_the_promise_and_no_code_is_sent(callback_app, call, verify, records):
    promised(call, callback_app)
    assert verify.sent == []
    assert calls_placed(verify) == []  # not before the call has ended
    assert records()[0]["outcome"] is None  # the verification goes on in the call back


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_ended_call_places_one_callback_with_twilios_parameters(callback_app, call, hang_up, verify):
    caller = promised(call, callback_app)
    assert hang_up(caller, target=callback_app).status_code == 204
    [(path, form)] = calls_placed(verify)
    assert path == f"/2010-04-01/Accounts/{'AC' + '0' * 32}/Calls.json"
    assert form["To"] == CALLER and form["From"] == SERVICE_NUMBER
    assert form["Url"].startswith("https://ivr.example.com/callback/answer?s=")
    assert form["StatusCallback"].startswith("https://ivr.example.com/callback/status?s=")
    assert (form["MachineDetection"], form["Method"], form["StatusCallbackMethod"]) == ("Enable", "POST", "POST")
    assert "StatusCallbackEvent" not in form  # Twilio's default: only the call's end
    assert CALLER not in form["Url"] and CALLER[1:] not in form["Url"]
    # Twilio repeats a status callback it thinks was lost: no second call.
    assert hang_up(caller, target=callback_app).status_code == 204
    assert len(calls_placed(verify)) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_answered_by_a_person_who_presses_1_is_verified_by_callback_with_a_verdict(callback_app, call, hang_up, verify, records):
    hang_up(promised(call, callback_app), target=callback_app)
    callee = answer(callback_app, verify)
    assert callee.heard("calling back to confirm this phone number")
    assert callee.heard("press 1")
    callee.press("1")
    assert callee.heard("your phone number is verified")
    headers = [event for event in callee.events if event.kind == "dial"][-1].attrs["headers"]
    assert (headers["X-Verification-Status"], headers["X-Verification-Method"]) == ("approved", "callback")
    [record] = records()
    assert (record["outcome"], record["reason"]) == ("approved", "approved")


@pytest.mark.parametrize("pressed", ["1", ""])
def test_the_callbacks_verdict_and_record_carry_what_lookup_said_and_the_method(make_app, call, hang_up, verify, records, pressed):
    app = make_app(**{**CALLING_BACK, "RISK_CHECKS": "line_type,sim_swap,call_forwarding"}, SUCCESS_NEXT_STEP=PBX, FAILURE_NEXT_STEP=PBX)
    verify.lookup.answer(CALLER, line_type="landline")
    hang_up(promised(call, app), target=app)
    callee = answer(app, verify)
    callee.press(pressed) if pressed else callee.silence()
    [record] = records()
    assert (record["method"], record["line_type"], record["sim_swap"], record["forwarding"]) == ("callback", "landline", "none", "off")
    if pressed:
        headers = [event for event in callee.events if event.kind == "dial"][-1].attrs["headers"]
        risks = [headers[f"X-Verification-{name}"] for name in ("Method", "Line-Type", "Sim-Swap", "Forwarding")]
        assert risks == ["callback", "landline", "none", "off"]
    else:
        assert record["reason"] == "callback_unanswered"


@pytest.mark.parametrize("answered_by", ["machine_start", "fax"])
def test_a_machine_hears_nothing_and_the_callback_is_unanswered(callback_app, call, hang_up, verify, records, answered_by):
    hang_up(promised(call, callback_app), target=callback_app)
    machine = answer(callback_app, verify, answered_by)
    assert machine.said_since_last_input() == [] and machine.end_reason == "hangup"
    assert (records()[0]["outcome"], records()[0]["reason"]) == ("failed", "callback_unanswered")


def test_no_key_is_unanswered(callback_app, call, hang_up, verify, records):
    hang_up(promised(call, callback_app), target=callback_app)
    callee = answer(callback_app, verify)
    callee.silence()
    assert callee.end_reason == "hangup"
    assert records()[0]["reason"] == "callback_unanswered"
    # Its status callback after that changes nothing.
    assert callback_status(callback_app, verify, "completed").status_code == 204
    assert records()[0]["reason"] == "callback_unanswered"


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_a_callback_not_answered_is_unanswered(callback_app, call, hang_up, verify, records, status):
    hang_up(promised(call, callback_app), target=callback_app)
    assert callback_status(callback_app, verify, status).status_code == 204
    assert (records()[0]["outcome"], records()[0]["reason"]) == ("failed", "callback_unanswered")


def test_a_press_after_the_call_back_ended_verifies_nothing(callback_app, call, hang_up, verify, records):
    hang_up(promised(call, callback_app), target=callback_app)
    callee = answer(callback_app, verify)
    callback_status(callback_app, verify, "no-answer")
    callee.press("1")
    assert not callee.heard("verified") and callee.end_reason == "hangup"
    assert records()[0]["reason"] == "callback_unanswered"


def test_an_agent_hears_why_an_unanswered_callback_failed():
    assert WHISPERS["en-US"]["reasons"]["callback_unanswered"] == "their landline was called back and nobody confirmed"
    assert "callback_unanswered" in WHISPERS["es-MX"]["reasons"]


def test_by_account_the_promise_names_the_phone_on_file_by_its_last_two_digits(make_app, landline, call):
    app = make_app(**CALLING_BACK, VERIFY_BY="account")
    assert app.test_cli_runner().invoke(args=["accounts", "add", "12345678", "+14155550106"]).exit_code == 0
    caller = call(target=app)
    caller.press("12345678#")
    assert caller.heard("the phone number on your account ending in 0 6")
    assert caller.heard("we will call that number back within a minute")


def test_in_spanish_the_promise_and_the_call_back_are_spoken_in_spanish(make_app, landline, call, hang_up, verify):
    app = make_app(**CALLING_BACK, LANGUAGE="es-MX")
    caller = call(target=app)
    assert caller.heard("le devolveremos la llamada a este número en menos de un minuto")
    hang_up(caller, target=app)
    assert answer(app, verify).heard("para confirmar este número de teléfono. Para continuar, oprima 1")


def test_no_callback_to_a_number_whose_calls_are_forwarded(callback_app, landline, call, hang_up, verify, records):
    landline["forwarding"] = "on"
    caller = call(target=callback_app)
    assert caller.heard("cannot send a text message to this phone line") and not caller.heard("call this number back")
    hang_up(caller, target=callback_app)
    assert calls_placed(verify) == []
    assert records()[0]["reason"] == "landline"
    landline["forwarding"] = "off"
    promised(call, callback_app)


def test_without_call_forwarding_in_risk_checks_the_callback_asks_it_and_rings_no_forwarded_number(callback_app, call, hang_up, verify, records):
    verify.lookup.answer(CALLER, line_type="landline", forwarding=True)
    hang_up(promised(call, callback_app), target=callback_app)  # RISK_CHECKS=line_type: nothing said of forwarding yet
    assert verify.lookup.requests == [(CALLER, "call_forwarding")]
    assert calls_placed(verify) == []
    assert (records()[0]["reason"], records()[0]["forwarding"]) == ("landline", "on")


def test_forwarding_turned_on_since_the_kept_answer_is_asked_afresh_before_the_callback(make_app, call, hang_up, verify, records):
    app = make_app(**{**CALLING_BACK, "RISK_CHECKS": "line_type,call_forwarding"})
    verify.lookup.answer(CALLER, line_type="landline")
    hang_up(promised(call, app), target=app)
    answer(app, verify).press("1")  # the genuine owner, called back
    verify.lookup.answer(CALLER, line_type="landline", forwarding=True)  # then a thief forwards the line

    hang_up(promised(call, app), target=app)  # the kept answer still says "not forwarded"

    assert [fields for _, fields in verify.lookup.requests] == ["line_type_intelligence,call_forwarding", "call_forwarding", "call_forwarding"]
    assert len(calls_placed(verify)) == 1
    assert sorted((record["reason"], record["forwarding"]) for record in records()) == [("approved", "off"), ("landline", "on")]


def test_a_callback_whose_forwarding_lookup_fails_is_not_placed(callback_app, call, hang_up, verify, records):
    verify.lookup.answer(CALLER, failure="timeout")
    hang_up(promised(call, callback_app), target=callback_app)
    assert calls_placed(verify) == []
    assert (records()[0]["reason"], records()[0]["forwarding"]) == ("lookup_unavailable", "unknown")


def test_with_callback_off_a_landline_goes_to_the_failure_step(make_app, landline, call, verify):
    caller = call(target=make_app())
    assert caller.heard("cannot send a text message to this phone line") and not caller.heard("call this number back")


def test_an_unanswered_callback_counts_towards_the_lockout(make_app, landline, call, hang_up, verify):
    app = make_app(**CALLING_BACK, LOCKOUT_MAX_FAILURES=1)
    hang_up(promised(call, app), target=app)
    answer(app, verify, "machine_start")
    caller = call(target=app)
    assert caller.heard("failed verification too many times")
    hang_up(caller, target=app)
    assert len(calls_placed(verify)) == 1


def test_a_callback_takes_a_place_under_the_hourly_cap(make_app, landline, call, hang_up, verify):
    app = make_app(**CALLING_BACK, MAX_SENDS_PER_HOUR=1)
    hang_up(promised(call, app), target=app)
    caller = call(target=app, from_="+14155552672")
    assert caller.heard("too many codes are being sent right now")
    hang_up(caller, target=app)
    assert len(calls_placed(verify)) == 1


def test_no_callback_to_a_country_not_served(make_app, landline, call):
    app = make_app(**CALLING_BACK)
    caller = call(target=app, from_="+442079460958")
    assert caller.heard("we are not able to send a code") and not caller.heard("call this number back")
    promised(call, app)


@pytest.mark.parametrize("backend", BACKENDS)
def test_at_most_one_callback_is_pending_per_number(callback_app, call, hang_up, verify):
    first = promised(call, callback_app)
    second = call(target=callback_app)  # while the first call has not ended
    assert not second.heard("call this number back")
    hang_up(first, target=callback_app)
    hang_up(second, target=callback_app)
    assert len(calls_placed(verify)) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_placed_callback_still_open_blocks_another_until_it_is_answered(callback_app, call, hang_up, verify):
    hang_up(promised(call, callback_app), target=callback_app)  # placed, ringing
    for _ in range(3):
        caller = call(target=callback_app)
        assert not caller.heard("call this number back")
        hang_up(caller, target=callback_app)
    assert len(calls_placed(verify)) == 1
    answer(callback_app, verify).press("1")
    hang_up(promised(call, callback_app), target=callback_app)  # the first is over: another may be promised
    assert len(calls_placed(verify)) == 2


def test_a_callback_twilio_refuses_is_recorded_and_places_nothing_more(callback_app, call, hang_up, verify, records):
    caller = promised(call, callback_app)
    verify.scripted["Calls.json"].append((400, {"code": 21215, "message": "Geo permission", "more_info": "", "status": 400}))
    hang_up(caller, target=callback_app)
    assert (records()[0]["outcome"], records()[0]["reason"]) == ("failed", "unavailable")
    hang_up(caller, target=callback_app)
    assert verify.calls == []


@pytest.fixture
def calls_time_out(verify, monkeypatch):
    """Twilio creates the call placed back, but its answer to the create never arrives (a read timeout)."""
    original = verify.request

    def created_then_lost(method, uri, *args, **kwargs):
        response = original(method, uri, *args, **kwargs)
        if uri.endswith("/Calls.json"):
            raise TIMEOUT
        return response

    monkeypatch.setattr(verify, "request", created_then_lost)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_callback_created_though_twilios_answer_was_lost_still_verifies_when_answered(callback_app, call, hang_up, verify, records, calls_time_out):
    caller = promised(call, callback_app)
    hang_up(caller, target=callback_app)
    assert records()[0]["outcome"] is None  # not "unavailable": the call may ring
    callee = answer(callback_app, verify)
    assert callee.heard("press 1")
    callee.press("1")
    assert callee.heard("your phone number is verified")
    assert (records()[0]["outcome"], records()[0]["method"]) == ("approved", "callback")


def test_a_callback_created_though_twilios_answer_was_lost_is_settled_by_its_own_status(callback_app, call, hang_up, verify, records, calls_time_out):
    hang_up(promised(call, callback_app), target=callback_app)
    assert callback_status(callback_app, verify, "no-answer").status_code == 204
    assert (records()[0]["outcome"], records()[0]["reason"]) == ("failed", "callback_unanswered")


def test_a_forged_callback_answer_hangs_up_and_records_nothing(callback_app, call, hang_up, verify, records):
    hang_up(promised(call, callback_app), target=callback_app)
    placed = verify.calls[-1]
    fields = {"CallSid": "CA" + "f" * 32, "Direction": "outbound-api", "AnsweredBy": "human"}
    stranger = place_call(callback_app, from_=SERVICE_NUMBER, to=CALLER, url=placed["form"]["Url"], params=fields)
    assert stranger.said_since_last_input() == [] and stranger.end_reason == "hangup"
    assert records()[0]["outcome"] is None


def test_the_simulator_plays_the_call_placed_back_as_twilio_does(callback_app, call, hang_up, verify, records):
    caller = promised(call, callback_app)
    with pytest.raises(CallError, match="the IVR placed no call"):
        caller.callback()  # nothing is placed before Twilio reports the call's end
    hang_up(caller, target=callback_app)
    callee = caller.callback()
    fields = callee.fields
    assert (fields["CallSid"], fields["From"], fields["To"]) == (verify.calls[-1]["sid"], SERVICE_NUMBER, CALLER)
    assert (fields["Direction"], fields["AnsweredBy"]) == ("outbound-api", "human")
    callee.press("1")
    assert callee.heard("your phone number is verified")
    [status] = [event for event in callee.events if event.kind == "status"]
    assert status.text.startswith("https://ivr.example.com/callback/status?s=") and status.attrs["status"] == 204
    assert verify.live.calls[fields["CallSid"]]["status"] == "completed"
    assert records()[0]["outcome"] == "approved"


def test_a_call_placed_back_nobody_answers_reports_no_answer(callback_app, call, hang_up, verify, records):
    caller = promised(call, callback_app)
    hang_up(caller, target=callback_app)
    callee = caller.callback(answered_by=None)
    assert callee.end_reason == "no answer" and callee.said_since_last_input() == []
    assert verify.live.calls[callee.fields["CallSid"]]["status"] == "no-answer"
    assert (records()[0]["outcome"], records()[0]["reason"]) == ("failed", "callback_unanswered")


def test_a_max_age_a_callback_could_outlive_is_refused_at_start(make_app):
    # The answer step's state is sealed as the callback is placed: 25 s of ringing, up to 30 s of
    # answering-machine detection, 14 s of question, 8 s to press 1, 10 s of margin.
    with pytest.raises(SettingsError, match=r"or to answer a callback: at least 87 for .*CALLBACK=on"):
        make_app(**CALLING_BACK, CALL_STATE_MAX_AGE=86, CODE_LENGTH=4, GATHER_TIMEOUT=3)
    assert make_app(**CALLING_BACK, CALL_STATE_MAX_AGE=87, CODE_LENGTH=4, GATHER_TIMEOUT=3).config["CALLBACK"]
    assert make_app(CALL_STATE_MAX_AGE=60, CODE_LENGTH=4, GATHER_TIMEOUT=3).config["CALL_STATE_MAX_AGE"] == 60  # no callback, no such wait
