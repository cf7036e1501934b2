"""The promise to the caller on a landline: we will call this number back. Then the call ends."""

import logging

from flask import current_app, request
from twilio.twiml.voice_response import VoiceResponse

from app.calls.prompts import say
from app.calls.twiml import twiml
from app.numbers import mask
from app.storage import callbacks

log = logging.getLogger(__name__)


def offer(state):
    """The TwiML promising a callback to `state.destination`, recorded as pending; None if none may be placed.

    None when calls to the number are forwarded (the callback could ring whoever set that up),
    a callback to it is open already (promised, placed or ringing), or it cannot be recorded: the caller then gets the
    failure step, as with CALLBACK off.
    """
    if state.forwarding == "on":
        log.warning("call %s: no callback to %s: its calls are forwarded", state.call_sid, mask(state.destination))
        return None
    token = current_app.extensions["verification"]["codec"].dump(state)
    if not callbacks.promise(state.call_sid, state.destination, request.form.get("To", ""), token):
        log.warning("call %s: no callback to %s: one is open already, or none could be recorded", state.call_sid, mask(state.destination))
        return None
    log.info("call %s: callback to %s promised", state.call_sid, mask(state.destination))
    response = VoiceResponse()
    sentence = {"account": "callback_offer_account", "named_number": "callback_offer_named"}.get(state.method, "callback_offer")
    say(response, sentence, language=state.language or None, ending=" ".join(state.destination[-2:]))
    response.hangup()
    return twiml(response)
