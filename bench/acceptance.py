"""The whole call, end to end, on the server as its Procfile starts it, with Verify simulated.

    make acceptance        # or: .venv/bin/python -m bench.acceptance [--latency 0.3]

Starts the Verify stand-in server (bench/fake_verify.py, every answer after `--latency`
seconds, scripted numbers for each Verify error and a hanging Verify) and gunicorn exactly as
the Procfile runs it, in the production configuration with Twilio credentials set (only
twilio-python's HTTP layer is pointed at the stand-in, by bench/served_wsgi.py). Then it places
calls over HTTP with the project's call engine, every webhook signed as Twilio signs it, down
every path a caller can take, from /voice, from a Studio flow's TwiML Redirect and from an
agent's conference by the API (the Calls and TaskRouter APIs and the notify receiver simulated too); restarts the server in the middle of a call; rings 40 callers at
once; restarts it with risk checks (Lookup simulated too, scripted per number) and CALLBACK=on,
and plays the callbacks it places; restarts it verifying by account, its accounts in a CRM
stand-in (bench/fake_crm.py), with risk checks and email; and finally reads the server's log
for codes, tokens, full phone numbers, email addresses and account numbers.

One line per check; exit status 1 if any check fails.
"""

import argparse
import asyncio
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import requests
from twilio.request_validator import RequestValidator

from app.calls.handoff.verdict import BadVerdict, read, signing_key
from app.calls.prompts import PROMPTS
from app.numbers import mask
from app.simulator import place_call
from app.simulator.engine import ACCOUNT_SID
from app.simulator.twiml_model import InvalidTwiML, validate
from bench.fake_crm import FakeCrm, phone_of
from bench.fake_verify import FakeVerifyServer, SCENARIOS
from bench.server import Server, free_port
from tests.fakes import FakeNotify

CODE = "123456"
SERVICE_NUMBER = "+15005550006"
EN = PROMPTS["en-US"]
WITHHELD = ["anonymous", "unknown", "restricted", "", "+266696687", "+7378742833", "+8656696", "+2562533", "+86282452253"]
NOT_A_NUMBER = ["12345", "+1555", "+999123456789"]
SEND_ERRORS = {
    "+15005550200": "failed:invalid_number",
    "+15005550205": "failed:undeliverable",
    "+15005550203": "failed:rate_limited",
    "+15005550212": "failed:rate_limited",
    "+15005550429": "failed:rate_limited",
    "+15005550410": "failed:blocked",
    "+15005550605": "failed:blocked",
    "+15005550223": "failed:unavailable",
    "+15005550003": "failed:unavailable",
    "+15005550500": "failed:unavailable",
    "+15005550502": "failed:unavailable",
    "+15005550999": "failed:unavailable",
}
CHECK_ERRORS = {
    "+15005551202": "failed:too_many_attempts",
    "+15005551404": "failed:expired",
    "+15005551429": "failed:rate_limited",
    "+15005551500": "failed:unavailable",
    "+15005551999": "failed:unavailable",
}
ROUTES = [
    "/voice",
    "/voice/outcome",
    "/voice/fallback",
    "/voice/status",
    "/verification/start",
    "/verification/check",
    "/studio/verify",
    "/studio/return",
]
TWILIO_WEBHOOK_LIMIT = 15.0
# Accounts the run by account verifies with risk checks and email: an address on file, a landline
# on file with an address, Lookup down, a SIM swapped (bench/fake_verify.py scripts their phones).
ACCOUNTS_WITH_RISKS = ["10009001", "10009206", "10008500", "10008207"]
# The success step of the run with risk checks: a SIP URI, so that the verdict rides along in its headers.
PBX = "sip:desk@pbx.example.com"


class Acceptance:
    """The server, the Verify stand-in, and a tally of checks."""

    def __init__(self, latency, workdir):
        self.latency = latency
        self.workdir = Path(workdir)
        self.token = secrets.token_hex(16)
        self.verdict_key = secrets.token_urlsafe(32)  # the PBX's, for the run whose success step is SIP
        self.failures = 0
        self.numbers_used = set()
        self.slowest_webhook = 0.0
        self.verify = FakeVerifyServer(latency, CODE)
        verify_port = _start_in_thread(self.verify)
        self.notify = FakeNotify(self.workdir).__enter__()
        self.env = {
            "APP_ENV": "production",
            "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
            "TWILIO_AUTH_TOKEN": self.token,
            "TWILIO_VERIFY_SERVICE_SID": "VA" + secrets.token_hex(16),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{self.workdir / 'acceptance.db'}",
            "BENCH_VERIFY_URL": f"http://127.0.0.1:{verify_port}",
            "LOG_LEVEL": "INFO",
            "API_TOKEN": secrets.token_urlsafe(24),
            "TWILIO_WORKSPACE_SID": "WS" + secrets.token_hex(16),
            "BENCH_NOTIFY_CA": self.notify.cert[0],
        }
        self.log = self.workdir / "server.log"
        self.server = Server("bench.served_wsgi:app", free_port(), self.log, env=self.env)

    @property
    def voice_url(self):
        return f"{self.server.url}/voice"

    # -- reporting ------------------------------------------------------------------------

    def check(self, name, ok, detail=""):
        """Print one check's outcome and count a failure."""
        self.failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{f'  ({detail})' if detail else ''}", flush=True)

    # -- calls ----------------------------------------------------------------------------

    def call(self, from_, *keys, **options):
        """Place a call from `from_`, key in each of `keys`, return the call and its slowest webhook."""
        self.numbers_used.add(from_)
        began = time.perf_counter()
        timings = []

        def timed(event):
            if event.kind == "webhook":
                timings.append(time.perf_counter())

        call = place_call(self.voice_url, from_=from_, to=SERVICE_NUMBER, auth_token=self.token, on_event=timed, **options)
        for key in keys:
            call.press(key)
        marks = [began] + timings
        slowest = max((b - a for a, b in zip(marks, marks[1:])), default=0.0)
        self.slowest_webhook = max(self.slowest_webhook, slowest)
        return call, slowest

    def heard(self, call, prompt):
        """Whether the caller heard this prompt, word for word, since their last key press."""
        return call.heard(EN[prompt].format(length=len(CODE)))

    # -- the paths --------------------------------------------------------------------------

    def happy_paths(self):
        call, _ = self.call("+14155550101", CODE)
        self.check("right code: verified, then hung up", self.heard(call, "approved") and call.end_reason == "hangup")
        call, _ = self.call("+14155550102", "000000")
        wrong_first = self.heard(call, "wrong_code")
        call.press(CODE)
        self.check("wrong code then right: told, then verified", wrong_first and self.heard(call, "approved"))
        call, _ = self.call("+14155550103", "*")
        resent = self.heard(call, "resent")
        call.press(CODE)
        self.check("'*' sends the code again, then verified", resent and self.heard(call, "approved"))

    def bounded_paths(self):
        call, _ = self.call("+14155550104", "000000", "111111", "222222")
        self.check("always wrong: failed after 3 tries", self.heard(call, "failed:too_many_attempts") and call.ended)
        call, _ = self.call("+14155550105", "", "", "")
        self.check("silence: failed after 3 silences", self.heard(call, "failed:no_input") and call.ended)
        call, _ = self.call("+14155550106")
        presses = 0
        while not call.ended and presses < 10:
            call.press("*")
            presses += 1
        self.check("'*' forever: bounded, call ends", call.ended and not self.heard(call, "approved"), f"after {presses} presses")

    def lockout(self):
        for _ in range(3):
            self.call("+14155550112", "", "", "")
        sends_before = self.verify.verify.counts["send"]
        call, _ = self.call("+14155550112")
        sent = self.verify.verify.counts["send"] - sends_before
        self.check("after 3 failed verifications the number is sent to an agent, no code", self.heard(call, "failed:locked") and sent == 0)

    def withheld_numbers(self):
        sends_before = self.verify.verify.counts["send"]
        for number in WITHHELD + NOT_A_NUMBER:
            call, _ = self.call(number)
            expected = "failed:withheld" if number in WITHHELD else "failed:invalid_number"
            self.check(f"caller ID {number or '(empty)'!r}: told why, call ends", self.heard(call, expected) and call.ended)
        sent = self.verify.verify.counts["send"] - sends_before
        self.check("no withheld or unusable number reached Verify", sent == 0, f"{sent} sends")

    def verify_errors(self):
        for number, prompt in SEND_ERRORS.items():
            call, slowest = self.call(number)
            self.check(
                f"send {_scenario('send', number)}: caller hears {prompt.split(':')[1]}",
                self.heard(call, prompt) and call.ended and slowest < TWILIO_WEBHOOK_LIMIT,
                f"slowest webhook {slowest:.1f} s",
            )
        for number, prompt in CHECK_ERRORS.items():
            call, slowest = self.call(number, CODE)
            if number == "+15005551404":  # expired: a new code is sent once, then it gives up
                call.press(CODE)
            self.check(
                f"check {_scenario('check', number)}: caller hears {prompt.split(':')[1]}, never 'wrong code'",
                self.heard(call, prompt) and not self.heard(call, "wrong_code") and slowest < TWILIO_WEBHOOK_LIMIT,
                f"slowest webhook {slowest:.1f} s",
            )

    def signatures(self):
        validator = RequestValidator(self.token)
        fields = {"CallSid": "CA" + "1" * 32, "From": "+14155550107", "To": SERVICE_NUMBER, "AccountSid": "AC" + "0" * 32}
        self.numbers_used.add(fields["From"])
        for route in ROUTES:
            url = self.server.url + route
            answers = {
                "missing": requests.post(url, data=fields, timeout=10).status_code,
                "forged": requests.post(url, data=fields, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}, timeout=10).status_code,
                "other URL": requests.post(
                    url, data=fields, headers={"X-Twilio-Signature": validator.compute_signature(url + "x", fields)}, timeout=10
                ).status_code,
                "other token": requests.post(
                    url,
                    data=fields,
                    headers={"X-Twilio-Signature": RequestValidator("0" * 32).compute_signature(url, fields)},
                    timeout=10,
                ).status_code,
            }
            self.check(f"{route}: missing and forged signatures get 403", set(answers.values()) == {403}, str(answers))
        get = requests.get(self.voice_url, timeout=10).status_code
        self.check("GET /voice is refused (POST only)", get == 405, str(get))

    def outcome_trust(self):
        call, _ = self.call("+14155550108", CODE)
        approved_url = next(e.text for e in call.events if e.kind == "webhook" and "/voice/outcome" in e.text)
        fields = {"CallSid": "CA" + "2" * 32, "From": "+14155550108", "To": SERVICE_NUMBER}
        signature = RequestValidator(self.token).compute_signature(approved_url, fields)
        replay = requests.post(approved_url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=10)
        self.check(
            "an approved outcome URL replayed for another call does not verify it",
            replay.status_code in (200, 400, 403) and EN["approved"] not in replay.text,
            str(replay.status_code),
        )
        crafted = self.server.url + "/voice/outcome?result=approved"
        signature = RequestValidator(self.token).compute_signature(crafted, fields)
        forged = requests.post(crafted, data=fields, headers={"X-Twilio-Signature": signature}, timeout=10)
        self.check("a made-up outcome URL does not verify", EN["approved"] not in forged.text, str(forged.status_code))

    def odd_input(self):
        validator = RequestValidator(self.token)

        def post(route, fields, body=None, content_type=None):
            url = route if route.startswith("http") else self.server.url + route
            headers = {"X-Twilio-Signature": validator.compute_signature(url, fields if body is None else {})}
            if content_type:
                headers["Content-Type"] = content_type
            return requests.post(url, data=fields if body is None else body, headers=headers, timeout=10)

        base = {"CallSid": "CA" + "3" * 32, "To": SERVICE_NUMBER}
        answers = {"no From": post("/voice", base), "no CallSid": post("/voice", {"From": "+14155550109", "To": SERVICE_NUMBER})}
        self.numbers_used.add("+14155550109")
        call, _ = self.call("+14155550110")
        action = call.listening["action"]
        check_url = self.server.url + action if action.startswith("/") else action
        sends = self.verify.verify.counts["check"]
        for label, digits in {
            "non-ASCII digits": "١٢٣٤٥٦",
            "letters": "12a456",
            "5,000 digits": "1" * 5000,
            "control characters": "12\x003456",
        }.items():
            answers[label] = post(check_url, {**call.fields, "Digits": digits})
        answers["garbled body"] = post("/voice", {}, body=secrets.token_bytes(512), content_type="application/x-www-form-urlencoded")
        answers["oversized body"] = post("/voice", {}, body=b"From=" + b"1" * 200_000, content_type="application/x-www-form-urlencoded")
        answers["JSON body"] = post("/voice", {}, body=b'{"From": "x"}', content_type="application/json")
        for label, answer in answers.items():
            ok = 400 <= answer.status_code < 500 or (answer.status_code == 200 and _is_twiml(answer.text))
            self.check(f"odd input, {label}: TwiML or a 4xx", ok, str(answer.status_code))
        checked = self.verify.verify.counts["check"] - sends
        self.check("no non-digit code reached Verify", checked == 0, f"{checked} checks")

    def restart_mid_call(self):
        call, _ = self.call("+14155550111")
        self.server.stop()
        self.server.start()
        call.press(CODE)
        self.check("server restarted between two webhooks: the call still verifies", self.heard(call, "approved"))

    def crowd(self, callers=40):
        numbers = [f"+1415555{2000 + i:04d}" for i in range(callers)]
        began = time.perf_counter()
        with ThreadPoolExecutor(callers) as pool:
            calls = list(pool.map(lambda number: self.call(number, CODE), numbers))
        took = time.perf_counter() - began
        verified = sum(self.heard(call, "approved") for call, _ in calls)
        slowest = max(slowest for _, slowest in calls)
        self.check(
            f"{callers} simultaneous callers, Verify {self.latency * 1000:.0f} ms: all verified, every webhook < 15 s",
            verified == callers and slowest < TWILIO_WEBHOOK_LIMIT,
            f"{verified}/{callers} verified in {took:.1f} s, slowest webhook {slowest:.2f} s",
        )

    def restart(self, **settings):
        """The server stopped, and started again with `settings` added to the run's environment."""
        self.server.stop()
        self.server = Server("bench.served_wsgi:app", self.server.port, self.log, env={**self.env, **settings})
        self.server.start()

    def risk_checks(self):
        """Lookup before the first code, landlines called back: a server restarted with RISK_CHECKS, CALLBACK=on, a SIP success step."""
        self.restart(
            RISK_CHECKS="line_type,sim_swap,call_forwarding", CALLBACK="on", ALLOWED_COUNTRIES="US", RISK_ON_LOOKUP_ERROR="allow", SIM_SWAP_POLICY="refuse",
            SUCCESS_NEXT_STEP=PBX, VERDICT_SIGNING_KEY=self.verdict_key,
        )  # fmt: skip
        callee = self.called_back("+15005552205", "human")
        heard = callee is not None and self.heard(callee, "callback_answered")
        verdict = self.dialled_verdict(callee.press("1")) if heard else None
        self.check(
            "callback: answered by a person who presses 1, on to the success step with a verdict that holds",
            heard and verdict is not None and (verdict.status, verdict.method, verdict.line_type) == ("approved", "callback", "landline"),
            str(verdict and {"status": verdict.status, "method": verdict.method, "line_type": verdict.line_type}),
        )
        machine = self.called_back("+15005552215", "machine_start")
        self.check(
            "callback: answered by a machine, nothing said, recorded callback_unanswered",
            machine is not None and machine.said_since_last_input() == [] and machine.end_reason == "hangup" and self.reason_of("+15005552215") == "callback_unanswered",
            self.reason_of("+15005552215"),
        )
        placed = len(self.verify.verify.calls)
        call, _ = self.call("+15005552206", status_callback=self.server.url + "/voice/status")
        self.check(
            "callback: a landline whose calls are forwarded is not called back, the caller told",
            self.heard(call, "failed:landline") and not self.heard(call, "callback_offer") and len(self.verify.verify.calls) == placed,
        )
        sends = self.verify.verify.counts["send"]
        call, _ = self.call("+15005552207")
        self.check("SIM swapped 2 hours ago: no code, the caller told (sim_swapped)", self.heard(call, "failed:sim_swapped") and self.verify.verify.counts["send"] == sends)
        for number in ("+15005552500", "+15005552606", "+15005552999"):
            call, slowest = self.call(number, CODE)
            self.check(
                f"Lookup {_lookup_scenario(number)}, RISK_ON_LOOKUP_ERROR=allow: the code sent, verified",
                self.heard(call, "approved") and slowest < TWILIO_WEBHOOK_LIMIT,
                f"slowest webhook {slowest:.1f} s",
            )
        asked = self.verify.verify.looked_up["+14155550190"]
        self.call("+14155550190", CODE)
        first = len(asked)
        call, _ = self.call("+14155550190", CODE)
        # Lookup is asked as the greeting is answered; a first code that reaches the other worker
        # before the answer did asks again (docs/risk-checks.md): which requests, not how many.
        self.check(
            "two calls from one number: the line's answers kept, only the SIM swap asked again",
            self.heard(call, "approved") and first >= 1 and len(asked) > first
            and set(asked[:first]) == {"line_type_intelligence,sim_swap,call_forwarding"} and set(asked[first:]) == {"sim_swap"},
            f"Lookups asked: {asked}",
        )  # fmt: skip

    def called_back(self, number, answered_by):
        """A landline caller promised the callback hangs up; Twilio places the call and plays it, answered by `answered_by` (None if none was placed)."""
        placed = len(self.verify.verify.calls)
        call, _ = self.call(number, status_callback=self.server.url + "/voice/status")
        promised = self.heard(call, "callback_offer") and call.end_reason == "hangup"
        replayed = _signed_post(call.status_callback, {**call.fields, "CallStatus": "completed"}, self.token)
        calls = self.verify.verify.calls[placed:]
        form = calls[0]["form"] if calls else {}
        self.check(
            f"landline {number}, CALLBACK=on: the promise, then one call placed with answering-machine detection (status callback replayed: {replayed})",
            promised and len(calls) == 1 and (form.get("To"), form.get("From"), form.get("MachineDetection")) == (number, SERVICE_NUMBER, "Enable"),
            f"{len(calls)} call(s) placed",
        )
        if not calls:
            return None
        fields = {"CallSid": calls[0]["sid"], "Direction": "outbound-api", "AnsweredBy": answered_by}
        return place_call(form["Url"], from_=SERVICE_NUMBER, to=number, auth_token=self.token, params=fields)

    def dialled_verdict(self, call):
        """The verdict in the X-Verification-Token of the SIP URI the call was dialled to, if this server signed it for this call."""
        dialled = [event.attrs["headers"] for event in call.events if event.kind == "dial" and "headers" in event.attrs]
        try:
            return read(dialled[-1]["X-Verification-Token"], self.verdict_key, call.fields["CallSid"]) if dialled else None
        except (BadVerdict, KeyError):
            return None

    def reason_of(self, number):
        """The reason recorded for the latest verification of `number`, from the server's database."""
        with sqlite3.connect(self.workdir / "acceptance.db") as db:
            row = db.execute("SELECT reason FROM verifications WHERE number_masked = ? ORDER BY id DESC LIMIT 1", (mask(number),)).fetchone()
        return row[0] if row else None

    def by_account(self):
        """VERIFY_BY=account on a server restarted so, its accounts in a CRM stand-in answering after 100 ms, Lookup asked."""
        secret = secrets.token_urlsafe(32)
        crm = FakeCrm(secret, latency=0.1)
        crm_url = f"http://127.0.0.1:{_start_in_thread(crm)}/accounts/lookup"
        self.restart(
            VERIFY_BY="account", BENCH_CRM_URL=crm_url, BENCH_CRM_SECRET=secret, ACCOUNT_LOOKUP_TIMEOUT="0.5",
            RISK_CHECKS="line_type,sim_swap", SIM_SWAP_POLICY="flag", RISK_ON_LOOKUP_ERROR="refuse", CHANNELS="sms,email",
        )  # fmt: skip
        self.numbers_used.add("+14155550042")  # account 10000042's phone on file
        call, _ = self.call("+14155550150", "10000042#")
        told = call.heard(EN["account_code_sent"].format(ending="4 2"))
        call.press(CODE)
        self.check("by account: the code goes to the phone on file, verified", told and self.heard(call, "approved_account"))
        sends_before = self.verify.verify.counts["send"]
        call, _ = self.call("+14155550151", "99999999#", "*#", "1" * 200 + "#")
        sent = self.verify.verify.counts["send"] - sends_before
        self.check("by account: unknown and odd entries, bounded, no code", self.heard(call, "failed:account_not_found") and sent == 0)
        crm.latency = 2
        call, _ = self.call("+14155550152", "10000043#")
        crm.latency = 0.1
        self.check("by account: a CRM slower than ACCOUNT_LOOKUP_TIMEOUT, the caller told", self.heard(call, "failed:account_unavailable"))
        call, _ = self.from_studio("+14155550153", CODE, account="10000042")
        back = call.studio_return or {}
        self.check("Studio by account: the flow's account number, verified on the phone on file", back.get("method") == "account" and self.verdict_holds(call, "approved"))
        self.email_and_risks()
        self.check("the CRM stand-in found every request signed", crm.counts["refused"] == 0, str(crm.counts))

    def email_and_risks(self):
        """By account with CHANNELS=sms,email, SIM_SWAP_POLICY=flag, RISK_ON_LOOKUP_ERROR=refuse."""
        self.numbers_used.update(phone_of(account) for account in ACCOUNTS_WITH_RISKS)
        domain = "example dot com"
        call, _ = self.call("+14155550155", "10009001#")
        offered = self.heard(call, "channel_menu") and call.heard(EN["choose:email"].format(domain=domain, digit=2))
        call.press("2")
        emailed = call.heard(EN["code_sent:email"].format(length=len(CODE), domain=domain))
        channel = self.verify.verify.deliveries[-1][2] if self.verify.verify.deliveries else None
        call.press(CODE)
        self.check("by account, CHANNELS=sms,email: email offered, the code by email (Channel=email), verified", offered and emailed and channel == "email" and self.heard(call, "approved_account"))
        call, _ = self.call("+14155550156", "10009206#", "1")
        self.check(
            "by account, a landline on file, CALLBACK off, SMS chosen: the code goes by email instead",
            call.heard(EN["code_sent:email"].format(length=len(CODE), domain=domain)),
        )
        sends = self.verify.verify.counts["send"]
        call, _ = self.call("+14155550157", "10008500#")
        self.check("Lookup down, RISK_ON_LOOKUP_ERROR=refuse: no code, the caller told (lookup_unavailable)", self.heard(call, "failed:lookup_unavailable") and self.verify.verify.counts["send"] == sends)
        call, _ = self.from_studio("+14155550158", CODE, account="10008207")
        verdict = self.studio_verdict(call)
        self.check(
            "SIM swapped 2 hours ago, SIM_SWAP_POLICY=flag: verified, the verdict says so",
            verdict is not None and verdict.approved and verdict.sim_swap == "recent",
            str(verdict and {"status": verdict.status, "sim_swap": verdict.sim_swap}),
        )

    def from_studio(self, from_, *keys, **widget):
        """A call a Studio flow hands over with its TwiML Redirect; (the call, the flow's SID)."""
        self.numbers_used.add(from_)
        flow = "FW" + secrets.token_hex(16)
        url = f"{self.server.url}/studio/verify?{urlencode({'flow': flow, **widget})}"
        call = place_call(url, from_=from_, to=SERVICE_NUMBER, auth_token=self.token)
        for key in keys:
            call.press(key)
        return call, flow

    def verdict_holds(self, call, status):
        """Whether the widget's `verdict` is a token this server signed for this call, saying `status`."""
        verdict = self.studio_verdict(call)
        return verdict is not None and verdict.status == status

    def studio_verdict(self, call):
        """The verdict the Studio flow got back, if it is a token this server signed for this call; else None."""
        try:
            return read((call.studio_return or {}).get("verdict", ""), signing_key(self.env), call.fields["CallSid"])
        except BadVerdict:
            return None

    def studio(self):
        """In by a Studio flow's TwiML Redirect, out by a Redirect to the flow's webhook with the verdict."""
        call, flow = self.from_studio("+14155550160", CODE)
        back = call.studio_return or {}
        returned = [e.text for e in call.events if e.kind == "redirect"][-1]
        exact = returned.startswith(f"https://webhooks.twilio.com/v1/Accounts/{ACCOUNT_SID}/Flows/{flow}?FlowEvent=return&")
        self.check(
            "Studio: right code, back to the flow with verified=true and a token that holds",
            exact and back.get("verified") == "true" and self.verdict_holds(call, "approved"),
            str({name: value for name, value in back.items() if name != "verdict"}),
        )
        call, _ = self.from_studio("+14155550161", "000000", "111111", "222222")
        back = call.studio_return or {}
        self.check(
            "Studio: three wrong codes, back with verified=false&reason=too_many_attempts",
            (back.get("verified"), back.get("reason")) == ("false", "too_many_attempts") and self.verdict_holds(call, "failed"),
        )
        fields = {"CallSid": "CA" + "4" * 32, "From": "+14155550162", "To": SERVICE_NUMBER, "AccountSid": ACCOUNT_SID}
        url = f"{self.server.url}/studio/verify?flow=FW123"
        signature = RequestValidator(self.token).compute_signature(url, fields)
        refused = requests.post(url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=10).status_code
        self.check("Studio: a flow SID that is no flow's gets a 400 (the widget's Fail exit)", refused == 400, str(refused))

    def agent(self):
        """An agent's API request: the caller's leg moved to the subflow, the code, back into the same conference."""
        live = self.verify.verify.live
        phone = types.SimpleNamespace(live=live, sent=[], deliveries=[])
        fields = {"AccountSid": self.env["TWILIO_ACCOUNT_SID"]}
        self.numbers_used.add("+14155550170")
        call = place_call(self.voice_url, from_="+14155550170", to=SERVICE_NUMBER, auth_token=self.token, params=fields, conference="support-7", sms_source=phone)
        task = live.add_task(self.env["TWILIO_WORKSPACE_SID"], {"name": "Ada"})
        body = {"return": {"conference": "support-7"}, "notify": self.notify.url, "task": task}
        asked = self.ask(call.fields["CallSid"], body)
        self.check("agent: the API moves the caller's leg (202)", asked.status_code == 202, f"{asked.status_code} {asked.text.strip()}")
        call.follow_moves()
        self.check("agent: the caller left the conference for the code", call.conference is None and self.heard(call, "code_sent"))
        again = self.ask(call.fields["CallSid"], body)
        self.check("agent: the same request replayed while the caller verifies is a 409, no second move", again.status_code == 409 and not live.moves, str(again.status_code))
        call.press(CODE)
        self.check("agent: right code, the caller hears it and is back in the same conference", call.conference == "support-7" and self.heard(call, "approved"))
        try:
            verdict = read(self.notify.posts[-1]["form"]["verdict"], signing_key(self.env), call.fields["CallSid"]) if self.notify.posts else None
        except BadVerdict:
            verdict = None
        self.check("agent: the verdict posted to notify holds, approved", verdict is not None and verdict.approved)
        self.check("agent: the verdict is in the task's attributes, the others kept", live.attributes(task).get("verification", {}).get("status") == "approved" and live.attributes(task).get("name") == "Ada")
        refused = [self.ask(call.fields["CallSid"], body, token="x" * 24).status_code, self.ask("CA" + "9" * 32, body).status_code, self.ask(call.fields["CallSid"], {"return": {}}).status_code]
        self.check("agent: a wrong token, an unknown call, a body that does not fit: 401, 404, 422", refused == [401, 404, 422], str(refused))

    def ask(self, call_sid, body, token=None):
        """The agent's desktop posts to the API."""
        headers = {"Authorization": f"Bearer {token or self.env['API_TOKEN']}"}
        return requests.post(f"{self.server.url}/api/v1/calls/{call_sid}/verification", json=body, headers=headers, timeout=15)

    def clean_logs(self):
        text = self.log.read_text(errors="replace")
        accounts = ["10000042", "99999999", *ACCOUNTS_WITH_RISKS]
        self.check("server log holds no account number", not any(account in text for account in accounts))
        self.check("server log holds no email address", "holder-" not in text)
        leaked = [n for n in self.numbers_used if len(n) > 6 and n.lstrip("+") in text]
        self.check("server log holds no full phone number", not leaked, f"{len(leaked)} found" if leaked else "")
        self.check("server log holds no code", CODE not in text)
        self.check("server log holds no auth token, API token, secret key or verdict signing key", self.token not in text and self.env["SECRET_KEY"] not in text and self.env["API_TOKEN"] not in text and self.verdict_key not in text)
        self.check("server log holds no traceback", "Traceback" not in text)

    def run(self):
        """Every check, in order; the number of failures."""
        release = self.server.release()
        self.check("the Procfile's release phase ran", bool(release), release or "no release: line")
        self.server.start()
        print(f"server: {' '.join(self.server.command)} on {self.server.url}; log {self.log}", flush=True)
        try:
            for part in (
                self.happy_paths,
                self.bounded_paths,
                self.lockout,
                self.withheld_numbers,
                self.verify_errors,
                self.signatures,
                self.outcome_trust,
                self.odd_input,
                self.restart_mid_call,
                self.crowd,
                self.studio,
                self.agent,
                self.risk_checks,
                self.by_account,
            ):
                part()
        finally:
            self.server.stop()
            self.notify.shutdown()
        self.check(f"slowest webhook of the whole run under {TWILIO_WEBHOOK_LIMIT:.0f} s", self.slowest_webhook < TWILIO_WEBHOOK_LIMIT, f"{self.slowest_webhook:.2f} s")
        self.clean_logs()
        return self.failures


def _signed_post(url, fields, token):
    """A webhook request signed as Twilio signs it; its status code."""
    signature = RequestValidator(token).compute_signature(url, fields)
    return requests.post(url, data=fields, headers={"X-Twilio-Signature": signature}, timeout=10).status_code


def _lookup_scenario(number):
    return {"+15005552500": "HTTP 500", "+15005552606": "error 60606", "+15005552999": "hangs"}[number]


def _is_twiml(text):
    """Whether `text` is TwiML Twilio would accept (the project's model of it)."""
    try:
        validate(text)
    except InvalidTwiML:
        return False
    return True


def _scenario(action, number):
    status = SCENARIOS[(action, number)][0]
    return f"{number} ({'hangs' if status is None else status})"


def _start_in_thread(fake_verify):
    """Run a stand-in's asyncio server (Verify's, the CRM's) in a daemon thread; its port."""
    ready = threading.Event()
    port = []

    def serve():
        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(fake_verify.handle, "127.0.0.1", 0, backlog=2048))
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        loop.run_forever()

    threading.Thread(target=serve, daemon=True).start()
    if not ready.wait(120):
        raise RuntimeError("the stand-in was not listening after 120 s")
    return port[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds Verify takes to answer (default 0.3)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="acceptance-"))
    failures = Acceptance(args.latency, workdir).run()
    print(f"server log and database kept in {workdir}")
    print(f"{failures} check(s) failed" if failures else "all checks passed", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
