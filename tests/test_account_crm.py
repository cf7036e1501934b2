"""Accounts looked up in a CRM: a signed POST over HTTP(S), checked here by a fake CRM that verifies the HMAC."""

import hashlib
import hmac
import http.server
import json
import socket
import threading
import time

import pytest

from tests.conftest import CALLER
from tests.fakes import Dripping

SECRET = "the-crm-and-the-ivr-share-this-secret-0123"
ACCOUNT = "12345678"
ON_FILE = "+14155550142"


class FakeCrm(http.server.ThreadingHTTPServer):
    """A CRM on 127.0.0.1 that refuses a request whose signature is wrong, as the documentation's receiver does."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.accounts = {ACCOUNT: ON_FILE}
        self.answer = None  # (status, body) to send instead, whatever is asked
        self.stalls = False  # True: no answer until the test is over
        self.over = threading.Event()
        self.seen = []  # (account number, signature valid) of each request

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/accounts/lookup"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        crm = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        timestamp = self.headers.get("X-Signature-Timestamp", "")
        expected = "sha256=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        valid = fresh and hmac.compare_digest(expected, self.headers.get("X-Signature", ""))
        number = json.loads(body)["account_number"]
        crm.seen.append((number, valid))
        if crm.stalls:
            crm.over.wait()
        if not valid:
            status, answer = 401, '{"error": "bad signature"}'
        elif crm.answer:
            status, answer = crm.answer
        elif number in crm.accounts:
            status, answer = 200, json.dumps({"phone": crm.accounts[number]})
        else:
            status, answer = 404, '{"error": "not found"}'
        data = answer.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the IVR gave up waiting

    def log_message(self, *args):
        pass


@pytest.fixture
def crm():
    server = FakeCrm()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.over.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def crm_app(make_app, crm):
    def build(**settings):
        # The longest ACCOUNT_LOOKUP_TIMEOUT allowed: a loaded machine's CRM is slow, not down.
        settings = {
            "ACCOUNT_LOOKUP_URL": crm.url, "ACCOUNT_LOOKUP_SECRET": SECRET, "VERIFY_BY": "account", "ACCOUNT_LOOKUP_TIMEOUT": 5,
            **settings,
        }
        return make_app(**settings)

    return build


def test_a_found_account_is_asked_for_signed_and_its_phone_gets_the_code(crm_app, crm, call, verify):
    caller = call(target=crm_app())
    caller.press(ACCOUNT + "#")
    assert crm.seen == [(ACCOUNT, True)]
    assert caller.heard("on your account ending in 4 2")
    assert [to for to, _ in verify.sent] == [ON_FILE]


def test_an_account_the_crm_does_not_know_is_asked_again(crm_app, crm, call, verify):
    caller = call(target=crm_app())
    caller.press("99999999#")
    assert crm.seen == [("99999999", True)]
    assert caller.heard("We could not find an account with that number. Please try again.")
    assert verify.sent == []


def test_a_wrong_secret_is_refused_by_the_crm_and_the_caller_hears_why_not(crm_app, crm, call):
    caller = call(target=crm_app(ACCOUNT_LOOKUP_SECRET="x" * 40, FAILURE_NEXT_STEP="+14155550100"))
    caller.press(ACCOUNT + "#")
    assert crm.seen == [(ACCOUNT, False)]
    assert caller.heard("We cannot look up your account right now.")
    assert caller.dialed == ["+14155550100"]


@pytest.mark.parametrize(
    "answer",
    [(200, "<html>maintenance</html>"), (200, '{"phone": 14155550142}'), (200, "[]"), (500, "oops"), (302, ""), (200, "x" * 10000)],
    ids=["html", "phone not text", "a list", "500", "redirect", "huge"],
)
def test_a_crm_answering_garbage_sends_the_caller_to_the_fallback(crm_app, crm, call, verify, answer):
    crm.answer = answer
    caller = call(target=crm_app())
    caller.press(ACCOUNT + "#")
    assert caller.heard("We cannot look up your account right now.")
    assert caller.ended
    assert verify.sent == []


def test_a_crm_slower_than_the_timeout_is_given_up_and_recorded(crm_app, crm, call, records):
    crm.stalls = True
    caller = call(target=crm_app(ACCOUNT_LOOKUP_TIMEOUT=0.2))
    caller.press(ACCOUNT + "#")
    assert caller.heard("We cannot look up your account right now.")
    assert (records()[-1]["outcome"], records()[-1]["reason"]) == ("failed", "account_unavailable")
    assert records()[-1]["number_masked"] == "+1•••••••71"


def test_a_crm_dripping_its_answer_is_given_up_at_the_timeout(crm_app, call, records, caplog):
    # Each byte comes inside the read timeout; ACCOUNT_LOOKUP_TIMEOUT bounds the whole answer.
    with Dripping() as crm:
        caller = call(target=crm_app(ACCOUNT_LOOKUP_URL=f"{crm.url}/lookup", ACCOUNT_LOOKUP_TIMEOUT=0.2))
        caller.press(ACCOUNT + "#")
    assert crm.requests == 1
    assert caller.heard("We cannot look up your account right now.")
    assert records()[-1]["reason"] == "account_unavailable"
    assert "account lookup: the CRM gave no answer in time" in caplog.text


def test_a_crm_that_is_down_sends_the_caller_to_the_fallback(crm_app, call):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    caller = call(target=crm_app(ACCOUNT_LOOKUP_URL=f"http://127.0.0.1:{port}/lookup"))
    caller.press(ACCOUNT + "#")
    assert caller.heard("We cannot look up your account right now.")


def test_a_number_from_the_crm_that_no_text_can_reach_is_told_as_such(crm_app, crm, call, records):
    crm.accounts[ACCOUNT] = "not a number"
    caller = call(target=crm_app())
    caller.press(ACCOUNT + "#")
    assert caller.heard("We cannot send a code to the phone number on your account")
    assert records()[-1]["reason"] == "phone_on_file_unusable"


def test_the_crm_source_does_not_look_at_the_callers_own_number(crm_app, crm, call, verify):
    caller = call(target=crm_app(), from_=CALLER)
    caller.press(ACCOUNT + "#")
    assert CALLER not in [to for to, _ in verify.sent]


def test_an_email_in_the_crms_answer_is_offered_and_gets_the_code(crm_app, crm, call, verify):
    crm.answer = (200, json.dumps({"phone": ON_FILE, "email": "jane@example.com"}))
    caller = call(target=crm_app(CHANNELS="sms,email"))
    caller.press(ACCOUNT + "#")
    assert caller.heard("For an email to the address on file at example dot com, press 2.")
    caller.press("2")
    assert [to for to, _ in verify.sent] == ["jane@example.com"]


@pytest.mark.parametrize("email", [None, 42, ""], ids=["null", "a number", "empty"])
def test_an_answer_without_a_usable_email_is_a_phone_alone(crm_app, crm, call, verify, email):
    crm.answer = (200, json.dumps({"phone": ON_FILE, "email": email}))
    caller = call(target=crm_app(CHANNELS="sms,email"))
    caller.press(ACCOUNT + "#")
    assert not caller.heard("email")
    assert [to for to, _ in verify.sent] == [ON_FILE]
