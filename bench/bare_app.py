"""The yardstick: a bare Flask app that answers the silence hop's URL with a fixed TwiML document.

bench/server.py passes it the exact document the project answers (BENCH_BARE_TWIML), so that
the two apps differ only in what the project does around that answer.
"""

import os

from flask import Flask, Response

TWIML = os.environ.get("BENCH_BARE_TWIML", '<?xml version="1.0" encoding="UTF-8"?><Response />')

app = Flask(__name__)


@app.post("/verification/check")
def check():
    return Response(TWIML, mimetype="text/xml")
