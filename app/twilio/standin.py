"""A local stand-in for Twilio Verify (and Lookup, app/twilio/standin_lookup.py), plugged in at twilio-python's HttpClient seam.

It answers the two Verify requests the call makes with the JSON Twilio answers with, and keeps
Verify's rules where they matter to a call: a code lives 10 minutes, a resend inside that
window sends the same code, 5 sends per number per 10 minutes, 5 checks per verification, and
an approved, expired or exhausted verification is gone (20404). Used for development without a
Twilio account and by the tests; production refuses it.
"""

import json
import re
import secrets
import sys
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from twilio.http import HttpClient
from twilio.http.response import Response

from app import emails
from app.numbers import mask
from app.twilio.standin_calls import LocalCalls
from app.twilio.standin_lookup import LocalLookup

# What the app checks webhooks against when it runs on the stand-in without an account.
LOCAL_AUTH_TOKEN = "local-development-auth-token"
LOCAL_ACCOUNT_SID = "AC" + "0" * 32

CODE_LIFETIME = 600
MAX_SENDS = 5
MAX_CHECKS = 5

_ROUTE = re.compile(r"^/v2/Services/(VA[0-9a-fA-F]{32})/(Verifications|VerificationCheck)$")


# How the console names each channel's message.
CHANNEL_LABELS = {"sms": "SMS", "whatsapp": "WhatsApp", "call": "Voice call", "email": "Email"}


def sms_text(to, code, channel="sms", locale=""):
    """The message, as the transcripts and the console show it: its channel, and its locale if asked for."""
    label = CHANNEL_LABELS.get(channel, channel)
    shown = emails.mask(to) if channel == "email" else mask(to)
    return f"[{label} to {shown}{f', locale {locale}' if locale else ''}] Your verification code is {code}"


def print_sms(to, code, channel="sms", locale=""):
    """Show a 'sent' code on the console, labelled as what it is."""
    print(f"[local Verify stand-in] {sms_text(to, code, channel, locale)}", file=sys.stderr, flush=True)


class _Verification:
    """One pending verification."""

    def __init__(self, sid, to, channel, code, now):
        self.sid, self.to, self.channel, self.code = sid, to, channel, code
        self.created = now
        self.checks = 0
        self.sends = []


class LocalVerify(HttpClient):
    """Verify v2 in memory; pass it as `Client(http_client=LocalVerify())`."""

    def __init__(self, code_length=6, on_send=print_sms, clock=time.time):
        super().__init__(logger=None, is_async=False)
        self.code_length = code_length
        self.on_send = on_send
        self.clock = clock
        self.sent = []  # (to, code) in order, for `flask call` and the tests
        self.deliveries = []  # (to, code, channel, locale), the same sends with how they went
        self.requests = []  # (path, form) in order
        self._lock = threading.Lock()
        self._by_sid = {}
        self._by_to = {}
        self._send_times = {}
        # Lookup v2: `lookup.answer(number, …)` sets what it says of a number.
        self.lookup = LocalLookup(clock)
        self.live = LocalCalls()  # the Calls and Tasks APIs: calls in progress, calls placed, tasks

    @property
    def calls(self):
        """The calls placed through the Calls API (callbacks), in order, for the simulator to play."""
        return self.live.placed

    def last_code(self, to=None):
        """The code most recently sent (to one number, if given)."""
        for number, code in reversed(self.sent):
            if to is None or number == to:
                return code
        return None

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        """Answer one Verify, Lookup or Calls API request the way Twilio would."""
        url = urlsplit(uri)
        if url.hostname == self.lookup.HOST:
            status, body = self.lookup.handle(method, url.path, params)
            return Response(status, json.dumps(body), {"Content-Type": "application/json"})
        path = url.path
        # A field given several times (StatusCallbackEvent) stays a list.
        form = {key: value if isinstance(value, list) else str(value) for key, value in (data or params or {}).items()}
        status, body = self.handle(method, path, form)
        return Response(status, json.dumps(body), {"Content-Type": "application/json"})

    def handle(self, method, path, form):
        """(status, JSON body) for a request to a Verify, Calls or Tasks path."""
        with self._lock:
            self.requests.append((path, dict(form)))
            if answer := self.live.handle(method, path, form):
                return answer
            match = _ROUTE.match(path)
            if method.upper() != "POST" or not match:
                return error_body(404, 20404, f"The requested resource {path} was not found")
            service_sid, resource = match.groups()
            if resource == "Verifications":
                return self._create(service_sid, form)
            return self._check(service_sid, form)

    def _create(self, service_sid, form):
        to, channel = form.get("To", ""), form.get("Channel", "")
        if channel not in {"sms", "call", "whatsapp", "email"}:
            return error_body(400, 60200, "Invalid parameter `Channel`")
        if not (_is_email(to) if channel == "email" else re.fullmatch(r"\+[1-9][0-9]{6,14}", to)):
            return error_body(400, 60200, "Invalid parameter `To`")
        now = self.clock()
        recent = [t for t in self._send_times.get(to, []) if now - t < CODE_LIFETIME]
        if len(recent) >= MAX_SENDS:
            return error_body(429, 60203, "Max send attempts reached")
        self._send_times[to] = recent + [now]
        verification = self._live(self._by_to.get(to), now)
        if verification is None:
            code = self.new_code()
            verification = _Verification("VE" + secrets.token_hex(16), to, channel, code, now)
            self._by_sid[verification.sid] = verification
            self._by_to[to] = verification
        verification.sends.append({"channel": channel, "time": _iso(now)})
        locale = form.get("Locale", "")
        self.sent.append((to, verification.code))
        self.deliveries.append((to, verification.code, channel, locale))
        if self.on_send:
            self.on_send(to, verification.code, channel, locale)
        return 201, self._verification_json(service_sid, verification, "pending", now)

    def new_code(self):
        """A fresh random code of the configured length."""
        return "".join(secrets.choice("0123456789") for _ in range(self.code_length))

    def _check(self, service_sid, form):
        now = self.clock()
        if form.get("VerificationSid"):
            verification = self._by_sid.get(form["VerificationSid"])
        else:
            verification = self._by_to.get(form.get("To", ""))
        verification = self._live(verification, now)
        if verification is None:
            return error_body(404, 20404, f"The requested resource /Services/{service_sid}/VerificationCheck was not found")
        if verification.checks >= MAX_CHECKS:
            self._forget(verification)
            return error_body(429, 60202, "Max check attempts reached")
        verification.checks += 1
        if form.get("Code", "") == verification.code:
            self._forget(verification)
            return 200, self._check_json(service_sid, verification, "approved", now)
        return 200, self._check_json(service_sid, verification, "pending", now)

    def _live(self, verification, now):
        """The verification if it has not expired; an expired one is forgotten."""
        if verification is not None and now - verification.created >= CODE_LIFETIME:
            self._forget(verification)
            return None
        return verification

    def _forget(self, verification):
        self._by_sid.pop(verification.sid, None)
        if self._by_to.get(verification.to) is verification:
            del self._by_to[verification.to]

    def _common(self, service_sid, verification, status, now):
        return {
            "sid": verification.sid,
            "service_sid": service_sid,
            "account_sid": "AC" + "0" * 32,
            "to": verification.to,
            "channel": verification.channel,
            "status": status,
            "valid": status == "approved",
            "amount": None,
            "payee": None,
            "date_created": _iso(verification.created),
            "date_updated": _iso(now),
        }

    def _verification_json(self, service_sid, verification, status, now):
        return {
            **self._common(service_sid, verification, status, now),
            "lookup": {"carrier": None},
            "send_code_attempts": [
                {"attempt_sid": "VL" + secrets.token_hex(16), **attempt} for attempt in verification.sends
            ],
            "sna": None,
            "url": f"https://verify.twilio.com/v2/Services/{service_sid}/Verifications/{verification.sid}",
        }

    def _check_json(self, service_sid, verification, status, now):
        return {**self._common(service_sid, verification, status, now), "sna_attempts_error_codes": []}


def _is_email(to):
    try:
        return emails.usable(to) == to
    except ValueError:
        return False


def _iso(timestamp):
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_body(status, code, message):
    """A Twilio REST error body."""
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
