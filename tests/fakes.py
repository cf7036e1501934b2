"""Twilio faked at twilio-python's HttpClient seam, with Twilio's own JSON shapes."""

import collections
import json

import requests
from twilio.http.response import Response

from app.verify_standin import LocalVerify, _error


def verify_error(status, code, message="error from Verify"):
    """A Verify REST error, as Twilio writes it."""
    return _error(status, code, message)


class ScriptedVerify(LocalVerify):
    """The local Verify stand-in, except for answers a test scripts in advance.

    `script("send", ...)` / `script("check", ...)` queue an answer for the next send or check:
    a (status, body) pair, a raw (status, text) pair for non-JSON bodies, or an exception
    instance to raise as requests would (a timeout, a refused connection).
    """

    RESOURCES = {"send": "Verifications", "check": "VerificationCheck"}

    def __init__(self, **kwargs):
        kwargs.setdefault("on_send", None)
        super().__init__(**kwargs)
        self.scripted = collections.defaultdict(collections.deque)
        self.timeouts = []

    def script(self, action, *answers):
        self.scripted[self.RESOURCES[action]].extend(answers)
        return self

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        self.timeouts.append(timeout if timeout is not None else self.timeout)
        queue = self.scripted[uri.rsplit("/", 1)[-1]]
        if not queue:
            return super().request(method, uri, params, data, headers, auth, timeout, allow_redirects)
        answer = queue.popleft()
        self.requests.append((uri, dict(data or {})))
        if isinstance(answer, BaseException):
            raise answer
        status, body = answer
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(status, text, {"Content-Type": "application/json"})


TIMEOUT = requests.exceptions.ReadTimeout("read timed out")
REFUSED = requests.exceptions.ConnectionError("connection refused")
