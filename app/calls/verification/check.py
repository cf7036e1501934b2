"""The code: sent (or sent again), asked for, and checked; silences, resends and wrong codes bounded."""

import logging
import re

from flask import current_app, request
from twilio.twiml.voice_response import VoiceResponse

from app.calls import gathering, prompts
from app.calls.prompts import say
from app.calls.security import twilio_request
from app.calls.twiml import twiml
from app.calls.verification import bp, channels, finish, load_state, state_url, verify_service
from app.storage import database, records, sends
from app.twilio.verify import VerifyFailed

log = logging.getLogger(__name__)

# Verify codes are 4 to 10 ASCII digits; Verify, not this pattern, judges the length it sent.
CODE_PATTERN = re.compile(r"[0-9]{4,10}")

# By account, or to a number the flow or agent named, the code goes to another phone than the one called from: the prompt says which.
BY_METHOD = {"account": {"code_sent": "account_code_sent"}, "named_number": {"code_sent": "named_code_sent"}}


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
        approved = verify_service().check(state.verification_sid, digits, to=channels.recipient(state))
    except VerifyFailed as failure:
        if failure.reason == "expired" and _may_send_again(state):
            return send(state.but(resends=state.resends + 1), "expired_resent")
        return finish.end(state, failure.reason)
    if approved:
        return finish.end(state, "approved")
    return _wrong(state, "wrong_code")


def _silence(state, prompt="no_input"):
    """No code before the Gather timed out: ask again, a bounded number of times."""
    state = state.but(silences=state.silences + 1)
    if state.silences > current_app.config["MAX_SILENCES"]:
        return finish.end(state, "no_input")
    return ask(state, prompt)


def _resend(state):
    """The caller pressed '*': send the code again, if this call still may."""
    if _may_send_again(state):
        return send(state.but(resends=state.resends + 1), "resent")
    # No code keyed in: counted as a silence, so that pressing '*' forever ends the call. And no
    # new code is offered again, whether the call's resends or the hour's cap ran out.
    return _silence(state.but(resends=current_app.config["MAX_RESENDS"]), "no_more_resends")


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
        return finish.end(state, "too_many_attempts")
    records.progressed(state)
    return ask(state, *prompt)


def send(state, *prompt):
    """Ask Verify to send (or re-send) the code, then ask the caller for it."""
    locale = prompts.locale(state.language) if state.language else None
    try:
        sid = verify_service().send(channels.recipient(state), state.channel, locale)
    except VerifyFailed as failure:
        if failure.channel_refused:
            return channels.other_channel(state, failure.reason)  # the place taken goes to the next channel's send
        if failure.nothing_sent:
            sends.return_place(state.call_sid)  # Verify refused it: no code went, and none is counted
        return finish.end(state, failure.reason)
    return ask(state.but(verification_sid=sid), *prompt)


def ask(state, *prompt):
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
    domain = channels.spoken_domain(state, language)
    say(gather, *prompt, *enter, language=language, length=config["CODE_LENGTH"], ending=ending, domain=domain)
    response.redirect(action, method="POST")
    return twiml(response)
