"""Small helpers shared by the call's steps: the TwiML answer and where a call goes next."""

from flask import Response, current_app
from twilio.twiml.voice_response import VoiceResponse

from app.prompts import say


def twiml(response):
    """A Flask response carrying a TwiML document."""
    return Response(str(response), mimetype="text/xml")


def fallback(reason):
    """The answer for a call that failed: what went wrong, then an agent or goodbye."""
    response = VoiceResponse()
    number = current_app.config["FALLBACK_NUMBER"]
    say(response, f"failed:{reason}", "to_agent" if number else "call_back")
    if number:
        response.dial(number)
    else:
        response.hangup()
    return twiml(response)


def next_step(response):
    """After a successful verification: hang up, forward to a number, or go to another URL."""
    step = current_app.config["SUCCESS_NEXT_STEP"]
    if step.startswith("+"):
        response.dial(step)
    elif step.startswith(("https://", "http://", "/")):
        response.redirect(step, method="POST")
    else:
        say(response, "goodbye")
        response.hangup()
    return response
