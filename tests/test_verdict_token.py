"""A verdict token cannot be forged, kept past its expiry or used on another call: at the whisper and elsewhere."""

import base64
import dataclasses
import datetime
import json
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from flask import Flask, request
from twilio.request_validator import RequestValidator

from app.calls.handoff.verdict import LIFETIME, BadVerdict, Verdict, check, read, whisper_key
from app.simulator import validate
from config import TestConfig
from tests.conftest import CALLER

KEY = "a-shared-secret-the-other-ivr-also-knows-42"
AGENT = "+14155550123"
# The whisper's own key, which the app derives from its SECRET_KEY.
OWN = whisper_key({"SECRET_KEY": TestConfig.SECRET_KEY})
CALLER_LEG = "CA" + "c" * 32
AGENT_LEG = "CA" + "a" * 32


def verdict(status="approved", call_sid=CALLER_LEG):
    reason = "approved" if status == "approved" else "too_many_attempts"
    return Verdict(call_sid, status, reason, "caller_id", "+1•••••••71", "f" * 64, "TN-Validation-Passed-A")


@pytest.fixture
def app(make_app):
    return make_app(SUCCESS_NEXT_STEP=AGENT, FAILURE_NEXT_STEP=AGENT, VERDICT_SIGNING_KEY=KEY)


def whisper(app, token, parent=CALLER_LEG, agent_leg=AGENT_LEG, auth_token="test-auth-token"):
    """Twilio fetching the whisper on the agent's leg, signed as Twilio signs it."""
    url = f"https://ivr.example.com/handoff/whisper?v={token}"
    fields = {"CallSid": agent_leg, "ParentCallSid": parent, "From": CALLER, "To": AGENT, "Direction": "outbound-dial"}
    signature = RequestValidator(auth_token).compute_signature(url, fields)
    response = app.test_client().post(url, data=fields, headers={"X-Twilio-Signature": signature})
    return response


def agent_hears(response):
    assert response.status_code == 200
    root = validate(response.get_data(as_text=True))
    assert [verb.tag for verb in root] == ["Say"]  # no <Hangup>: the call still connects
    return root[0].text


def tampered(token, **claims):
    """The token with claims changed and its signature kept."""
    header, payload, signature = token.split(".")
    values = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = base64.urlsafe_b64encode(json.dumps({**values, **claims}).encode()).decode().rstrip("=")
    return f"{header}.{changed}.{signature}"


def test_the_whisper_announces_a_valid_verdict(app):
    own = app.extensions["handoff"]["whisper_key"]
    assert agent_hears(whisper(app, verdict().token(own))) == "Verified caller."
    assert agent_hears(whisper(app, verdict("failed").token(own))) == "Caller not verified: the code was wrong too many times."


def test_a_system_holding_the_shared_key_cannot_make_the_agent_hear_verified(app):
    # A PBX or IVR knows VERDICT_SIGNING_KEY; the whisper's token is signed with this server's own key.
    assert agent_hears(whisper(app, verdict().token(KEY))) == "Verification status unknown."


def test_a_verdict_made_to_live_longer_than_this_server_issues_is_refused(app):
    own = app.extensions["handoff"]["whisper_key"]
    claims = {**vars(verdict()), "iat": int(time.time()), "exp": int(time.time()) + 86400}
    assert agent_hears(whisper(app, jwt.encode(claims, own, algorithm="HS256"))) == "Verification status unknown."


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: verdict().token("another-key-that-is-also-long-enough!"), id="forged"),
        pytest.param(lambda: verdict().token(OWN, now=time.time() - LIFETIME - 1), id="expired"),
        pytest.param(lambda: verdict(call_sid="CA" + "9" * 32).token(OWN), id="another-call"),
        pytest.param(lambda: verdict(call_sid=AGENT_LEG).token(OWN), id="bound-to-the-agent-leg"),
        pytest.param(lambda: tampered(verdict("failed").token(OWN), status="approved"), id="tampered"),
        pytest.param(lambda: jwt.encode(vars(verdict()) | {"exp": time.time() + 60, "iat": time.time()}, None, algorithm="none"), id="unsigned"),
        pytest.param(lambda: "", id="missing"),
        pytest.param(lambda: "not.a.token", id="garbled"),
    ],
)
def test_a_bad_verdict_at_the_whisper_is_unknown_and_the_call_still_connects(app, token):
    assert agent_hears(whisper(app, token())) == "Verification status unknown."


def signed_claims(**changed):
    """A verdict's claims, signed with the whisper's own key, with some changed (None: left out)."""
    now = int(time.time())
    claims = {**vars(verdict()), "iat": now, "exp": now + 60} | changed
    return jwt.encode({name: value for name, value in claims.items() if value is not None}, OWN, algorithm="HS256")


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param({"exp": str(int(time.time()) + 60)}, id="string-exp"),
        pytest.param({"iat": str(int(time.time()))}, id="string-iat"),
        pytest.param({"exp": [int(time.time()) + 60]}, id="list-exp"),
        pytest.param({"status": ["approved"]}, id="list-status"),
        pytest.param({"call_sid": [CALLER_LEG]}, id="list-call-sid"),
        pytest.param({"account": ["f" * 64]}, id="list-account"),
        pytest.param({"exp": None}, id="missing-exp"),
        pytest.param({"iat": None}, id="missing-iat"),
        pytest.param({"status": None}, id="missing-status"),
        pytest.param({"call_sid": None}, id="missing-call-sid"),
    ],
)
def test_a_verdict_with_malformed_claims_is_a_bad_verdict_and_the_whisper_says_unknown(app, changed):
    token = signed_claims(**changed)
    with pytest.raises(BadVerdict):
        check(token, OWN)
    assert agent_hears(whisper(app, token)) == "Verification status unknown."


@pytest.mark.parametrize(
    "risk",
    [pytest.param({"sim_swap": ["recent"]}, id="list-sim-swap"), pytest.param({"line_type": 7}, id="number-line-type"),
     pytest.param({"forwarding": True}, id="boolean-forwarding"), pytest.param({"forwarding": None}, id="null-forwarding")],
)
def test_a_verdict_with_a_risk_claim_that_is_not_a_string_is_a_bad_verdict(app, risk):
    now = int(time.time())
    token = jwt.encode({**vars(verdict()), "iat": now, "exp": now + 60, **risk}, OWN, algorithm="HS256")
    with pytest.raises(BadVerdict, match="wrong shape"):
        check(token, OWN)
    assert agent_hears(whisper(app, token)) == "Verification status unknown."


def test_a_verdict_issued_before_the_risk_checks_existed_is_read_as_not_looked_up(app):
    # Tokens live LIFETIME seconds: those the previous release issued lack the risk claims.
    token = signed_claims(line_type=None, sim_swap=None, forwarding=None)
    assert {"line_type", "sim_swap", "forwarding"}.isdisjoint(jwt.decode(token, OWN, algorithms=["HS256"]))
    assert (read(token, OWN, CALLER_LEG).line_type, read(token, OWN, CALLER_LEG).sim_swap) == ("", "")
    assert agent_hears(whisper(app, token)) == "Verified caller."


def test_a_failure_that_names_the_risk_does_not_say_it_twice(app):
    failure = dataclasses.replace(verdict("failed"), reason="sim_swapped", sim_swap="recent", forwarding="on")
    said = agent_hears(whisper(app, failure.token(OWN)))
    assert said.startswith("Caller not verified") and said.endswith(". Calls to the line are being forwarded.")
    assert said.count("SIM card") == 1  # in the reason's words, not again as a risk


def test_the_whisper_without_twilios_signature_is_refused(app):
    url = f"/handoff/whisper?v={verdict().token(KEY)}"
    assert app.test_client().post(url, data={"CallSid": AGENT_LEG, "ParentCallSid": CALLER_LEG}).status_code == 403
    assert whisper(app, verdict().token(KEY), auth_token="not-the-token").status_code == 403


def test_the_whisper_of_a_real_call_names_the_callers_leg(app, call):
    caller = call(target=app)
    caller.press(caller.last_code)
    url = [event for event in caller.events if event.kind == "dial"][-1].attrs["url"]
    token = parse_qs(urlsplit(url).query)["v"][0]
    assert agent_hears(whisper(app, token, parent=caller.fields["CallSid"])) == "Verified caller."
    assert agent_hears(whisper(app, token, parent=CALLER_LEG)) == "Verification status unknown."


def receiving_ivr():
    """Another IVR taking the call from SUCCESS_NEXT_STEP, checking the verdict as the documentation shows."""
    menu = Flask("menu")

    @menu.post("/main")
    def main():
        try:
            claims = jwt.decode(request.args["verdict"], KEY, algorithms=["HS256"])  # signature and expiry
            if claims["call_sid"] != request.form["CallSid"]:  # issued for this very call
                raise jwt.InvalidTokenError("issued for another call")
        except (KeyError, jwt.InvalidTokenError):
            return "<Response><Say>Verification status unknown.</Say></Response>", {"Content-Type": "text/xml"}
        said = "Welcome back." if claims["status"] == "approved" else f"Not verified: {claims['reason']}."
        return f"<Response><Say>{said}</Say></Response>", {"Content-Type": "text/xml"}

    return menu


def hand_to(menu, url, fields):
    """Twilio following the redirect to the other IVR."""
    response = menu.test_client().post(url, base_url="https://menu.example.com", data=fields)
    return validate(response.get_data(as_text=True))[0].text


@pytest.fixture
def redirected(make_app, call):
    """A finished call whose next step is another IVR: (the URL it was sent to, the call)."""
    app = make_app(SUCCESS_NEXT_STEP="https://menu.example.com/main", FAILURE_NEXT_STEP="https://menu.example.com/main", VERDICT_SIGNING_KEY=KEY)

    def finish(keys):
        caller = call(target=app)
        for key in keys:
            caller.press(caller.last_code if key == "code" else key)
        return caller.end_reason.removeprefix("sent to another host, not followed: "), caller

    return finish


def test_the_receiving_ivr_trusts_a_valid_verdict(redirected):
    url, caller = redirected(["code"])
    assert hand_to(receiving_ivr(), url, caller.fields) == "Welcome back."
    url, caller = redirected(["000000", "111111", "222222"])
    assert hand_to(receiving_ivr(), url, caller.fields) == "Not verified: too_many_attempts."


def test_the_receiving_ivr_refuses_a_verdict_from_another_call(redirected):
    url, _ = redirected(["code"])
    _, other = redirected(["000000", "111111", "222222"])
    assert hand_to(receiving_ivr(), url, other.fields) == "Verification status unknown."


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: tampered(token, status="approved", reason="approved"),
        lambda token: jwt.encode(jwt.decode(token, options={"verify_signature": False}) | {"status": "approved"}, "guessed-key-guessed-key-guessed-key!", algorithm="HS256"),
    ],
    ids=["tampered", "signed-with-a-guessed-key"],
)
def test_the_receiving_ivr_refuses_a_forged_verdict(redirected, forge):
    url, caller = redirected(["000000", "111111", "222222"])
    token = parse_qs(urlsplit(url).query)["verdict"][0]
    forged = url.replace(token, forge(token))
    assert hand_to(receiving_ivr(), forged, caller.fields) == "Verification status unknown."


class Later(datetime.datetime):
    """The clock of a receiving system that takes the call up after the verdict's lifetime."""

    @classmethod
    def now(cls, tz=None):
        return datetime.datetime.now(tz) + datetime.timedelta(seconds=LIFETIME + 1)


def test_the_receiving_ivr_refuses_an_expired_verdict(redirected, monkeypatch):
    url, caller = redirected(["code"])
    assert hand_to(receiving_ivr(), url, caller.fields) == "Welcome back."
    monkeypatch.setattr("jwt.api_jwt.datetime", Later)
    assert hand_to(receiving_ivr(), url, caller.fields) == "Verification status unknown."


def decode(app, *args):
    return app.test_cli_runner().invoke(args=["verdict", "decode", *args])


def test_flask_verdict_decode_shows_the_claims_of_a_valid_token(app):
    result = decode(app, verdict().token(KEY), "--call-sid", CALLER_LEG)
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    for line in [f"call_sid {CALLER_LEG}", "status approved", "method caller_id", "number +1•••••••71",
                 "attestation TN-Validation-Passed-A"]:
        assert line in lines
    assert f"Valid, checked with VERDICT_SIGNING_KEY: signature and expiry hold; issued for {CALLER_LEG}." in result.output


def test_flask_verdict_decode_shows_the_risks_the_checks_found(app):
    risky = dataclasses.replace(verdict(), line_type="nonFixedVoip", sim_swap="recent", forwarding="off")
    result = decode(app, risky.token(KEY), "--call-sid", CALLER_LEG)
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert {"line_type nonFixedVoip", "sim_swap recent", "forwarding off"} <= set(lines)


@pytest.mark.parametrize(
    "token, args, problem",
    [
        (lambda: verdict().token("another-key-that-is-also-long-enough!"), [], "forged: not signed with this key"),
        (lambda: verdict().token(KEY, now=time.time() - LIFETIME - 1), [], "expired"),
        (lambda: verdict().token(KEY), ["--call-sid", AGENT_LEG], f"issued for another call ({CALLER_LEG})"),
    ],
    ids=["forged", "expired", "another-call"],
)
def test_flask_verdict_decode_says_why_a_token_is_refused(app, token, args, problem):
    result = decode(app, token(), *args)
    assert result.exit_code == 1
    assert "status approved" in " ".join(result.output.split())  # the claims are shown all the same
    assert f"Error: refused, checked with VERDICT_SIGNING_KEY: {problem}" in result.output


def test_flask_verdict_decode_of_something_else_is_one_line(app):
    result = decode(app, "X-Verification-Status=approved")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: not a JWT (DecodeError): copy the whole X-Verification-Token or verdict= value"
    ]
