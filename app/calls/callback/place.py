"""Placing the callback: once the caller's call has ended, one outbound call to the number."""

import logging

from flask import current_app, url_for

from app.calls import security, verification
from app.calls.callstate import BadState
from app.numbers import mask
from app.storage import callbacks
from app.twilio import calls
from app.twilio.lookup import LookupFailed

log = logging.getLogger(__name__)


def call_ended(call_sid):
    """Place the callback promised to the call that has just ended; True if it was promised one (placed now or before).

    The move from pending to placed is one conditional UPDATE: a replayed status callback finds
    it placed and places nothing.
    """
    if not current_app.config.get("CALLBACK"):
        return False
    taken = callbacks.take(call_sid)
    if taken is None:
        return callbacks.promised(call_sid)
    token, called = taken
    codec = verification.codec()
    try:
        state = codec.load(token, call_sid)
    except BadState:
        log.warning("call %s: callback not placed: its state has expired", call_sid)
        callbacks.move(call_sid, ("placed",), "expired")
        return True
    state, refusal = _forwarding_now(state)
    if refusal:
        if callbacks.move(call_sid, ("placed",), "unanswered"):
            verification.record_verdict(state, refusal)
        return True
    # The answer step's state is fresh from now; it is bound to this call, whose callback it is.
    fresh = codec.dump(state)
    try:
        sid = calls.place(
            current_app.extensions["twilio_client"],
            to=state.destination,
            from_=called,
            url=_absolute("callback.answer", fresh, call_sid),
            status_callback=_absolute("callback.status", fresh, call_sid),
        )
    except calls.CallMayExist as failure:
        # Twilio may have created it: left placed, so that if it rings its answer step finds it (by
        # the parent's SID in its URL) and its own status callback settles it; if not, it expires.
        log.warning("call %s: callback to %s may or may not ring: %s", call_sid, mask(state.destination), failure)
        return True
    except calls.CallFailed as failure:
        log.warning("call %s: callback to %s not placed: %s", call_sid, mask(state.destination), failure)
        if callbacks.move(call_sid, ("placed",), "unanswered"):
            verification.record_verdict(state, "unavailable")
        return True
    callbacks.placed(call_sid, sid)
    log.info("call %s: callback %s placed to %s", call_sid, sid, mask(state.destination))
    return True


def _forwarding_now(state):
    """(state with Lookup's call forwarding as of now, refusal or None): no callback to a number whose calls are forwarded.

    Asked afresh for each callback, whatever RISK_CHECKS says and whatever answer is kept: forwarding
    turned on since could ring whoever turned it on. No answer, no callback.
    """
    try:
        forwarded = current_app.extensions["verification"]["lookup"].fetch(state.destination, ["call_forwarding"])["call_forwarding"]
    except LookupFailed as failure:
        log.warning("call %s: callback to %s not placed: its call forwarding is unknown (%s)", state.call_sid, mask(state.destination), failure.reason)
        return state.but(forwarding="unknown"), "lookup_unavailable"
    if forwarded:
        log.warning("call %s: callback to %s not placed: its calls are forwarded", state.call_sid, mask(state.destination))
        return state.but(forwarding="on"), "landline"
    return state.but(forwarding="off"), None


def _absolute(endpoint, token, call_sid):
    """The full URL of a callback step, which Twilio fetches for a call it places."""
    base = security.public_base()
    # The parent's SID too: a callback whose SID was never learnt (Twilio's answer lost) is still found by it.
    return f"{base}{url_for(endpoint)}?s={token}&p={call_sid}"
