"""The parent flow: greet the caller, run the verification on their number, act on the verdict."""

import logging
import re

from flask import Blueprint, abort, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from app.calls import account, verification
from app.calls.callback import place
from app.storage import records
from app.calls.prompts import say
from app.calls.security import logged_sid, twilio_request
from app.calls.twiml import fallback, next_step, twiml
from app.numbers import own_number

log = logging.getLogger(__name__)

bp = Blueprint("voice", __name__)

# Twilio's error codes are five digits; a longer run could be a phone number.
ERROR_CODE = re.compile(r"[0-9]{1,5}")


@bp.post("/voice")
@twilio_request
def incoming():
    """The number's "A call comes in" webhook."""
    if not request.form.get("CallSid"):
        abort(400, "CallSid is missing: this URL is for Twilio voice webhooks.")
    log.info("call %s: incoming", logged_sid())
    response = VoiceResponse()
    if current_app.config.get("VERIFY_BY", "caller_id") != "caller_id":
        return account.greet(response, return_to=url_for(".outcome"), may_call_back=True)
    say(response, "greeting")
    # `From` is the caller; `To` is this service's own Twilio number.
    verification.hand_over(response, own_number(request.form), return_to=url_for(".outcome"), may_call_back=True)
    return twiml(response)


@bp.post("/voice/outcome")
@twilio_request
def outcome():
    """Where the verification hands the call back."""
    result = verification.result()
    if not result.approved:
        return fallback(result.reason, result)
    response = VoiceResponse()
    say(response, "approved_account" if result.method == "account" else "approved", language=result.language)
    return twiml(next_step(response, result))


@bp.post("/voice/fallback")
@twilio_request
def primary_failed():
    """The number's "primary handler fails" webhook: apologise and follow the fallback."""
    log.warning(
        "call %s: Twilio used the fallback URL (error %s)",
        logged_sid(),
        _error_code(request.form.get("ErrorCode", "")),
    )
    return fallback("error")


def _error_code(value):
    """Twilio's error code as a log line may show it: digits only (never a number in its place), else '-'."""
    return value if ERROR_CODE.fullmatch(value) else "-"


@bp.post("/voice/status")
@twilio_request
def status():
    """The number's call status callback: a call that ends mid-verification is recorded as hung up.

    A call promised a callback is not: its verification goes on in the call placed back now.
    """
    call_sid = request.form.get("CallSid", "")
    if request.form.get("CallStatus") in records.CALL_ENDED and not place.call_ended(call_sid):
        records.broke_off(call_sid, "hung_up")
    return "", 204
