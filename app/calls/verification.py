"""The verification subflow: send a code, gather it, check it, hand back a verdict.

A Blueprint any Flask IVR can mount, the code version of a Studio "Run Subflow" widget.
The parent hands a call over with `hand_over()` and reads the verdict with `result()` in the
step it named as `return_to`. The verdict travels encrypted and bound to the call's CallSid,
so a request can only carry "approved" if Verify approved a code on that very call.
"""

import dataclasses
import logging
import re

from blinker import Namespace
from flask import Blueprint, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from app import emails
from app.calls import callback, gathering, handoff, prompts, risk, stir
from app.storage import database, lockout, records, sends
from app.calls.callstate import BadState, CallState, StateCodec
from app.numbers import Unusable, countries, in_countries, mask, usable_number
from app.calls.prompts import say
from app.calls.security import logged_sid, twilio_request
from app.calls.twiml import fallback, twiml
from app.twilio.lookup import LookupService
from app.twilio.verify import VerifyFailed, VerifyService

log = logging.getLogger(__name__)

# Verify codes are 4 to 10 ASCII digits; Verify, not this pattern, judges the length it sent.
CODE_PATTERN = re.compile(r"[0-9]{4,10}")

# Seconds a menu (language, channel) waits for a key once it has been said; silence takes the first choice.
MENU_TIMEOUT = 4

# Seconds a Verify request may take when the host app does not say (well inside Twilio's 15 s).
DEFAULT_VERIFY_TIMEOUT = 5.0

bp = Blueprint("verification", __name__, url_prefix="/verification")

signals = Namespace()
# Sent once for each verification the subflow takes on (not for a replayed start).
started = signals.signal("verification-started")
# Sent with `outcome` (approved, failed) and `reason` (a verdict of Result) as a verification ends.
finished = signals.signal("verification-finished")
# By account, or to a number the flow or agent named, the code goes to another phone than the one called from: the prompt says which.
BY_METHOD = {"account": {"code_sent": "account_code_sent"}, "named_number": {"code_sent": "named_code_sent"}}
# By account, a phone on file no code can reach is the account's problem, told as such.
PHONE_UNUSABLE = {"withheld", "invalid_number", "undeliverable"}
# A phone that cannot take a text (Verify's 60205, the risk check's line type): by account, the
# code goes to the email on file instead, when CHANNELS has email and the callback is off.
NO_TEXT = {"undeliverable", "landline"}


@dataclasses.dataclass(frozen=True)
class Result:
    """The subflow's verdict: approved, or not with a reason."""

    approved: bool
    reason: str = ""
    # The number that was verified, in E.164 form; empty unless approved.
    destination: str = ""
    # The STIR/SHAKEN attestation the call arrived with (StirVerstat), empty when none.
    attestation: str = ""
    # How the caller was verified: caller_id, account, callback, or named_number (a number the flow or agent named).
    method: str = "caller_id"
    # The language the caller chose (empty: the configured one); later prompts speak it.
    language: str = ""
    # The account's keyed hash, by account; empty by caller ID.
    account: str = ""
    # Lookup's line type (mobile, landline, fixedVoip, nonFixedVoip, tollFree, …, unknown); "" if not looked up.
    line_type: str = ""
    # SIM swap: none, recent or unknown; "" if not looked up.
    sim_swap: str = ""
    # Call forwarding: on, off or unknown; "" if not looked up.
    forwarding: str = ""


def init_app(app, twilio_client):
    """Mount the subflow on an app that talks to Verify through `twilio_client`."""
    config = app.config
    # twilio-python waits forever by default; a hanging Verify must not hang the call.
    if twilio_client.http_client.timeout is None:
        twilio_client.http_client.timeout = config.get("VERIFY_TIMEOUT", DEFAULT_VERIFY_TIMEOUT)
    app.extensions["verification"] = {
        "codec": StateCodec(config["SECRET_KEY"], config["CALL_STATE_MAX_AGE"]),
        "verify": VerifyService(twilio_client, config["TWILIO_VERIFY_SERVICE_SID"]),
        "lookup": LookupService(twilio_client),
        "countries": countries(config.get("ALLOWED_COUNTRIES", "")),
        "languages": prompts.languages(config),
        "channels": tuple(part.strip() for part in config.get("CHANNELS", "sms").split(",")),
    }
    app.register_blueprint(bp)
    handoff.init_app(app)
    callback.init_app(app)


def hand_over(response, destination, return_to, channel=None, language=None, attestation=None, **fields):
    """Add to `response` the step that runs the subflow; it comes back to `return_to`.

    `attestation` is the StirVerstat the call arrived with, for a step after the first webhook
    (Twilio need not repeat it); else this webhook's. `fields` are more of the CallState's: by
    account, method, account, account_refundable, entries, entry_counted and email (the address on file).
    """
    # Without a channel or a language the caller picks one of CHANNELS / LANGUAGES, if there are several.
    languages = current_app.extensions["verification"]["languages"]
    state = CallState(
        call_sid=request.form.get("CallSid", ""),
        destination=destination,
        channel=channel or "",
        return_to=return_to,
        attestation=stir.attestation(request.form) if attestation is None else attestation,
        language=language or "",
        **fields,
    )
    offered = _offered(state)
    if not state.channel and len(offered) == 1:
        state = state.but(channel=offered[0])
    if language is None and len(languages) > 1:
        return language_menu(response, state_url("verification.choose_language", state))
    response.redirect(state_url("verification.start", state), method="POST")
    return response


def language_menu(response, action, *lead):
    """A Gather saying `lead`, then offering the other configured languages by key (2, 3…); silence keeps the first."""
    gather = response.gather(input="dtmf", num_digits=1, timeout=MENU_TIMEOUT, action=action, method="POST")
    if lead:
        say(gather, *lead)
    for digit, other in enumerate(current_app.extensions["verification"]["languages"][1:], start=2):
        say(gather, "offer_language", language=other, digit=digit)
    response.redirect(action, method="POST")
    return response


def result():
    """The verdict this request carries; a forged, stale or foreign one counts as a failure."""
    try:
        state = load_state()
    except BadState as error:
        log.warning("call %s: verdict refused: %s", logged_sid(), error)
        return Result(False, "error", attestation=stir.attestation(request.form))
    facts = {"attestation": state.attestation, "method": state.method, "account": state.account, "language": state.language}
    facts.update(line_type=state.line_type, sim_swap=state.sim_swap, forwarding=state.forwarding)
    if state.result == "approved":
        return Result(True, destination=state.destination, **facts)
    return Result(False, state.result or "error", **facts)


@bp.post("/start")
@twilio_request
def start():
    """First step: check the destination, send the code, ask for it."""
    return _begin(load_state())


@bp.post("/language")
@twilio_request
def choose_language():
    """The language menu's answer (a key, or silence for the default); then the first step."""
    state = load_state()
    return _begin(state.but(language=chosen(current_app.extensions["verification"]["languages"])))


@bp.post("/channel")
@twilio_request
def choose_channel():
    """The channel menu's answer (a key, or silence for the first offered); then the code is sent."""
    state = load_state()
    offered = _offered(state)
    if not offered:
        return _finish(state, "unavailable")
    state = state.but(channel=chosen(offered))
    if not state.tried:
        return _admit(state)
    # After a channel Verify refused: the call was recorded and counted before that first send.
    if not records.switched_channel(state):
        log.warning("call %s: channel choice replayed, no code sent", state.call_sid)
        return _ask(state, "code_sent")
    return _send(state, "code_sent")


def chosen(options):
    """The option whose number (from 1) the caller keyed; the first for silence or any other key."""
    keys = [str(number) for number in range(1, len(options) + 1)]
    digits = request.form.get("Digits", "").strip()
    return options[keys.index(digits)] if digits in keys else options[0]


def _offered(state):
    """The configured channels Verify has not refused on this call; email only to an account's address."""
    refused = state.tried.split(",")
    channels = current_app.extensions["verification"]["channels"]
    return [channel for channel in channels if channel not in refused and (channel != "email" or state.email)]


def _channel_menu(state, offered, *lead):
    """A Gather offering `offered` channels by key; silence takes the first."""
    action = state_url("verification.choose_channel", state.but(channel=""))
    response = VoiceResponse()
    gather = response.gather(input="dtmf", num_digits=1, timeout=MENU_TIMEOUT, action=action, method="POST")
    say(gather, *lead, "channel_menu", language=state.language)
    domain = _spoken_domain(state, state.language)
    for digit, channel in enumerate(offered, start=1):
        say(gather, f"choose:{channel}", language=state.language, digit=digit, domain=domain)
    response.redirect(action, method="POST")
    return twiml(response)


def _begin(state):
    """Check the destination and the call's attestation; then the channel menu, or the code."""
    # A call refused before its channel is chosen is recorded with the one it would have had.
    recorded = state if state.channel else state.but(channel=_offered(state)[0])
    try:
        destination = usable_number(state.destination)
    except Unusable as unusable:
        records.started(recorded)
        started.send()
        return _finish(state, unusable.reason)
    if not stir.admitted(state.attestation, current_app.config.get("STIR_POLICY", "record")):
        records.started(recorded)
        started.send()
        return _finish(state.but(destination=destination), "unattested")
    state = state.but(destination=destination)
    if not state.channel:
        return _channel_menu(state, _offered(state))
    return _admit(state)


def _admit(state):
    """Record the call and count it towards the lockout, check the number's risks, then send the code (if it may go)."""
    destination = state.destination
    with database.one_connection("record start", state.call_sid):
        if not records.started(state):
            # The same signed request again (Twilio's signature has no nonce): the same answer,
            # without a second code or a second count. Its check goes by number, having no SID.
            log.warning("call %s: verification start replayed, no code sent", state.call_sid)
            return _ask(state, "code_sent")
        started.send()
        counted = lockout.admit(destination, state.call_sid)
        if counted is None:
            refusal = "locked"
        else:
            state = state.but(refundable=counted)
            refusal = _refusal(state)
    if refusal:
        return _finish(state, refusal)
    state, refusal = risk.assess(state)
    if refusal == "landline" and current_app.config.get("CALLBACK"):
        offered = callback.offer(state)
        if offered:
            return offered
    if refusal:
        return _finish(state, refusal)
    log.info("call %s: sending a code by %s to %s", state.call_sid, state.channel, _shown(state))
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
    try:
        digits = gathering.entered(request.form)
    except gathering.NotUnderstood:
        return _wrong(state, "not_understood")
    if not digits:
        return _silence(state)
    if "*" in digits:
        return _resend(state)
    if not CODE_PATTERN.fullmatch(digits):
        return _wrong(state, "bad_format")
    # Verify may count this code whatever it answers, even a timeout: the call is never given back.
    state = state.but(refundable="", account_refundable="")
    try:
        approved = _verify().check(state.verification_sid, digits, to=_recipient(state))
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
    locale = prompts.LOCALES[state.language] if state.language else None
    try:
        sid = _verify().send(_recipient(state), state.channel, locale)
    except VerifyFailed as failure:
        if failure.channel_refused:
            return _other_channel(state, failure.reason)
        return _finish(state, failure.reason)
    return _ask(state.but(verification_sid=sid), *prompt)


def _recipient(state):
    """Verify's To: the email on file for the email channel, else the destination number."""
    return state.email if state.channel == "email" else state.destination


def _shown(state):
    """The recipient, masked for a log line."""
    return emails.mask(state.email) if state.channel == "email" else mask(state.destination)


def _spoken_domain(state, language):
    """The email on file's domain as the caller hears it ("example dot com"); empty without one."""
    return prompts.spoken_domain(state.email, language) if state.email else ""


def _email_instead(state, reason):
    """By account, a phone on file that cannot take a text: the code goes to the email on file; None if it may not."""
    config = current_app.config
    callback = config.get("CALLBACK") in (True, "on")
    if state.method != "account" or state.channel == "email" or callback or "email" not in _offered(state):
        return None
    # Every channel to the phone is out for the rest of the call: only the email is left to try.
    phone_channels = [channel for channel in current_app.extensions["verification"]["channels"] if channel != "email"]
    state = state.but(channel="email", tried=",".join(filter(None, [state.tried, *phone_channels])))
    log.info("call %s: the phone on file cannot take a text (%s); the code goes to %s", state.call_sid, reason, _shown(state))
    if not records.switched_channel(state):
        log.warning("call %s: switch to email replayed, no code sent", state.call_sid)
        return _ask(state, "code_sent")
    return _send(state, "phone_cannot_text", "code_sent")


def _other_channel(state, reason):
    """Verify refused the channel (60223): offer the others, or finish if none is left."""
    state = state.but(tried=",".join(filter(None, [state.tried, state.channel])))
    offered = _offered(state)
    if not offered:
        return _finish(state, reason)
    log.warning("call %s: Verify refused the %s channel; offering %s", state.call_sid, state.channel, ", ".join(offered))
    return _channel_menu(state, offered, f"channel_failed:{state.channel}")


def _ask(state, *prompt):
    """A Gather for the code; if it hears nothing, the Redirect after it reports the silence."""
    config = current_app.config
    action = state_url("verification.check", state)
    response = VoiceResponse()
    language = state.language or config["LANGUAGE"]
    gather = gathering.digits_gather(response, action, language, num_digits=config["CODE_LENGTH"])
    # What was sent says how: "a text message", "a WhatsApp message".
    if state.channel != "email":
        prompt = [BY_METHOD.get(state.method, {}).get(key, key) for key in prompt]
    prompt = [f"code_sent:{state.channel}" if key == "code_sent" and state.channel != "sms" else key for key in prompt]
    enter = ["enter_code:speech" if config.get("SPEECH_INPUT") else "enter_code"]
    if state.resends < config["MAX_RESENDS"]:
        enter.append("offer_resend")
    # The phone on file is told by its last two digits only, one by one: "ending in 0 6".
    ending = " ".join(state.destination[-2:])
    domain = _spoken_domain(state, language)
    say(gather, *prompt, *enter, language=language, length=config["CODE_LENGTH"], ending=ending, domain=domain)
    response.redirect(action, method="POST")
    return twiml(response)


def _finish(state, verdict):
    """Hand the call back to the parent's step, carrying the verdict (or, by account, try the email on file first)."""
    if verdict in NO_TEXT:
        instead = _email_instead(state, verdict)
        if instead is not None:
            return instead
    if state.method == "account" and verdict in PHONE_UNUSABLE:
        verdict = "phone_on_file_unusable"
    elif state.method == "account" and verdict == "locked":
        # The phone on file is locked out: to the caller, the account is.
        verdict = "account_locked"
    record_verdict(state, verdict)
    return hand_back(state.but(result=verdict))


def record_verdict(state, verdict):
    """Log, count and record how the verification of `state.call_sid` ended; settle its lockout counts."""
    outcome = "approved" if verdict == "approved" else "failed"
    log.info(
        "call %s: verification %s (attempts=%d silences=%d resends=%d)",
        state.call_sid,
        verdict if verdict == "approved" else f"failed: {verdict}",
        state.attempts + (verdict == "approved"),  # codes keyed in, as the record counts them
        state.silences,
        state.resends,
        extra={"outcome": outcome, "reason": verdict},
    )
    finished.send(outcome=outcome, reason=verdict)
    with database.one_connection("record finish", state.call_sid):
        records.finished(state, verdict)
        lockout.settle(state.destination, verdict, state.refundable, state.call_sid)
        if state.account:
            lockout.settle_key(state.account, verdict, state.account_refundable, state.call_sid)
        if verdict == "approved":
            lockout.give_back_entry(state.entries, state.entry_counted, state.call_sid)


def hand_back(state):
    """A redirect to the parent's step, carrying `state` with its verdict (`result`)."""
    response = VoiceResponse()
    token = _codec().dump(state)
    separator = "&" if "?" in state.return_to else "?"
    response.redirect(f"{state.return_to}{separator}s={token}", method="POST")
    return twiml(response)


@bp.errorhandler(BadState)
def _broken_state(error):
    """A step whose call state is forged, stale or from another call: apologise, fall back."""
    log.warning("call %s: %s on %s", logged_sid(), error, request.path)
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
