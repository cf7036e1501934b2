"""The verdict reaches whoever takes the call next, in the form each kind of destination understands."""

import dataclasses
import json
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from app.calls import verification
from app.calls.handoff.render import sip_headers, task_attributes
from app.calls.handoff.verdict import RISK_VALUES, Verdict
from app.calls.handoff import whisper
from app.calls.handoff.whisper import WHISPERS
from app.numbers import mask
from app.calls.prompts import PROMPTS
from app.simulator import validate
from app.storage.records import DOCUMENTED_ATTESTATIONS

KEY = "a-shared-secret-the-pbx-also-knows-0123456789"
AGENT = "+14155550123"
WORKFLOW = "WW" + "0123456789abcdef" * 2
DESTINATIONS = {
    "number": AGENT,
    "sip": "sip:desk@pbx.example.com;transport=tls",
    "client": "client:alice_agent",
    "flex": f"flex:{WORKFLOW}",
    "url": "https://menu.example.com/main?menu=2",
}


@pytest.fixture
def app_to(make_app):
    """An app whose verified and failed calls both go to one destination."""

    def build(destination, **settings):
        return make_app(SUCCESS_NEXT_STEP=destination, FAILURE_NEXT_STEP=destination, VERDICT_SIGNING_KEY=KEY, **settings)

    return build


def verified(call, app, **options):
    caller = call(target=app, **options)
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    return caller


def failed(call, app, **options):
    caller = call(target=app, **options)
    for wrong in ["000000", "111111", "222222"]:
        caller.press(wrong)
    assert caller.heard("the code was not right too many times")
    return caller


def last(caller, kind):
    return [event for event in caller.events if event.kind == kind][-1]


def claims(token, call_sid):
    """The token checked as the documentation tells a receiving system to check it."""
    verdict = jwt.decode(token, KEY, algorithms=["HS256"])
    assert verdict["call_sid"] == call_sid
    return verdict


def verdict_handed_on(caller, kind):
    """(status, reason, attestation) as the destination received them, its token checked where it has one."""
    sid = caller.fields["CallSid"]
    if kind == "number":
        return caller.agent_heard
    if kind == "sip":
        headers = last(caller, "dial").attrs["headers"]
        token = claims(headers["X-Verification-Token"], sid)
        assert (token["status"], token["reason"]) == (headers["X-Verification-Status"], headers["X-Verification-Reason"])
        return headers["X-Verification-Status"], headers["X-Verification-Reason"], headers.get("X-Verification-Attestation", "")
    if kind == "client":
        parameters = last(caller, "dial").attrs["parameters"]
        token = claims(parameters["verification_token"], sid)
        assert token["status"] == parameters["verification_status"]
        return parameters["verification_status"], parameters["verification_reason"], parameters.get("verification_attestation", "")
    if kind == "flex":
        attributes = json.loads(last(caller, "enqueue").attrs["task"])["verification"]
        assert attributes["call_sid"] == sid
        return attributes["status"], attributes["reason"], attributes["attestation"]
    url = caller.end_reason.removeprefix("sent to another host, not followed: ")
    token = claims(parse_qs(urlsplit(url).query)["verdict"][0], sid)
    return token["status"], token["reason"], token["attestation"]


@pytest.mark.parametrize("kind", ["sip", "client", "flex", "url"])
def test_a_verified_caller_is_handed_on_as_approved(app_to, call, kind):
    caller = verified(call, app_to(DESTINATIONS[kind]), params={"StirVerstat": "TN-Validation-Passed-A"})
    assert verdict_handed_on(caller, kind) == ("approved", "approved", "TN-Validation-Passed-A")


@pytest.mark.parametrize("kind", ["sip", "client", "flex", "url"])
def test_a_caller_who_failed_is_handed_on_as_failed_with_the_reason(app_to, call, kind):
    caller = failed(call, app_to(DESTINATIONS[kind]), params={"StirVerstat": "TN-Validation-Passed-B"})
    assert verdict_handed_on(caller, kind) == ("failed", "too_many_attempts", "TN-Validation-Passed-B")
    assert not caller.heard("call back later")


def test_the_agent_hears_a_verified_caller_announced_before_the_call_connects(app_to, call):
    caller = verified(call, app_to(AGENT))
    assert caller.dialed == [AGENT]
    assert caller.agent_heard == ["Verified caller."]
    assert not caller.heard("verified caller")  # the whisper is the agent's alone


def test_the_agent_hears_why_a_caller_is_not_verified(app_to, call):
    caller = failed(call, app_to(AGENT))
    assert caller.heard("please hold while we connect you to an agent")
    assert caller.agent_heard == ["Caller not verified: the code was wrong too many times."]


def test_the_whisper_speaks_the_configured_language(app_to, call):
    caller = call(target=app_to(AGENT, LANGUAGE="es-MX", VOICE="Polly.Mia"))
    caller.press(caller.last_code)
    assert caller.agent_heard == ["Cliente verificado."]
    assert last(caller, "whisper").attrs == {"voice": "Polly.Mia", "language": "es-MX"}


def test_a_failed_call_that_hangs_up_is_told_to_call_back(make_app, call):
    caller = failed(call, make_app())
    assert caller.heard("please call back later")
    assert caller.end_reason == "hangup"


def test_a_withheld_caller_reaches_the_pbx_as_failed_without_a_number(app_to, call):
    caller = call(target=app_to(DESTINATIONS["sip"]), from_="anonymous")
    headers = last(caller, "dial").attrs["headers"]
    assert (headers["X-Verification-Status"], headers["X-Verification-Reason"]) == ("failed", "withheld")
    assert claims(headers["X-Verification-Token"], caller.fields["CallSid"])["number_hash"] == ""


def test_the_token_carries_the_number_masked_and_hashed_never_in_full(app_to, call):
    caller = verified(call, app_to(DESTINATIONS["url"]))
    url = caller.end_reason.removeprefix("sent to another host, not followed: ")
    assert url.startswith("https://menu.example.com/main?menu=2&verdict=")
    token = parse_qs(urlsplit(url).query)["verdict"][0]
    verdict = claims(token, caller.fields["CallSid"])
    assert verdict["number"] == "+1•••••••71"
    assert len(verdict["number_hash"]) == 64
    assert verdict["method"] == "caller_id"
    assert verdict["exp"] - verdict["iat"] == 300
    assert "4155552671" not in json.dumps(verdict) and caller.last_code not in json.dumps(verdict)


def test_a_relative_url_on_this_host_gets_the_token_too(make_app, call):
    app = make_app(SUCCESS_NEXT_STEP="/menu", VERDICT_SIGNING_KEY=KEY)
    app.add_url_rule("/menu", "menu", lambda: ("<Response><Hangup/></Response>", {"Content-Type": "text/xml"}), methods=["POST"])
    caller = verified(call, app)
    redirect = [event.text for event in caller.events if event.kind == "redirect"][-1]
    token = parse_qs(urlsplit(redirect).query)["verdict"][0]
    assert claims(token, caller.fields["CallSid"])["status"] == "approved"


FORGED_STATES = [
    "https://ivr.example.com/voice/outcome",
    "https://ivr.example.com/voice/outcome?s=approved",
    "https://ivr.example.com/voice/outcome?s=gAAAAABforgedforgedforgedforged",
]


@pytest.mark.parametrize("kind", sorted(DESTINATIONS))
@pytest.mark.parametrize("url", FORGED_STATES)
def test_a_forged_verdict_is_never_handed_on_as_approved(app_to, call, kind, url):
    caller = call(target=app_to(DESTINATIONS[kind]), url=url)
    assert caller.heard("something went wrong on our side")
    handed_on = verdict_handed_on(caller, kind)
    if kind == "number":
        assert handed_on == ["Caller not verified: something went wrong on our side."]
    else:
        assert handed_on[:2] == ("failed", "error")


def test_an_approved_outcome_replayed_on_another_call_is_handed_on_as_failed(app_to, call):
    app = app_to(DESTINATIONS["sip"])
    outcome = [event.text for event in verified(call, app).events if event.kind == "webhook" and "/voice/outcome" in event.text]
    intruder = call(target=app, url=outcome[0])
    assert verdict_handed_on(intruder, "sip")[:2] == ("failed", "error")


# The longest values a verdict can hold: the longest reason, a 3-digit country code, and the
# longest attestation kept (any value Twilio does not document is handed on as "other").
LONGEST_REASON = "country_not_allowed"
WORST_ATTESTATION = max(sorted(DOCUMENTED_ATTESTATIONS), key=len)
ODD_ATTESTATION = "TN-Validation-Passed-A&X-Twilio-Evil=1?;<b>'\"%20\\é"


def worst_case(call, app, attestation=WORST_ATTESTATION):
    """A caller from Uzbekistan, a country not served: the longest reason, with the given StirVerstat."""
    caller = call(target=app, from_="+998901234567", params={"StirVerstat": attestation})
    assert caller.heard("not able to send a code to the number you are calling from")
    return caller


def answered(caller, tag):
    """The element of the last TwiML document answered, as Twilio parses it."""
    document = [event for event in caller.events if event.kind == "webhook"][-1].attrs["twiml"]
    return validate(document).find(f".//{tag}")


# Reasons only a verification by account ends with; tests/test_account.py measures those.
BY_ACCOUNT = {"no_account_number", "account_not_found", "account_unavailable", "account_locked", "phone_on_file_unusable"}


# Reasons only the risk checks end with; tests/test_risk_checks.py measures those.
RISK = {"landline", "line_type_not_supported", "sim_swapped", "lookup_unavailable"}


def test_the_longest_reason_is_the_one_measured():
    assert len(LONGEST_REASON) == max(len(reason) for reason in WHISPERS["en-US"]["reasons"] if reason not in BY_ACCOUNT | RISK)


def test_the_sip_header_part_stays_under_twilios_limit_with_the_longest_values(app_to, call):
    caller = worst_case(call, app_to(DESTINATIONS["sip"], ALLOWED_COUNTRIES="US"))
    uri = answered(caller, "Sip").text
    headers = uri.split("?", 1)[1]
    assert len(headers) < 1024  # Twilio warning 21227
    names = [pair.split("=", 1)[0] for pair in headers.split("&")]
    assert all(name.startswith("X-") and not name.lower().startswith("x-twilio") for name in names)
    assert last(caller, "dial").attrs["headers"]["X-Verification-Attestation"] == WORST_ATTESTATION


def test_the_task_attributes_stay_compact_with_the_longest_values(app_to, call):
    caller = worst_case(call, app_to(DESTINATIONS["flex"], ALLOWED_COUNTRIES="US"))
    attributes = answered(caller, "Task").text
    assert len(attributes) < 1024
    assert json.loads(attributes)["verification"]["attestation"] == WORST_ATTESTATION


def test_odd_characters_in_the_attestation_are_handed_on_as_other(app_to, call):
    caller = worst_case(call, app_to(DESTINATIONS["sip"], ALLOWED_COUNTRIES="US"), attestation=ODD_ATTESTATION)
    headers = last(caller, "dial").attrs["headers"]
    assert "X-Twilio-Evil" not in headers
    assert headers["X-Verification-Attestation"] == "other"
    assert verdict_handed_on(caller, "sip")[2] == "other"
    caller = worst_case(call, app_to(DESTINATIONS["flex"], ALLOWED_COUNTRIES="US"), attestation=ODD_ATTESTATION)
    assert json.loads(answered(caller, "Task").text)["verification"]["attestation"] == "other"
    caller = worst_case(call, app_to(DESTINATIONS["client"], ALLOWED_COUNTRIES="US"), attestation=ODD_ATTESTATION)
    assert last(caller, "dial").attrs["parameters"]["verification_attestation"] == "other"


@pytest.mark.parametrize("language", sorted(PROMPTS))
def test_every_failure_a_caller_can_hear_has_its_own_whisper_to_the_agent(language):
    # "failed:REASON", or "failed:REASON:named" for a number the flow or agent named.
    reasons = {key.split(":")[1] for key in PROMPTS[language] if key.startswith("failed:")}
    assert reasons <= set(WHISPERS[language]["reasons"])


def test_the_whisper_speaks_the_language_the_caller_chose(app_to, call):
    caller = call(target=app_to(AGENT, LANGUAGES="en-US,es-MX"))
    caller.press("2")
    caller.press(caller.last_code)
    assert caller.agent_heard == ["Cliente verificado."]
    assert last(caller, "whisper").attrs == {"voice": "Polly.Mia", "language": "es-MX"}



@pytest.mark.parametrize(
    "key, language, voice, whisper",
    [("2", "es-MX", "Polly.Mia", "Cliente verificado."), ("3", "fr-CA", "Polly.Chantal", "Appelant vérifié."),
     ("4", "pt-BR", "Polly.Camila", "Cliente verificado.")],
)
def test_the_whisper_speaks_each_language_a_caller_may_choose(app_to, call, key, language, voice, whisper):
    caller = call(target=app_to(AGENT, LANGUAGES="en-US,es-MX,fr-CA,pt-BR"))
    caller.press(key)
    caller.press("000000")
    caller.press("111111")
    caller.press("222222")
    assert caller.agent_heard == [WHISPERS[language]["failed"].format(reason=WHISPERS[language]["reasons"]["too_many_attempts"])]
    assert last(caller, "whisper").attrs == {"voice": voice, "language": language}
    caller = call(target=app_to(AGENT, LANGUAGES="en-US,es-MX,fr-CA,pt-BR"))
    caller.press(key)
    caller.press(caller.last_code)
    assert caller.agent_heard == [whisper]


@pytest.mark.parametrize("language", sorted(PROMPTS))
def test_every_whisper_phrase_exists_in_every_language(language):
    phrases = WHISPERS[language]
    assert (set(phrases), set(phrases["reasons"]), set(phrases["risks"])) == (
        set(WHISPERS["en-US"]), set(WHISPERS["en-US"]["reasons"]), set(WHISPERS["en-US"]["risks"]))


# What Lookup found about a risky line: an internet number, a recent SIM swap, forwarding on.
FOUND = {"line_type": "nonFixedVoip", "sim_swap": "recent", "forwarding": "on"}
# The reasons the risk checks and the callback end with.
RISK_REASONS = ("landline", "line_type_not_supported", "sim_swapped", "lookup_unavailable", "callback_unanswered")


@pytest.fixture
def looked_up(monkeypatch):
    """`looked_up(**facts)`: the subflow's verdicts carry these, as the risk checks leave them in the call's state."""

    def found(**facts):
        real = verification.result
        monkeypatch.setattr(verification, "result", lambda: dataclasses.replace(real(), **facts))

    return found


def risks_handed_on(caller, kind):
    """[the facts in the plain form, the facts in the token]: each as the destination received it."""
    sid = caller.fields["CallSid"]
    if kind == "sip":
        headers = last(caller, "dial").attrs["headers"]
        names = {"line_type": "X-Verification-Line-Type", "sim_swap": "X-Verification-Sim-Swap", "forwarding": "X-Verification-Forwarding"}
        plain, token = {name: headers.get(header) for name, header in names.items()}, claims(headers["X-Verification-Token"], sid)
    elif kind == "client":
        parameters = last(caller, "dial").attrs["parameters"]
        plain = {name: parameters.get(f"verification_{name}") for name in FOUND}
        token = claims(parameters["verification_token"], sid)
    elif kind == "flex":
        attributes = json.loads(last(caller, "enqueue").attrs["task"])["verification"]
        return [{name: attributes.get(name) for name in FOUND}]
    else:
        url = caller.end_reason.removeprefix("sent to another host, not followed: ")
        plain, token = None, claims(parse_qs(urlsplit(url).query)["verdict"][0], sid)
    return [facts for facts in (plain, {name: token.get(name) for name in FOUND}) if facts is not None]


@pytest.mark.parametrize("kind", ["sip", "client", "flex", "url"])
@pytest.mark.parametrize("outcome", [verified, failed])
def test_the_verdict_carries_the_risks_the_checks_found_to_every_destination(app_to, call, looked_up, kind, outcome):
    looked_up(**FOUND)
    caller = outcome(call, app_to(DESTINATIONS[kind]))
    assert all(facts == FOUND for facts in risks_handed_on(caller, kind))


@pytest.mark.parametrize("kind", ["sip", "client", "flex", "url"])
def test_a_risk_fact_of_no_known_value_is_handed_on_as_other(app_to, call, looked_up, kind):
    looked_up(line_type="satellite" * 20, sim_swap="recent&X-Twilio-Evil=1", forwarding="on")
    caller = verified(call, app_to(DESTINATIONS[kind]))
    assert all(facts == {"line_type": "other", "sim_swap": "other", "forwarding": "on"} for facts in risks_handed_on(caller, kind))


@pytest.mark.parametrize("kind", ["sip", "client", "flex", "url"])
def test_a_verdict_without_risk_checks_carries_no_risk(app_to, call, kind):
    caller = verified(call, app_to(DESTINATIONS[kind]))
    assert all(facts == dict.fromkeys(FOUND) for facts in risks_handed_on(caller, kind))


WHISPERED_RISKS = [
    pytest.param({"sim_swap": "recent", "line_type": "mobile", "forwarding": "off"},
                 "Verified caller. The SIM card was changed recently.",
                 "Cliente verificado. La tarjeta SIM se cambió recientemente.", id="sim-swap"),
    pytest.param({"forwarding": "on", "sim_swap": "none"},
                 "Verified caller. Calls to the line are being forwarded.",
                 "Cliente verificado. Las llamadas a la línea se están desviando.", id="forwarding"),
    pytest.param({"line_type": "nonFixedVoip"},
                 "Verified caller. The line is an internet phone number.",
                 "Cliente verificado. La línea es un número telefónico por internet.", id="internet-number"),
    pytest.param({"line_type": "unknown", "sim_swap": "unknown", "forwarding": "unknown"},
                 "Verified caller. Risk checks could not be made.",
                 "Cliente verificado. No se pudieron hacer las comprobaciones de riesgo.", id="lookup-failed"),
    pytest.param(FOUND,
                 "Verified caller. The SIM card was changed recently. Calls to the line are being forwarded. "
                 "The line is an internet phone number.",
                 "Cliente verificado. La tarjeta SIM se cambió recientemente. Las llamadas a la línea se están desviando. "
                 "La línea es un número telefónico por internet.", id="all-three"),
    pytest.param({"line_type": "mobile", "sim_swap": "none", "forwarding": "off"}, "Verified caller.", "Cliente verificado.",
                 id="no-risk"),
    pytest.param({"method": "callback"}, "Verified by calling back the caller's number.",
                 "Verificado al devolver la llamada al número del cliente.", id="callback"),
    pytest.param({"method": "callback", "account": "f" * 64}, "Verified by calling back the number on file.",
                 "Verificado al devolver la llamada al número registrado en la cuenta.", id="callback-by-account"),
]


@pytest.mark.parametrize("facts, english, spanish", WHISPERED_RISKS)
def test_the_agent_hears_each_flagged_risk_in_the_callers_language(app_to, call, looked_up, facts, english, spanish):
    looked_up(**facts)
    app = app_to(AGENT, LANGUAGES="en-US,es-MX")
    for key, whispered in (("1", english), ("2", spanish)):
        caller = call(target=app)
        caller.press(key)
        caller.press(caller.last_code)
        assert caller.agent_heard == [whispered]


def test_the_sip_header_part_fits_with_every_fact_at_its_longest():
    # Measured on the verdict itself: no one call has all of these (a refused line type has no code to check).
    reason = max([*WHISPERS["en-US"]["reasons"], *RISK_REASONS], key=len)
    verdict = Verdict("CA" + "f" * 32, "failed", reason, "caller_id", mask("+998901234567"), "f" * 64, WORST_ATTESTATION,
                      account="f" * 64, **{name: max(values, key=len) for name, values in RISK_VALUES.items()})
    assert len(sip_headers(verdict, KEY)) < 1024  # Twilio warning 21227
    assert len(task_attributes(verdict)) < 1024


@pytest.mark.parametrize("language, says", [("en-US", "Verified the number ending in 7 7."), ("es-MX", "Verificado el número que termina en 7 7.")])
def test_the_whisper_says_a_named_number_was_verified_not_the_caller(language, says):
    named = Verdict("CA" + "1" * 32, "approved", "approved", "named_number", "+1•••••••77", "", "")
    assert whisper._sentence(WHISPERS[language], named) == says
