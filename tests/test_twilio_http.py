"""The app's HTTP client for Twilio, over a real socket to a Verify stand-in on this machine."""

import base64
import json
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.rest import Client

from app import outbound
from app.twilio.http_client import TwilioHttp
from app.twilio.verify import VerifyFailed, VerifyService
from app.twilio.standin import LocalVerify
from tests.fakes import Dripping, self_signed_certificate

ACCOUNT_SID = "AC" + "1" * 32
SERVICE_SID = "VA" + "2" * 32
CALLER = "+14155550123"


class Twilio(ThreadingHTTPServer):
    """A loopback HTTP server answering as Verify does, and recording what reached it."""

    daemon_threads = True

    def __init__(self, behaviour="answer"):
        super().__init__(("127.0.0.1", 0), Handler)
        self.behaviour = behaviour  # "answer", "stall" (not until the test is over) or "hang_up" (close, no answer)
        self.over = threading.Event()
        self.verify = LocalVerify(on_send=None)
        self.seen = []  # (method, path, query, headers (any case), form)

    scheme = "http"

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"

    def speak_tls(self, certificate, key):
        """Answer over TLS with this certificate, as Twilio's API does with its own."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.scheme = "https"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        # As a proxy, the server is sent the whole URL ("http://host/path"), not only the path.
        target = urlsplit(self.path)
        path, query = target.path, target.query
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.server.seen.append(("POST", path, query, self.headers, dict(parse_qsl(body))))
        if self.server.behaviour == "stall":
            self.server.over.wait()
        if self.server.behaviour == "hang_up":
            self.close_connection = True
            return
        status, answer = self.server.verify.handle("POST", path, dict(parse_qsl(body)))
        text = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def no_proxy_configured(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def twilio(request):
    server = Twilio(getattr(request, "param", "answer"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.over.set()
    server.shutdown()
    server.server_close()


def verify_through(base_url, timeout=60):
    """VerifyService as the app builds it, its Verify domain at `base_url` instead of Twilio's."""
    client = Client(ACCOUNT_SID, "the-auth-token", http_client=TwilioHttp(timeout=timeout))
    client.verify.base_url = base_url
    return VerifyService(client, SERVICE_SID)


def test_a_code_sent_over_http_is_the_code_approved(twilio):
    service = verify_through(twilio.url)
    sid = service.send(CALLER, "sms")
    code = twilio.verify.last_code(CALLER)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert service.check(sid, wrong) is False
    assert service.check(sid, code) is True


def test_requests_carry_twilios_auth_form_and_headers(twilio):
    verify_through(twilio.url).send(CALLER, "sms")
    method, path, query, headers, form = twilio.seen[-1]
    assert (method, path, query) == ("POST", f"/v2/Services/{SERVICE_SID}/Verifications", "")
    assert form == {"To": CALLER, "Channel": "sms"}
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("twilio-python/")
    scheme, _, credentials = headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == f"{ACCOUNT_SID}:the-auth-token"


def test_query_parameters_go_in_the_url(twilio):
    TwilioHttp(timeout=60).request("POST", f"{twilio.url}/v2/x", params={"PageSize": 20, "Tag": ["a", "b"]})
    assert twilio.seen[-1][2] == "PageSize=20&Tag=a&Tag=b"


@pytest.mark.parametrize("twilio", ["stall"], indirect=True)
def test_verify_that_does_not_answer_in_time_is_unavailable(twilio, caplog):
    with pytest.raises(VerifyFailed) as failure:
        verify_through(twilio.url, timeout=0.2).send(CALLER, "sms")
    assert failure.value.reason == "unavailable"
    assert caplog.messages == ["verify send failed: no answer in time (ReadTimeoutError) -> unavailable"]


@pytest.mark.parametrize("part", ["head", "body"])
def test_verify_dripping_its_answer_is_given_up_at_the_timeout(part, caplog):
    # Each byte comes inside the read timeout; the timeout bounds the whole answer.
    with Dripping(part) as twilio:
        with pytest.raises(VerifyFailed) as failure:
            verify_through(twilio.url, timeout=0.5).send(CALLER, "sms")
    assert failure.value.reason == "unavailable"
    assert caplog.messages == ["verify send failed: no answer in time (ReadTimeoutError) -> unavailable"]


def test_under_gevent_a_dripping_tls_handshake_is_cut_off_at_the_timeout():
    # In a process of its own, patched by gevent as the Procfile's workers are.
    script = Path(__file__).parent / "dripping_handshake.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # Not a read timeout after the handshake: the deadline ended the handshake itself.
    assert done.stdout.splitlines() == [
        "verify send failed: no answer in time (DeadlinePassed) -> unavailable",
        "failed: unavailable",
    ]


def test_a_caller_whose_code_verify_drips_hears_it_cannot_be_sent(make_app, call, records):
    app = make_app(VERIFY_TIMEOUT=0.5)
    twilio_client = app.extensions["twilio_client"]
    twilio_client.http_client = TwilioHttp(timeout=app.config["VERIFY_TIMEOUT"])
    with Dripping() as twilio:
        twilio_client.verify.base_url = twilio.url
        caller = call(target=app)
    assert twilio.requests == 1
    assert caller.heard("We cannot verify your phone right now.")
    assert records()[-1]["reason"] == "unavailable"


def test_a_webhook_whose_time_is_spent_asks_verify_nothing_more(make_app, call, records, twilio, monkeypatch):
    # Twilio hangs up on a webhook after 15 s: a request that could only end after that is not made.
    monkeypatch.setattr(outbound, "WEBHOOK_BUDGET", 0.0)
    app = make_app()
    twilio_client = app.extensions["twilio_client"]
    twilio_client.http_client = TwilioHttp(timeout=app.config["VERIFY_TIMEOUT"])
    twilio_client.verify.base_url = twilio.url
    caller = call(target=app)
    assert twilio.seen == []
    assert caller.heard("We cannot verify your phone right now.")
    assert records()[-1]["reason"] == "unavailable"


def test_outside_a_webhook_only_the_request_s_own_deadline_counts(twilio, monkeypatch):
    monkeypatch.setattr(outbound, "WEBHOOK_BUDGET", 0.0)
    assert verify_through(twilio.url).send(CALLER, "sms").startswith("VE")
    assert len(twilio.seen) == 1


@pytest.mark.parametrize("twilio", ["hang_up"], indirect=True)
def test_a_send_cut_off_is_not_sent_again(twilio):
    # Verify may have texted the code before the connection dropped: a retry could text it twice.
    with pytest.raises(VerifyFailed) as failure:
        verify_through(twilio.url).send(CALLER, "sms")
    assert failure.value.reason == "unavailable"
    assert len(twilio.seen) == 1


def test_verify_out_of_reach_is_unavailable(caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # The socket is closed: nothing listens on that port.
    with pytest.raises(VerifyFailed) as failure:
        verify_through(nowhere).send(CALLER, "sms")
    assert failure.value.reason == "unavailable"
    # Not "no answer in time": the connection was refused at once.
    assert caplog.messages == ["verify send failed: could not connect (NewConnectionError) -> unavailable"]


def test_an_https_proxy_with_credentials_carries_every_request(twilio, monkeypatch):
    # The loopback server plays the proxy; Twilio's host is never looked up, only named to it.
    monkeypatch.setenv("HTTPS_PROXY", f"http://relay:s%40cret@127.0.0.1:{twilio.server_address[1]}")
    verify_through("http://verify.twilio.invalid").send(CALLER, "sms")
    _, path, _, headers, form = twilio.seen[-1]
    assert (path, form) == (f"/v2/Services/{SERVICE_SID}/Verifications", {"To": CALLER, "Channel": "sms"})
    assert headers["Proxy-Authorization"] == "Basic " + base64.b64encode(b"relay:s@cret").decode()


def test_a_proxy_named_without_a_scheme_is_an_http_proxy(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "proxy.example:3128")
    proxy = TwilioHttp().pool.proxy
    assert (proxy.scheme, proxy.host, proxy.port) == ("http", "proxy.example", 3128)


def test_a_verify_whose_certificate_is_not_trusted_hears_nothing(twilio, tmp_path, monkeypatch):
    # A machine in the middle answering "approved" would let any code through: its TLS is refused.
    certificate, key = self_signed_certificate(tmp_path)
    twilio.speak_tls(certificate, key)
    with pytest.raises(VerifyFailed) as failure:
        verify_through(twilio.url).send(CALLER, "sms")
    assert failure.value.reason == "unavailable"
    assert twilio.seen == []
    # The same server, its certificate trusted as Twilio's is by the CA bundle: answered.
    monkeypatch.setattr("app.twilio.http_client.certifi.where", lambda: str(certificate))
    assert verify_through(twilio.url).send(CALLER, "sms").startswith("VE")
    assert len(twilio.seen) == 1
