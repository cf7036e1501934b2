"""Risk checks before the first code: Lookup says what the line is, whether its SIM was swapped, whether it is forwarded."""

import datetime
import json

import pytest
import sqlalchemy

from app.simulator.engine import Call
from app.storage.tables import lookups
from tests import metering
from tests.conftest import CALLER, SERVICE_NUMBER
from tests.fakes import TIMEOUT, verify_error
from tests.test_account import ACCOUNT, ON_FILE, by_account  # noqa: F401 - a fixture
from tests.test_replays import Wiretap

ALL_CHECKS = "line_type,sim_swap,call_forwarding"


@pytest.fixture
def app(make_app):
    return make_app(RISK_CHECKS=ALL_CHECKS)


def lookup_answer(**packages):
    """A Lookup v2 answer with Twilio's shapes, carrying the packages given."""
    body = {
        "calling_country_code": "1", "country_code": "US", "phone_number": CALLER, "national_format": "(415) 555-2671",
        "valid": True, "validation_errors": [], "caller_name": None, "sim_swap": None, "call_forwarding": None,
        "line_status": None, "line_type_intelligence": None, "identity_match": None, "reassigned_number": None,
        "sms_pumping_risk": None, "phone_number_quality_score": None, "pre_fill": None,
        "url": f"https://lookups.twilio.com/v2/PhoneNumbers/{CALLER}",
    }  # fmt: skip
    body.update(packages)
    return 200, body


def test_a_mobile_caller_is_looked_up_once_then_texted_as_today(call, verify, records):
    caller = call()
    assert verify.lookup.requests == [(CALLER, "line_type_intelligence,sim_swap,call_forwarding")]
    assert caller.heard("sent a text message with a 6 digit code")
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    [record] = records()
    assert (record["line_type"], record["sim_swap"], record["forwarding"], record["method"]) == ("mobile", "none", "off", "caller_id")


def test_only_the_checks_asked_for_are_looked_up(make_app, call, verify, records):
    caller = call(target=make_app(RISK_CHECKS="line_type"))
    caller.press(caller.last_code)
    assert verify.lookup.requests == [(CALLER, "line_type_intelligence")]
    assert (records()[0]["line_type"], records()[0]["sim_swap"], records()[0]["forwarding"]) == ("mobile", None, None)


@pytest.mark.parametrize("line_type", ["landline", "fixedVoip"])
def test_a_landline_is_sent_no_text_and_told_why(call, verify, records, line_type):
    verify.lookup.answer(CALLER, line_type=line_type)
    caller = call()
    assert verify.sent == []
    assert caller.heard("We cannot send a text message to this phone line, so we cannot verify it this way.")
    assert (records()[0]["reason"], records()[0]["line_type"]) == ("landline", line_type)


@pytest.mark.parametrize("line_type", ["tollFree", "premium", "sharedCost", "uan", "voicemail", "pager"])
def test_a_number_no_caller_is_verified_on_is_sent_no_code(call, verify, records, line_type):
    verify.lookup.answer(CALLER, line_type=line_type)
    caller = call()
    assert verify.sent == []
    assert caller.heard("We cannot send a code to this kind of phone number.")
    assert records()[0]["reason"] == "line_type_not_supported"


@pytest.mark.parametrize("line_type", ["nonFixedVoip", "unknown", "personal"])
def test_other_line_types_go_on_and_are_recorded(call, verify, records, line_type):
    verify.lookup.answer(CALLER, line_type=line_type)
    caller = call()
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert records()[0]["line_type"] == line_type


def test_a_recent_sim_swap_gets_no_code_and_no_reason_a_thief_could_use(call, verify, records):
    verify.lookup.answer(CALLER, sim_swapped_hours=2)
    caller = call()
    assert verify.sent == []
    assert caller.heard("We cannot verify this phone right now.")
    assert not caller.heard("SIM")
    assert (records()[0]["reason"], records()[0]["sim_swap"]) == ("sim_swapped", "recent")


def test_a_swap_older_than_sim_swap_max_age_is_no_risk(make_app, call, verify, records):
    verify.lookup.answer(CALLER, sim_swapped_hours=30)
    caller = call(target=make_app(RISK_CHECKS=ALL_CHECKS, SIM_SWAP_MAX_AGE=24))
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert records()[0]["sim_swap"] == "none"


def test_with_sim_swap_policy_flag_a_recent_swap_is_verified_and_marked(make_app, call, verify, records):
    verify.lookup.answer(CALLER, sim_swapped_hours=2)
    caller = call(target=make_app(RISK_CHECKS=ALL_CHECKS, SIM_SWAP_POLICY="flag"))
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert (records()[0]["reason"], records()[0]["sim_swap"]) == ("approved", "recent")


def test_a_carrier_that_says_swapped_in_period_without_a_date_counts_as_a_recent_swap(make_app, call, verify, records):
    swapped = {"last_sim_swap_date": None, "swapped_period": "PT24H", "swapped_in_period": True}
    verify.script("lookup", lookup_answer(sim_swap={"last_sim_swap": swapped, "error_code": None}))
    call(target=make_app(RISK_CHECKS="sim_swap"))
    assert verify.sent == []
    assert records()[0]["reason"] == "sim_swapped"


def test_a_caller_who_hangs_up_after_the_code_leaves_the_risk_in_the_record(call, verify, records):
    verify.lookup.answer(CALLER, line_type="nonFixedVoip", forwarding=True)
    caller = call(status_callback="/voice/status")
    caller.hang_up()
    [record] = records()
    assert (record["reason"], record["line_type"], record["sim_swap"], record["forwarding"]) == ("hung_up", "nonFixedVoip", "none", "on")


def test_call_forwarding_is_recorded_and_the_code_still_goes(call, verify, records):
    verify.lookup.answer(CALLER, forwarding=True)
    caller = call()
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert records()[0]["forwarding"] == "on"


@pytest.mark.parametrize(
    "failure",
    [
        TIMEOUT,
        (500, {"code": 20500, "message": "Internal Server Error", "more_info": "", "status": 500}),
        verify_error(404, 20404),
        (200, "<html>not JSON</html>"),
        lookup_answer(line_type_intelligence={"type": None, "error_code": 60606}),
        lookup_answer(line_type_intelligence={"type": None, "error_code": 60607}),
        lookup_answer(),  # the packages asked for are missing: not covered
    ],
)
def test_a_failed_lookup_lets_the_code_go_by_default_with_the_risk_unknown(call, verify, records, failure):
    verify.script("lookup", failure)
    caller = call()
    caller.press(caller.last_code)
    assert caller.heard("verified")
    assert (records()[0]["line_type"], records()[0]["sim_swap"], records()[0]["forwarding"]) == ("unknown",) * 3


def test_with_risk_on_lookup_error_refuse_a_failed_lookup_sends_no_code(make_app, call, verify, records):
    verify.lookup.answer(CALLER, failure="timeout")
    caller = call(target=make_app(RISK_CHECKS=ALL_CHECKS, RISK_ON_LOOKUP_ERROR="refuse"))
    assert verify.sent == []
    assert caller.heard("We cannot verify your phone right now.")
    assert records()[0]["reason"] == "lookup_unavailable"


@pytest.mark.parametrize(
    "last_sim_swap",
    [
        {"last_sim_swap_date": None, "swapped_period": "PT24H", "swapped_in_period": None},  # the carrier has no data
        {"last_sim_swap_date": None, "swapped_period": "PT24H", "swapped_in_period": False},  # not for a whole SIM_SWAP_MAX_AGE
        {"last_sim_swap_date": None, "swapped_in_period": False},  # for no period it names
    ],
)
@pytest.mark.parametrize("policy", ["allow", "refuse"])
def test_a_carrier_that_cannot_vouch_for_the_whole_week_leaves_the_sim_swap_unknown(make_app, call, verify, records, last_sim_swap, policy):
    verify.script("lookup", lookup_answer(sim_swap={"last_sim_swap": last_sim_swap, "error_code": None}))
    caller = call(target=make_app(RISK_CHECKS="sim_swap", RISK_ON_LOOKUP_ERROR=policy))
    if policy == "allow":
        assert caller.heard("sent a text message")
        caller.press(caller.last_code)
        assert (records()[0]["reason"], records()[0]["sim_swap"]) == ("approved", "unknown")
    else:
        assert verify.sent == []
        assert caller.heard("We cannot verify your phone right now.")
        assert (records()[0]["reason"], records()[0]["sim_swap"]) == ("lookup_unavailable", "unknown")


def test_a_carrier_vouching_for_a_period_as_long_as_sim_swap_max_age_is_no_swap(make_app, call, verify, records):
    last_sim_swap = {"last_sim_swap_date": None, "swapped_period": "PT48H", "swapped_in_period": False}
    verify.script("lookup", lookup_answer(sim_swap={"last_sim_swap": last_sim_swap, "error_code": None}))
    caller = call(target=make_app(RISK_CHECKS="sim_swap", SIM_SWAP_MAX_AGE=48))
    caller.press(caller.last_code)
    assert (records()[0]["reason"], records()[0]["sim_swap"]) == ("approved", "none")


def test_three_calls_from_one_number_cost_one_lookup_of_the_line(make_app, call, verify, db):
    app = make_app(RISK_CHECKS="line_type,call_forwarding")
    for _ in range(3):
        caller = call(target=app)
        caller.press(caller.last_code)
        assert caller.heard("verified")
    assert len(verify.lookup.requests) == 1
    with db.connect() as connection:
        [row] = connection.execute(sqlalchemy.select(lookups)).mappings()
    assert CALLER not in row["facts"] and CALLER[-4:] not in row["facts"]


def test_a_sim_swapped_after_the_first_call_is_caught_on_the_next_within_the_hour(call, verify, records):
    caller = call()  # Lookup says no swap; the answer is kept
    caller.press(caller.last_code)
    assert caller.heard("verified")
    verify.lookup.answer(CALLER, sim_swapped_hours=0.2)  # the thief swaps the SIM, and calls

    thief = call()

    assert verify.lookup.requests[1:] == [(CALLER, "sim_swap")]  # the line type is kept, the SIM asked again
    assert len(verify.sent) == 1  # only the first call's code
    assert thief.heard("We cannot verify this phone right now.")
    assert sorted(record["reason"] for record in records()) == ["approved", "sim_swapped"]


def test_a_kept_recent_swap_still_refuses_without_a_lookup(call, verify, records):
    verify.lookup.answer(CALLER, sim_swapped_hours=0.5)
    for _ in range(2):
        assert call().heard("We cannot verify this phone right now.")
    assert len(verify.lookup.requests) == 1
    assert verify.sent == []


def test_a_sim_swap_answer_older_than_an_hour_is_asked_again_alone(call, verify, db):
    call()
    with db.begin() as connection:  # the answers were given 90 minutes ago
        facts = json.loads(connection.execute(sqlalchemy.select(lookups.c.facts)).scalar_one())
        for fact in facts.values():
            fact["at"] = (datetime.datetime.fromisoformat(fact["at"]) - datetime.timedelta(minutes=90)).isoformat()
        connection.execute(lookups.update().values(facts=json.dumps(facts)))
    verify.lookup.answer(CALLER, sim_swapped_hours=0.5)

    caller = call()

    assert verify.lookup.requests[1:] == [(CALLER, "sim_swap")]
    assert caller.heard("We cannot verify this phone right now.")


def test_without_a_database_lookup_is_asked_every_time(make_app, call, verify):
    from tests.test_database_down import CLOSED_PORT

    app = make_app(RISK_CHECKS=ALL_CHECKS, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/none")
    for _ in range(2):
        caller = call(target=app)
        assert caller.heard("sent a text message")
    assert len(verify.lookup.requests) == 2


def test_by_account_the_phone_on_file_is_looked_up(by_account, call, verify, records):  # noqa: F811
    verify.lookup.answer(ON_FILE, line_type="landline")
    caller = call(target=by_account(RISK_CHECKS=ALL_CHECKS))
    caller.press(ACCOUNT + "#")
    assert [number for number, _ in verify.lookup.requests] == [ON_FILE]
    assert verify.sent == []
    assert caller.heard("We cannot send a text message to this phone line")
    assert (records()[0]["reason"], records()[0]["method"]) == ("landline", "account")


def test_a_resend_and_a_replayed_start_look_nothing_up(app, verify):
    wire = Wiretap(app)
    caller = Call(wire, "https://ivr.example.com/voice", "test-auth-token", CALLER, SERVICE_NUMBER, sms_source=verify).start()
    caller.press("*#")
    assert caller.heard("We have sent the code again.")
    wire.replay("/verification/start")
    assert len(verify.lookup.requests) == 1
    assert len(verify.sent) == 2


def test_without_risk_checks_no_lookup_and_no_statement_more(make_app, call, verify, records):
    with metering.statements() as executed:
        caller = call(target=make_app())
    assert caller.heard("sent a text message")
    assert verify.lookup.requests == []
    assert not any("lookups" in statement for statement in executed)
    assert records()[0]["line_type"] is None


def test_lookups_and_cache_hits_are_counted_by_result(make_app, call, verify):
    from tests.test_metrics import TOKEN, figure

    app = make_app(RISK_CHECKS="line_type,call_forwarding", METRICS_TOKEN=TOKEN)
    counted = [("ivr_lookups_total", "answered"), ("ivr_lookups_total", "http_5xx"), ("ivr_lookup_cache_hits_total", None)]

    def figures():  # the process's figures, other tests' included
        return [figure(app, name, **({"result": result} if result else {})) for name, result in counted]

    before = figures()
    call(target=app)
    call(target=app)
    verify.lookup.answer("+14155550199", failure="server_error")
    call(target=app, from_="+14155550199")
    assert [after - then for after, then in zip(figures(), before)] == [1, 1, 1]


AGENT = "+14155550100"


@pytest.mark.parametrize(
    "answer, agent_hears",
    [
        ({"line_type": "landline"}, "Caller not verified: their line is a landline, which cannot receive text messages."),
        ({"line_type": "pager"}, "Caller not verified: their number is of a kind that cannot be verified."),
        ({"sim_swapped_hours": 1}, "Caller not verified: the SIM card of their number was changed recently."),
        ({"failure": "timeout"}, "Caller not verified: the risk checks on their number were unavailable."),
    ],
)
def test_an_agent_takes_the_refused_caller_and_hears_why(make_app, call, verify, answer, agent_hears):
    verify.lookup.answer(CALLER, **answer)
    app = make_app(RISK_CHECKS=ALL_CHECKS, RISK_ON_LOOKUP_ERROR="refuse", FAILURE_NEXT_STEP=AGENT)
    caller = call(target=app)
    assert caller.heard("please hold while we connect you to an agent")
    assert caller.agent_heard == [agent_hears]


def test_a_spanish_speaking_landline_caller_is_told_in_spanish(make_app, call, verify):
    verify.lookup.answer(CALLER, line_type="landline")
    caller = call(target=make_app(RISK_CHECKS="line_type", LANGUAGE="es-MX", VOICE="Polly.Mia"))
    assert caller.heard("No podemos enviar un mensaje de texto a esta línea telefónica")


def test_line_type_not_supported_is_the_longest_reason_the_one_measured_below():
    from app.calls.handoff.whisper import WHISPERS

    assert max(WHISPERS["en-US"]["reasons"], key=len) == "line_type_not_supported"


@pytest.mark.parametrize("method", ["caller_id", "account"])
def test_the_sip_headers_and_task_stay_under_twilios_limits_with_the_longest_reason(make_app, call, verify, method):
    from app.simulator import validate
    from tests.test_handoff import KEY, WORST_ATTESTATION

    for step in ("sip:desk@pbx.example.com;transport=tls", "flex:WW" + "0" * 32):
        app = make_app(RISK_CHECKS=ALL_CHECKS, VERIFY_BY=method, FAILURE_NEXT_STEP=step, VERDICT_SIGNING_KEY=KEY)
        assert app.test_cli_runner().invoke(args=["accounts", "add", ACCOUNT, ON_FILE]).exit_code == 0
        number = ON_FILE if method == "account" else CALLER
        verify.lookup.answer(number, line_type="sharedCost", sim_swapped_hours=1, forwarding=True)
        caller = call(target=app, params={"StirVerstat": WORST_ATTESTATION})
        if method == "account":
            caller.press(ACCOUNT + "#")
        root = validate([event for event in caller.events if event.kind == "webhook"][-1].attrs["twiml"])
        sip, task = root.find(".//Sip"), root.find(".//Task")
        measured = sip.text.split("?", 1)[1] if sip is not None else task.text
        assert "line_type_not_supported" in measured
        assert len(measured) < 1024
