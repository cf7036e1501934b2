"""Twilio faked at twilio-python's HttpClient seam, with Twilio's own JSON shapes; and a toy IVR."""

import collections
import itertools
import json
import socketserver
import threading
import time
from urllib.parse import parse_qsl, unquote, urlsplit

from flask import Flask, request
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from urllib3 import exceptions as http_errors

from app.twilio.standin import LocalVerify, error_body


def verify_error(status, code, message="error from Verify"):
    """A Verify REST error, as Twilio writes it."""
    return error_body(status, code, message)


def problem_details(status, code, title="error from Verify"):
    """A Verify error in Twilio's newer RFC 9457 "problem details" shape."""
    return status, {
        "type": f"https://www.twilio.com/docs/errors/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": title,
    }


class ScriptedVerify(LocalVerify):
    """The local Verify stand-in, except for answers a test scripts in advance.

    `script("send", ...)` / `script("check", ...)` / `script("lookup", ...)` queue an answer for the next send, check or Lookup:
    a (status, body) pair, a raw (status, text) pair for non-JSON bodies, or an exception
    instance to raise as the HTTP client would (a timeout, a refused connection).
    """

    RESOURCES = {"send": "Verifications", "check": "VerificationCheck", "lookup": "PhoneNumbers"}

    def __init__(self, **kwargs):
        kwargs.setdefault("on_send", None)
        super().__init__(**kwargs)
        self.scripted = collections.defaultdict(collections.deque)
        self.timeouts = []
        self.statuses = []  # the HTTP status of each of `requests`, None where the request raised

    def script(self, action, *answers):
        self.scripted[self.RESOURCES[action]].extend(answers)
        return self

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        self.timeouts.append(timeout if timeout is not None else self.timeout)
        looked_up = "/PhoneNumbers/" in uri
        queue = self.scripted["PhoneNumbers" if looked_up else uri.rsplit("/", 1)[-1]]
        if not queue:
            response = super().request(method, uri, params, data, headers, auth, timeout, allow_redirects)
            self.statuses.append(response.status_code)
            return response
        answer = queue.popleft()
        if looked_up:
            self.lookup.requests.append((unquote(uri.rsplit("/", 1)[-1]), (params or {}).get("Fields", "")))
        else:
            self.requests.append((uri, dict(data or {})))
        if isinstance(answer, BaseException):
            self.statuses.append(None)
            raise answer
        status, body = answer
        self.statuses.append(status)
        text = body if isinstance(body, str) else json.dumps(body)
        return Response(status, text, {"Content-Type": "application/json"})


class Serving(socketserver.ThreadingTCPServer):
    """A server on 127.0.0.1 that serves from a thread of its own inside `with`, and stops at its end."""

    daemon_threads = True

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self.shutdown()
        super().__exit__(*exc_info)


class Dripping(Serving):
    """A server on 127.0.0.1 that answers every request one byte at a time, for as long as the client listens.

    `part="head"` drips the status line and headers; `"body"` sends them at once and drips an
    endless body. Each byte comes well within any read timeout; only a deadline on the whole
    answer ends the request. Start it with `with Dripping() as server:`.
    """

    HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"

    def __init__(self, part="body", pace=0.02):
        super().__init__(("127.0.0.1", 0), _Drip)
        self.part, self.pace = part, pace
        self.requests = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"



class _Drip(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        received = b""
        while b"\r\n\r\n" not in received and (data := self.request.recv(65536)):
            received += data
        server.requests += 1
        if server.part == "body":
            self.request.sendall(server.HEAD)
        head = server.HEAD if server.part == "head" else b""
        try:
            for byte in itertools.chain(head, itertools.repeat(ord(" "))):
                self.request.sendall(bytes([byte]))
                time.sleep(server.pace)
        except OSError:
            pass  # the client hung up: the drip ends


# What app.twilio.http_client raises (through urllib3) when Twilio is slow or out of reach.
TIMEOUT = http_errors.ReadTimeoutError(None, "https://verify.twilio.com/", "read timed out")
REFUSED = http_errors.NewConnectionError(None, "connection refused")


class FakeNumbers(HttpClient):
    """Twilio's IncomingPhoneNumbers API for one account, in memory, with Twilio's JSON shapes."""

    def __init__(self, account_sid, numbers=(), refuse_credentials=False):
        super().__init__(logger=None, is_async=False)
        self.account_sid = account_sid
        self.refuse_credentials = refuse_credentials
        self.numbers = [incoming_phone_number(account_sid, number, index) for index, number in enumerate(numbers)]
        self.requests = []  # (method, path, params, data)

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        path = urlsplit(uri).path
        self.requests.append((method.upper(), path, dict(params or {}), dict(data or {})))
        base = f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers"
        if self.refuse_credentials:
            return _json(401, {"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401})
        if method.upper() == "GET" and path == base + ".json":
            wanted = (params or {}).get("PhoneNumber")
            found = [number for number in self.numbers if wanted in (None, number["phone_number"])]
            return _json(200, self._page(base, found))
        for number in self.numbers:
            if method.upper() == "POST" and path == f"{base}/{number['sid']}.json":
                number.update({FIELDS[name]: value for name, value in (data or {}).items() if name in FIELDS})
                return _json(200, number)
        return _json(404, {"code": 20404, "message": f"The requested resource {path} was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404})

    def _page(self, base, found):
        """One page of a list, the only page."""
        return {
            "end": max(len(found) - 1, 0),
            "first_page_uri": f"{base}.json?PageSize=50&Page=0",
            "incoming_phone_numbers": found,
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": f"{base}.json?PageSize=50&Page=0",
        }


# Form fields of an IncomingPhoneNumber update, and the JSON keys they set.
FIELDS = {
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
}


def incoming_phone_number(account_sid, phone_number, index=0):
    """An IncomingPhoneNumber as Twilio's API returns a freshly bought one."""
    sid = f"PN{index:032x}"
    return {
        "account_sid": account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": "2010-04-01",
        "beta": False,
        "capabilities": {"mms": True, "sms": True, "voice": True},
        "date_created": "Thu, 30 Jul 2015 23:19:04 +0000",
        "date_updated": "Thu, 30 Jul 2015 23:19:04 +0000",
        "emergency_status": "Inactive",
        "emergency_address_sid": None,
        "friendly_name": phone_number,
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": phone_number,
        "sid": sid,
        "sms_application_sid": "",
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "https://demo.twilio.com/welcome/sms/reply",
        "status_callback": "",
        "status_callback_method": "POST",
        "trunk_sid": None,
        "uri": f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json",
        "voice_application_sid": "",
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_url": "https://demo.twilio.com/welcome/voice/",
        "bundle_sid": None,
    }


def _json(status, body):
    """A twilio-python Response carrying JSON."""
    return Response(status, json.dumps(body), {"Content-Type": "application/json"})


TOY_TOKEN = "toy-auth-token"


def toy_ivr(documents):
    """A Flask app answering each path with a fixed TwiML document, logging what Twilio sent."""
    app = Flask("toy")
    app.config["TWILIO_AUTH_TOKEN"] = TOY_TOKEN
    app.requests = []
    validator = RequestValidator(TOY_TOKEN)

    @app.route("/<path:path>", methods=["GET", "POST"])
    def answer(path):
        signed = validator.validate(request.url, request.form, request.headers.get("X-Twilio-Signature", ""))
        app.requests.append({"method": request.method, "path": "/" + path, "signed": signed, **request.args, **request.form})
        body = documents.get("/" + path)
        if body is None:
            return "not found", 404
        if isinstance(body, tuple):
            return body
        return f"<Response>{body}</Response>", {"Content-Type": "text/xml"}

    return app


class FakeNotify(Serving):
    """An https server on 127.0.0.1 that takes verdicts as an agent's system would: `posts` holds each form it got.

    Its certificate is its own, self-signed: `trusted_pool()` is a pool that trusts it and no other.
    Start it with `with FakeNotify(tmp_path) as server:`.
    """

    def __init__(self, folder, status=204):
        import http.server
        import ssl

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler):
                length = int(handler.headers.get("Content-Length", "0"))
                body = handler.rfile.read(length).decode()
                self.posts.append({"path": handler.path, "content_type": handler.headers.get("Content-Type"), "form": dict(parse_qsl(body))})
                handler.send_response(self.status)
                handler.send_header("Content-Length", "0")
                handler.end_headers()

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.status, self.posts = status, []
        self.cert = self_signed_certificate(folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.cert)
        self.socket = context.wrap_socket(self.socket, server_side=True)

    @property
    def url(self):
        return f"https://127.0.0.1:{self.server_address[1]}/verdicts"

    def trusted_pool(self):
        import urllib3

        from app import outbound

        return outbound.bounded(urllib3.PoolManager(retries=False, ca_certs=self.cert[0]))



def self_signed_certificate(folder):
    """A certificate for 127.0.0.1 that no authority vouches for: its (certificate, key) files in `folder`."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "self-signed.crt", folder / "self-signed.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert_file), str(key_file)
