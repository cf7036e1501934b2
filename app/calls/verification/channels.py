"""How the code goes: the channel menu, and the email on file instead of a phone no text reaches."""

import logging

from flask import current_app, request
from twilio.twiml.voice_response import VoiceResponse

from app import emails
from app.calls import prompts
from app.calls.prompts import say
from app.calls.security import twilio_request
from app.calls.twiml import twiml
from app.calls.verification import MENU_TIMEOUT, bp, check, finish, load_state, start, state_url
from app.numbers import mask
from app.storage import records

log = logging.getLogger(__name__)


@bp.post("/channel")
@twilio_request
def choose_channel():
    """The channel menu's answer (a key, or silence for the first offered); then the code is sent."""
    state = load_state()
    offered = available(state)
    if not offered:
        return finish.end(state, "unavailable")
    state = state.but(channel=chosen(offered))
    if not state.tried:
        return start.admit(state)
    # After a channel Verify refused: the call was recorded and counted before that first send.
    if not records.switched_channel(state):
        log.warning("call %s: channel choice replayed, no code sent", state.call_sid)
        return check.ask(state, "code_sent")
    return check.send(state, "code_sent")


def chosen(options):
    """The option whose number (from 1) the caller keyed; the first for silence or any other key."""
    keys = [str(number) for number in range(1, len(options) + 1)]
    digits = request.form.get("Digits", "").strip()
    return options[keys.index(digits)] if digits in keys else options[0]


def available(state):
    """The configured channels Verify has not refused on this call; email only to an account's address."""
    refused = state.tried.split(",")
    channels = current_app.extensions["verification"]["channels"]
    return [channel for channel in channels if channel not in refused and (channel != "email" or state.email)]


def menu(state, offered, *lead):
    """A Gather offering `offered` channels by key; silence takes the first."""
    action = state_url("verification.choose_channel", state.but(channel=""))
    response = VoiceResponse()
    gather = response.gather(input="dtmf", num_digits=1, timeout=MENU_TIMEOUT, action=action, method="POST")
    say(gather, *lead, "channel_menu", language=state.language)
    domain = spoken_domain(state, state.language)
    for digit, channel in enumerate(offered, start=1):
        say(gather, f"choose:{channel}", language=state.language, digit=digit, domain=domain)
    response.redirect(action, method="POST")
    return twiml(response)


def email_instead(state, reason):
    """By account, a phone on file that cannot take a text: the code goes to the email on file; None if it may not."""
    if state.method != "account" or state.channel == "email" or start.calls_back(state) or "email" not in available(state):
        return None
    # Every channel to the phone is out for the rest of the call: only the email is left to try.
    phone_channels = [channel for channel in current_app.extensions["verification"]["channels"] if channel != "email"]
    state = state.but(channel="email", tried=",".join(filter(None, [state.tried, *phone_channels])))
    log.info("call %s: the phone on file cannot take a text (%s); the code goes to %s", state.call_sid, reason, shown(state))
    if not records.switched_channel(state):
        log.warning("call %s: switch to email replayed, no code sent", state.call_sid)
        return check.ask(state, "code_sent")
    return check.send(state, "phone_cannot_text", "code_sent")


def other_channel(state, reason):
    """Verify refused the channel (60223): offer the others, or finish if none is left."""
    state = state.but(tried=",".join(filter(None, [state.tried, state.channel])))
    offered = available(state)
    if not offered:
        return finish.end(state, reason)
    log.warning("call %s: Verify refused the %s channel; offering %s", state.call_sid, state.channel, ", ".join(offered))
    return menu(state, offered, f"channel_failed:{state.channel}")


def recipient(state):
    """Verify's To: the email on file for the email channel, else the destination number."""
    return state.email if state.channel == "email" else state.destination


def shown(state):
    """The recipient, masked for a log line."""
    return emails.mask(state.email) if state.channel == "email" else mask(state.destination)


def spoken_domain(state, language):
    """The email on file's domain as the caller hears it ("example dot com"); empty without one."""
    return prompts.spoken_domain(state.email, language) if state.email else ""
