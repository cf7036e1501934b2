"""The first step: the number checked, the call recorded and counted, its risks looked up; then the code, or why not."""

import logging

from flask import current_app

from app.calls import callback, risk, stir
from app.calls.verification import bp, channels, check, finish, load_state, started
from app.calls.security import twilio_request
from app.numbers import Unusable, in_countries, usable_number
from app.storage import database, lockout, records, sends

log = logging.getLogger(__name__)


@bp.post("/start")
@twilio_request
def start():
    """First step: check the destination, send the code, ask for it."""
    return begin(load_state())


@bp.post("/language")
@twilio_request
def choose_language():
    """The language menu's answer (a key, or silence for the default); then the first step."""
    state = load_state()
    return begin(state.but(language=channels.chosen(current_app.extensions["verification"]["languages"])))


def begin(state):
    """Check the destination and the call's attestation; then the channel menu, or the code."""
    # A call refused before its channel is chosen is recorded with the one it would have had.
    recorded = state if state.channel else state.but(channel=channels.available(state)[0])
    try:
        destination = usable_number(state.destination)
    except Unusable as unusable:
        records.started(recorded)
        started.send()
        return finish.end(state, unusable.reason)
    if not stir.admitted(state.attestation, current_app.config.get("STIR_POLICY", "record")):
        records.started(recorded)
        started.send()
        return finish.end(state.but(destination=destination), "unattested")
    state = state.but(destination=destination)
    if not state.channel:
        return channels.menu(state, channels.available(state))
    return admit(state)


def admit(state):
    """Record the call and count it towards the lockout, check the number's risks, then send the code (if it may go)."""
    destination = state.destination
    with database.one_connection("record start", state.call_sid):
        if not records.started(state):
            # The same signed request again (Twilio's signature has no nonce): the same answer,
            # without a second code or a second count. Its check goes by number, having no SID.
            log.warning("call %s: verification start replayed, no code sent", state.call_sid)
            return check.ask(state, "code_sent")
        started.send()
        counted = lockout.admit(destination, state.call_sid)
        if counted is None:
            refusal = "locked"
        else:
            state = state.but(refundable=counted)
            refusal = over_limits(state)
    if refusal:
        return finish.end(state, refusal)
    state, refusal = risk.assess(state)
    if refusal == "landline" and calls_back(state):
        offered = callback.offer(state)
        if offered:
            return offered
    if refusal in finish.NO_TEXT:
        instead = channels.email_instead(state, refusal)
        if instead is not None:
            return instead  # the code goes by email, in the place taken for it
    if refusal:
        # No code goes: "codes sent" counts none. The place was taken before Lookup, so that past
        # the cap no Lookup is paid for either.
        sends.return_place(state.call_sid)
        return finish.end(state, refusal)
    log.info("call %s: sending a code by %s to %s", state.call_sid, state.channel, channels.shown(state))
    return check.send(state, "code_sent")


def calls_back(state):
    """True if a landline is called back: CALLBACK is on and the call came in where it may end with the promise."""
    return bool(current_app.config.get("CALLBACK")) and state.may_call_back


def over_limits(state):
    """Why no code may go to a number that is not locked out, or None: a country not served, the hourly cap."""
    if not in_countries(state.destination, current_app.extensions["verification"]["countries"]):
        return "country_not_allowed"
    if not sends.admit(state.call_sid):
        return "sends_capped"
    return None
