"""The verification subflow: send a code, gather it, check it, hand back a verdict.

A Blueprint any Flask IVR can mount, the code version of a Studio "Run Subflow" widget.
The parent hands a call over with `hand_over()` and reads the verdict with `result()` in the
step it named as `return_to`. The verdict travels encrypted and bound to the call's CallSid,
so a request can only carry "approved" if Verify approved a code on that very call.
"""

import dataclasses
import logging
import re

from flask import Blueprint, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from app.calls import handoff, stir
from app.storage import database, lockout, records, sends
from app.calls.callstate import BadState, CallState, StateCodec
from app.numbers import Unusable, countries, in_countries, mask, usable_number
from app.calls.prompts import say
from app.calls.security import twilio_request
from app.calls.twiml import fallback, twiml
from app.twilio.verify import VerifyFailed, VerifyService

log = logging.getLogger(__name__)

# Verify codes are 4 to 10 ASCII digits; Verify, not this pattern, judges the length it sent.
CODE_PATTERN = re.compile(r"[0-9]{4,10}")

# Seconds a Verify request may take when the host app does not say (well inside Twilio's 15 s).
DEFAULT_VERIFY_TIMEOUT = 5.0

bp = Blueprint("verification", __name__, url_prefix="/verification")

# By account, the code goes to the phone on file, not the one called from.
BY_ACCOUNT = {"code_sent": "account_code_sent"}
# By account, a phone on file no code can reach is the account's problem, told as such.
PHONE_UNUSABLE = {"withheld", "invalid_number", "undeliverable"}


@dataclasses.dataclass(frozen=True)
class Result:
    """The subflow's verdict: approved, or not with a reason."""

    approved: bool
    reason: str = ""
    # The number that was verified, in E.164 form; empty unless approved.
    destination: str = ""
    # The STIR/SHAKEN attestation the call arrived with (StirVerstat), empty when none.
    attestation: str = ""
    # How the caller was verified: caller_id or account.
    method: str = "caller_id"
    # The account's keyed hash, by account; empty by caller ID.
    account: str = ""


def init_app(app, twilio_client):
    """Mount the subflow on an app that talks to Verify through `twilio_client`."""
    config = app.config
    # twilio-python waits forever by default; a hanging Verify must not hang the call.
    if twilio_client.http_client.timeout is None:
        twilio_client.http_client.timeout = config.get("VERIFY_TIMEOUT", DEFAULT_VERIFY_TIMEOUT)
    app.extensions["verification"] = {
        "codec": StateCodec(config["SECRET_KEY"], config["CALL_STATE_MAX_AGE"]),
        "verify": VerifyService(twilio_client, config["TWILIO_VERIFY_SERVICE_SID"]),
        "countries": countries(config.get("ALLOWED_COUNTRIES", "")),
    }
    app.register_blueprint(bp)
    handoff.init_app(app)


def hand_over(response, destination, return_to, channel="sms", **fields):
    """Add to `response` the step that runs the subflow; it comes back to `return_to`.

    `fields` are more of the CallState's: by account, method, account and account_refundable.
    """
    state = CallState(
        call_sid=request.form.get("CallSid", ""),
        destination=destination,
        channel=channel,
        return_to=return_to,
        attestation=stir.attestation(request.form),
        **fields,
    )
    response.redirect(state_url("verification.start", state), method="POST")
    return response


def result():
    """The verdict this request carries; a forged, stale or foreign one counts as a failure."""
    try:
        state = load_state()
    except BadState as error:
        log.warning("call %s: verdict refused: %s", request.form.get("CallSid", "-"), error)
        return Result(False, "error", attestation=stir.attestation(request.form))
    facts = {"attestation": state.attestation, "method": state.method, "account": state.account}
    if state.result == "approved":
        return Result(True, destination=state.destination, **facts)
    return Result(False, state.result or "error", **facts)


@bp.post("/start")
@twilio_request
def start():
    """First step: check the destination, send the code, ask for it."""
    state = load_state()
    try:
        destination = usable_number(state.destination)
    except Unusable as unusable:
        records.started(state)
        return _finish(state, unusable.reason)
    if not stir.admitted(state.attestation, current_app.config.get("STIR_POLICY", "record")):
        records.started(state)
        return _finish(state.but(destination=destination), "unattested")
    state = state.but(destination=destination)
    with database.one_connection("record start", state.call_sid):
        if not records.started(state):
            # The same signed request again (Twilio's signature has no nonce): the same answer,
            # without a second code or a second count. Its check goes by number, having no SID.
            log.warning("call %s: verification start replayed, no code sent", state.call_sid)
            return _ask(state, "code_sent")
        counted = lockout.admit(destination, state.call_sid)
        if counted is None:
            refusal = "locked"
        else:
            state = state.but(refundable=counted)
            refusal = _refusal(state)
    if refusal:
        return _finish(state, refusal)
    log.info("call %s: sending a code by %s to %s", state.call_sid, state.channel, mask(destination))
    return _send(state, "code_sent")


def _refusal(state):
    """Why no code may go to a number that is not locked out, or None: a country not served, the hourly cap."""
    if not in_countries(state.destination, current_app.extensions["verification"]["countries"]):
        return "country_not_allowed"
    if not sends.admit(state.call_sid):
        return "sends_capped"
    return None


@bp.post("/check")
@twilio_request
def check():
    """Every later step: the caller's keys, or the silence where they should be."""
    state = load_state()
    digits = request.form.get("Digits", "").strip()
    if not digits:
        return _silence(state)
    if "*" in digits:
        return _resend(state)
    if not CODE_PATTERN.fullmatch(digits):
        return _wrong(state, "bad_format")
    # Verify may count this code whatever it answers, even a timeout: the call is never given back.
    state = state.but(refundable="", account_refundable="")
    try:
        approved = _verify().check(state.verification_sid, digits, to=state.destination)
    except VerifyFailed as failure:
        if failure.reason == "expired" and _may_send_again(state):
            return _send(state.but(resends=state.resends + 1), "expired_resent")
        return _finish(state, failure.reason)
    if approved:
        return _finish(state, "approved")
    return _wrong(state, "wrong_code")


def _silence(state, prompt="no_input"):
    """No code before the Gather timed out: ask again, a bounded number of times."""
    state = state.but(silences=state.silences + 1)
    if state.silences > current_app.config["MAX_SILENCES"]:
        return _finish(state, "no_input")
    return _ask(state, prompt)


def _resend(state):
    """The caller pressed '*': send the code again, if this call still may."""
    if _may_send_again(state):
        return _send(state.but(resends=state.resends + 1), "resent")
    # No code keyed in: counted as a silence, so that pressing '*' forever ends the call.
    return _silence(state, "no_more_resends")


def _may_send_again(state):
    """True if the call has a resend left and takes it: counted on its record, then under the hourly cap.

    The record's count must advance, so a replayed request, or one for a call already over,
    sends nothing.
    """
    if state.resends >= current_app.config["MAX_RESENDS"]:
        return False
    with database.one_connection("record resend", state.call_sid):
        return records.resent(state.but(resends=state.resends + 1)) and sends.admit(state.call_sid)


def _wrong(state, *prompt):
    """A wrong or malformed code: say so and ask again, or give up after the last try."""
    state = state.but(attempts=state.attempts + 1)
    if state.attempts >= current_app.config["MAX_ATTEMPTS"]:
        return _finish(state, "too_many_attempts")
    records.progressed(state)
    return _ask(state, *prompt)


def _send(state, *prompt):
    """Ask Verify to send (or re-send) the code, then ask the caller for it."""
    try:
        sid = _verify().send(state.destination, state.channel)
    except VerifyFailed as failure:
        return _finish(state, failure.reason)
    return _ask(state.but(verification_sid=sid), *prompt)


def _ask(state, *prompt):
    """A Gather for the code; if it hears nothing, the Redirect after it reports the silence."""
    config = current_app.config
    action = state_url("verification.check", state)
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        num_digits=config["CODE_LENGTH"],
        finish_on_key="#",
        timeout=config["GATHER_TIMEOUT"],
        action=action,
        method="POST",
    )
    if state.method == "account":
        prompt = [BY_ACCOUNT.get(key, key) for key in prompt]
    # The phone on file is told by its last two digits only, one by one: "ending in 0 6".
    ending = " ".join(state.destination[-2:])
    say(gather, *prompt, "enter_code", length=config["CODE_LENGTH"], ending=ending)
    response.redirect(action, method="POST")
    return twiml(response)


def _finish(state, verdict):
    """Hand the call back to the parent's step, carrying the verdict."""
    if state.method == "account" and verdict in PHONE_UNUSABLE:
        verdict = "phone_on_file_unusable"
    elif state.method == "account" and verdict == "locked":
        # The phone on file is locked out: to the caller, the account is.
        verdict = "account_locked"
    log.info(
        "call %s: verification %s (attempts=%d silences=%d resends=%d)",
        state.call_sid,
        verdict if verdict == "approved" else f"failed: {verdict}",
        state.attempts,
        state.silences,
        state.resends,
    )
    with database.one_connection("record finish", state.call_sid):
        records.finished(state, verdict)
        lockout.settle(state.destination, verdict, state.refundable, state.call_sid)
        if state.account:
            lockout.settle_key(state.account, verdict, state.account_refundable, state.call_sid)
    response = VoiceResponse()
    token = _codec().dump(state.but(result=verdict))
    separator = "&" if "?" in state.return_to else "?"
    response.redirect(f"{state.return_to}{separator}s={token}", method="POST")
    return twiml(response)


@bp.errorhandler(BadState)
def _broken_state(error):
    """A step whose call state is forged, stale or from another call: apologise, fall back."""
    log.warning("call %s: %s on %s", request.form.get("CallSid", "-"), error, request.path)
    broken_off(request.form.get("CallSid", ""))
    return fallback("error")


def broken_off(call_sid):
    """A verification our side could not finish: recorded as an error.

    Its lockout count stands: once the call's state is lost, nothing proves that no code was checked.
    """
    records.broke_off(call_sid, "error")


def state_url(endpoint, state):
    """The URL of a step, carrying the call's state."""
    # The token is URL-safe as it is: appended, not re-encoded by url_for.
    return f"{url_for(endpoint)}?s={_codec().dump(state)}"


def load_state():
    """The call's state this request carries; BadState if forged, stale or another call's."""
    return _codec().load(request.args.get("s", ""), request.form.get("CallSid", ""))


def _codec():
    return current_app.extensions["verification"]["codec"]


def _verify():
    return current_app.extensions["verification"]["verify"]
