"""The call placed back: whoever answers hears who calls and why, and presses 1 to be verified."""

import logging

from flask import Blueprint, Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from app.calls import verification
from app.calls.callstate import BadState
from app.calls.prompts import say
from app.calls.security import logged_sid, twilio_request
from app.calls.twiml import twiml
from app.storage import callbacks
from app.storage.records import CALL_ENDED

log = logging.getLogger(__name__)

bp = Blueprint("callback", __name__, url_prefix="/callback")

# Seconds the callee has to press 1 once asked.
KEY_TIMEOUT = 8
# What AnsweredBy says when a person may have answered; anything else (machine_start, fax) is a machine.
PERSON = {"human", "unknown", ""}


@bp.post("/answer")
@twilio_request
def answer():
    """The callback was answered: by a person, ask for 1; by a machine, hang up without a word."""
    parent, state = _load()
    answered_by = request.form.get("AnsweredBy", "")
    if answered_by not in PERSON:
        log.info("call %s: callback answered by %s", logged_sid(), answered_by)
        return _unanswered(parent, state)
    callbacks.move(parent, ("placed",), "answered")
    response = VoiceResponse()
    action = f"{url_for('.key')}?s={request.args['s']}"
    gather = response.gather(input="dtmf", num_digits=1, timeout=KEY_TIMEOUT, action=action, method="POST")
    say(gather, "callback_answered", language=state.language or None)
    response.redirect(action, method="POST")
    return twiml(response)


@bp.post("/answer/key")
@twilio_request
def key():
    """1: verified, and on to the parent's step like any verified call. Anything else, or silence: unanswered."""
    parent, state = _load()
    if request.form.get("Digits", "") != "1":
        return _unanswered(parent, state)
    if not callbacks.move(parent, callbacks.UNDER_WAY, "verified"):
        log.warning("call %s: callback key replayed or too late", logged_sid())
        return _hang_up()
    state = state.but(method="callback")
    verification.record_verdict(state, "approved")
    # From here the verdict is this call's, the one the caller answered.
    return verification.hand_back(state.but(call_sid=request.form["CallSid"], result="approved"))


@bp.post("/status")
@twilio_request
def status():
    """The callback's own status callback: one that ends unconfirmed (no answer, busy, failed, hung up) is unanswered."""
    if request.form.get("CallStatus") in CALL_ENDED:
        parent, state = _load()
        if callbacks.move(parent, callbacks.UNDER_WAY, "unanswered"):
            verification.record_verdict(state.but(method="callback"), "callback_unanswered")
            log.info("call %s: callback ended %s", logged_sid(), request.form.get("CallStatus"))
    return "", 204


def _load():
    """The inbound call this callback was placed for, and its state; BadState if none was placed as this call."""
    callback_sid = request.form.get("CallSid", "")
    parent = callbacks.parent_of(callback_sid) or callbacks.claim(request.args.get("p", ""), callback_sid)
    if parent is None:
        raise BadState("no callback was placed as this call")
    codec = verification.codec()
    return parent, codec.load(request.args.get("s", ""), parent)


def _unanswered(parent, state):
    """Recorded callback_unanswered (once), and the call hung up: no message is left on a machine."""
    if callbacks.move(parent, callbacks.UNDER_WAY, "unanswered"):
        verification.record_verdict(state.but(method="callback"), "callback_unanswered")
    return _hang_up()


def _hang_up():
    response = VoiceResponse()
    response.hangup()
    return twiml(response)


@bp.errorhandler(BadState)
def _broken_state(error):
    """A callback step whose state is forged, stale or not a callback's: hang up, nothing recorded."""
    log.warning("call %s: %s on %s", logged_sid(), error, request.path)
    if request.path.endswith("/status"):
        return Response(status=204)
    return _hang_up()
