"""Yardsticks: bare Flask apps that answer the silence hop's URL with a fixed TwiML document.

bench/server.py passes them the exact document the project answers (BENCH_BARE_TWIML), so that
they differ from the project only in what the project does around that answer.

- `app`: the bare app, returning the document and nothing else.
- `signed_app`: also reads Twilio's form and checks X-Twilio-Signature with twilio-python's
  RequestValidator as its documentation shows (`request.url`, both port variants), the least
  a webhook written the usual way does; it shows how much of the project's cost per request
  is that minimum.
- `lean_app`: reads the form and checks the signature once, as the project itself does
  (app.calls.security: the URL as it arrived, one computation). Nothing cheaper honours Twilio's
  contract without hand-written form parsing or signing.
"""

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from app.calls.security import Validator, signed_url

TWIML = os.environ.get("BENCH_BARE_TWIML", '<?xml version="1.0" encoding="UTF-8"?><Response />')

app = Flask(__name__)


@app.post("/verification/check")
def check():
    return Response(TWIML, mimetype="text/xml")


signed_app = Flask(__name__)
validator = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN", ""))


@signed_app.post("/verification/check")
def signed_check():
    if not validator.validate(request.url, request.form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    return Response(TWIML, mimetype="text/xml")


lean_app = Flask(__name__)
lean_app.config["PUBLIC_BASE_URL"] = ""  # what signed_url() reads: the URL as it arrived
lean_validator = Validator(os.environ.get("TWILIO_AUTH_TOKEN", ""))


@lean_app.post("/verification/check")
def lean_check():
    if not lean_validator.validate(signed_url(), request.form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    return Response(TWIML, mimetype="text/xml")
