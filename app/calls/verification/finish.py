"""The end of a verification: its verdict logged, counted and recorded, and the call handed back to the parent."""

import logging

from flask import request
from twilio.twiml.voice_response import VoiceResponse

from app.calls.callstate import BadState
from app.calls.security import logged_sid
from app.calls.twiml import fallback, twiml
from app.calls.verification import bp, channels, codec, finished
from app.storage import database, lockout, records

log = logging.getLogger(__name__)

# By account, a phone on file no code can reach is the account's problem, told as such.
PHONE_UNUSABLE = {"withheld", "invalid_number", "undeliverable"}

# A phone that cannot take a text (Verify's 60205, the risk check's line type): by account, the
# code goes to the email on file instead, when CHANNELS has email and the callback is off.
NO_TEXT = {"undeliverable", "landline"}


def end(state, verdict):
    """Hand the call back to the parent's step, carrying the verdict (or, by account, try the email on file first)."""
    if verdict in NO_TEXT:
        instead = channels.email_instead(state, verdict)
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
    token = codec().dump(state)
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
