"""Yardsticks: bare Flask apps that answer the silence hop's URL with a fixed TwiML document.

bench/server.py passes them the exact document the project answers (BENCH_BARE_TWIML), so that
they differ from the project only in what the project does around that answer.

- `app`: the bare app, returning the document and nothing else.
- `signed_app`: also reads Twilio's form and checks X-Twilio-Signature with twilio-python's
  RequestValidator, the least any webhook must do; it shows how much of the project's cost
  per request is that minimum.
"""

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

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
