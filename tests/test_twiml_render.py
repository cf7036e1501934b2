"""The fast TwiML writer writes exactly what twilio-python's ElementTree rendering writes."""

import pytest
from twilio.twiml.voice_response import VoiceResponse

from app.calls.twiml import XML_DECLARATION, to_xml


def gather_document():
    response = VoiceResponse()
    gather = response.gather(input="dtmf", num_digits=6, finish_on_key="#", timeout=12, action="/check?s=a-b_c", method="POST")
    gather.say("Enter the code, then press pound.", voice="Polly.Joanna", language="en-US")
    response.redirect("/check?s=a-b_c", method="POST")
    return response


def odd_text_document():
    response = VoiceResponse()
    response.say('Tom & Jerry <say> "quoted" \'single\' é ñ 日本', voice="Polly.Lupe", language="es-MX")
    response.redirect('/x?a=1&b="2"<3>\r\n\tend', method="POST")
    response.pause(length=2)
    response.dial("+15005550006", record=True, timeout=30)
    response.hangup()
    return response


def nested_document():
    response = VoiceResponse()
    dial = response.dial(caller_id="+15005550006")
    dial.number("+15005550007", send_digits="ww1")
    response.say("")
    response.reject()
    return response


@pytest.mark.parametrize("build", [gather_document, odd_text_document, nested_document, VoiceResponse])
def test_same_xml_as_twilio_python(build):
    response = build()
    assert XML_DECLARATION + to_xml(response) == str(response)
