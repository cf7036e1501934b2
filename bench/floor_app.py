"""The floor: the four webhooks of a verified call doing only what Twilio's contract and Verify demand.

Each webhook reads Twilio's form and checks its signature once (as bench/bare_app.py's
`lean_app`); /verification/start and /verification/check each make their one request to Verify
(the stand-in at BENCH_VERIFY_URL, through one urllib3 pool as the project's client does); every
answer is a fixed TwiML document, saying the project's own sentences. No call state, no records,
no lockout, no logging: what is left is gunicorn, Flask and the two requests, the least a Flask
app that sends the code while the caller waits pays on this server for a call.
`python -m bench.run --floor` runs the project's burst, then the same against this app.
"""

import json
import os

import urllib3
from flask import Flask, Response, abort, request

from app.calls.prompts import PROMPTS
from app.calls.security import Validator, signed_url

SERVICE = os.environ.get("TWILIO_VERIFY_SERVICE_SID", "VA" + "2" * 32)
AUTH = urllib3.make_headers(basic_auth=f"{os.environ.get('TWILIO_ACCOUNT_SID', '')}:{os.environ.get('TWILIO_AUTH_TOKEN', '')}")
VERIFY = os.environ.get("BENCH_VERIFY_URL", "").rstrip("/")
XML = '<?xml version="1.0" encoding="UTF-8"?><Response>{}</Response>'
SAY = {key: f"<Say>{text}</Say>" for key, text in PROMPTS["en-US"].items()}

app = Flask(__name__)
app.config["PUBLIC_BASE_URL"] = ""  # what signed_url() reads: the URL as it arrived
validator = Validator(os.environ.get("TWILIO_AUTH_TOKEN", ""))
pool = urllib3.PoolManager(maxsize=128, retries=False)


@app.before_request
def signed():
    if not validator.validate(signed_url(), request.form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)


def verify(path, fields):
    """Verify's answer; a 502 for the webhook (a call the burst counts as failed) if Verify refused."""
    answer = pool.request("POST", f"{VERIFY}/v2/Services/{SERVICE}/{path}", fields=fields, encode_multipart=False, headers=AUTH, timeout=5.0)
    if answer.status >= 400:
        abort(502)
    return json.loads(answer.data)


def twiml(body):
    return Response(XML.format(body), mimetype="text/xml")


@app.post("/voice")
def voice():
    return twiml(SAY["greeting"] + "<Redirect>/verification/start</Redirect>")


@app.post("/verification/start")
def start():
    verify("Verifications", {"To": request.form["From"], "Channel": "sms"})
    said = SAY["code_sent"].format(length=6) + SAY["enter_code"]
    return twiml(f'<Gather action="/verification/check" numDigits="6">{said}</Gather>')


@app.post("/verification/check")
def check():
    status = verify("VerificationCheck", {"To": request.form["From"], "Code": request.form.get("Digits", "")})["status"]
    return twiml("<Redirect>/voice/outcome</Redirect>" if status == "approved" else "<Hangup/>")


@app.post("/voice/outcome")
def outcome():
    return twiml(SAY["approved"] + "<Hangup/>")
