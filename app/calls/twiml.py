"""Small helpers shared by the call's steps: the TwiML answer and where a call goes next."""

from flask import Response
from twilio.twiml.voice_response import VoiceResponse

from app.calls import handoff
from app.calls.prompts import failure, say

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def twiml(response):
    """A Flask response carrying a TwiML document."""
    return Response(XML_DECLARATION + to_xml(response), mimetype="text/xml")


def to_xml(node):
    """The XML of a twilio-python TwiML object, as `str(node)` writes it but without ElementTree.

    twilio-python builds an ElementTree for every document and serialises it; writing the few
    elements of an IVR answer directly costs a fraction of that. The output is the same:
    attributes sorted by name, booleans as true/false, `<Verb />` when empty, text escaped as
    ElementTree escapes it (tests/test_twiml_render.py compares the two). One difference, in a
    case this app never writes: of two bare strings nested in a row, twilio-python keeps only
    the last, while this writes both.
    """
    attributes = "".join(
        f' {name}="{_escape_attribute(_attribute_text(node.attrs[name]))}"' for name in sorted(node.attrs)
    )
    content = _escape_text(node.value) if node.value else ""
    for child in node.verbs:
        content += _escape_text(child) if isinstance(child, str) else to_xml(child)
    if not content:
        return f"<{node.name}{attributes} />"
    return f"<{node.name}{attributes}>{content}</{node.name}>"


def _attribute_text(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


def _escape_text(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(text):
    text = _escape_text(text).replace('"', "&quot;")
    return text.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")


def fallback(reason, result=None):
    """The answer for a call that failed: what went wrong, then FAILURE_NEXT_STEP, told the verdict."""
    response = VoiceResponse()
    destination = handoff.next_step("failed")
    sentences = [failure(reason, result.method if result else "")]
    if destination.kind == "hangup":
        sentences.append("call_back")
    elif destination.to_agent:
        sentences.append("to_agent")
    say(response, *sentences, language=result.language if result else None, ending=" ".join(result.ending) if result else "")
    handoff.hand_on(response, destination, result, reason)
    return twiml(response)


def next_step(response, result):
    """After a successful verification: SUCCESS_NEXT_STEP, told the verdict."""
    destination = handoff.next_step("approved")
    if destination.kind == "hangup":
        say(response, "goodbye", language=result.language)
    return handoff.hand_on(response, destination, result)
