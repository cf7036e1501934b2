"""A Twilio Verify v2 stand-in (and Lookup v2, and the Calls API) on a real socket, answering after a set latency.

The benchmark and the acceptance run point the server's twilio-python client at it (see
bench/served_wsgi.py). It answers `POST /v2/Services/{VA…}/Verifications` and
`POST /v2/Services/{VA…}/VerificationCheck` with Twilio's own JSON shapes and rules (the local
stand-in's model in app/verify_standin.py: 10-minute codes, the same code on a resend, 5 sends
per number per 10 minutes, 5 checks per verification, 20404 once a verification is approved,
expired or exhausted), except that the right code is always the same (`--code`, default
123456). Every answer waits `--latency` seconds (default 0.5) without holding up the others:
one asyncio loop, so thousands of requests can wait at once for next to no CPU.

    python -m bench.fake_verify --port 8790 --latency 0.5 [--lookup-latency 0.3] [--code 123456]

Any other destination gets the happy path. These destinations get a scripted answer instead:

    destination     on      answer
    +15005550200    send    400, error 60200 (invalid parameter To)
    +15005550205    send    403, error 60205 (landline: SMS not supported)
    +15005550203    send    429, error 60203 (max send attempts reached)
    +15005550212    send    429, error 60212 (too many concurrent requests)
    +15005550429    send    429, error 20429 (too many requests)
    +15005550410    send    403, error 60410 (blocked by Fraud Guard)
    +15005550605    send    403, error 60605 (geo permissions)
    +15005550223    send    400, error 60223 (channel disabled)
    +15005550003    send    401, error 20003 (authentication failed)
    +15005550500    send    HTTP 500, Twilio error body (code 20500)
    +15005550502    send    HTTP 502, an HTML page (not JSON)
    +15005550999    send    hang: never answers (the client's timeout must end it)
    +15005551202    check   429, error 60202 (max check attempts reached)
    +15005551404    check   404, error 20404 (verification expired or gone)
    +15005551429    check   429, error 20429 (too many requests)
    +15005551500    check   HTTP 500, Twilio error body (code 20500)
    +15005551999    check   hang: never answers

Scripted check answers apply to every check of that destination's verifications; its sends
succeed, so the call gets as far as asking for the code.

It answers Lookup v2 too (`GET /v2/PhoneNumbers/{number}?Fields=…`, app/twilio/standin_lookup.py's
answers, after `--lookup-latency` seconds, by default `--latency`): every number a mobile, never swapped, not forwarded, except these (the last three are
the phones on file of accounts 10009206, 10008207 and 10008500 in bench/fake_crm.py):

    number          Lookup says
    +15005552205    landline
    +15005552215    landline
    +15005552206    landline, calls forwarded
    +15005552207    SIM swapped 2 hours ago
    +15005552500    HTTP 500, Twilio error body (code 20500)
    +15005552606    the package's error 60606 (package not enabled)
    +15005552999    hang: never answers
    +14155559206    landline
    +14155558207    SIM swapped 2 hours ago
    +14155558500    HTTP 500

And the Calls API (app/twilio/standin_calls.py): a call created
(`POST …/Calls.json`, a callback) is kept in `calls` for the caller of this stand-in to play.
"""

import argparse
import asyncio
import json
from collections import defaultdict
from urllib.parse import parse_qsl, unquote

from app.twilio.standin import LocalVerify, error_body
from bench.http11 import HttpError, message, read_message, serve

HANG = (None, "hang")

LOOKUPS = {
    "+15005552205": {"line_type": "landline"},
    "+15005552215": {"line_type": "landline"},
    "+15005552206": {"line_type": "landline", "forwarding": True},
    "+15005552207": {"sim_swapped_hours": 2},
    "+15005552500": {"failure": "server_error"},
    "+15005552606": {"failure": "package_not_enabled"},
    "+15005552999": {"failure": "timeout"},
    "+14155559206": {"line_type": "landline"},
    "+14155558207": {"sim_swapped_hours": 2},
    "+14155558500": {"failure": "server_error"},
}

SCENARIOS = {
    ("send", "+15005550200"): error_body(400, 60200, "Invalid parameter `To`"),
    ("send", "+15005550205"): error_body(403, 60205, "SMS is not supported by landline phone number"),
    ("send", "+15005550203"): error_body(429, 60203, "Max send attempts reached"),
    ("send", "+15005550212"): error_body(429, 60212, "Too many concurrent requests for phone number"),
    ("send", "+15005550429"): error_body(429, 20429, "Too Many Requests"),
    ("send", "+15005550410"): error_body(403, 60410, "Verification delivery attempt blocked"),
    ("send", "+15005550605"): error_body(403, 60605, "Verification delivery attempt blocked (geo permissions)"),
    ("send", "+15005550223"): error_body(400, 60223, "Delivery channel disabled: SMS"),
    ("send", "+15005550003"): error_body(401, 20003, "Authenticate"),
    ("send", "+15005550500"): error_body(500, 20500, "Internal Server Error"),
    ("send", "+15005550502"): (502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
    ("send", "+15005550999"): HANG,
    ("check", "+15005551202"): error_body(429, 60202, "Max check attempts reached"),
    ("check", "+15005551404"): error_body(404, 20404, "The requested resource was not found"),
    ("check", "+15005551429"): error_body(429, 20429, "Too Many Requests"),
    ("check", "+15005551500"): error_body(500, 20500, "Internal Server Error"),
    ("check", "+15005551999"): HANG,
}


class BenchVerify(LocalVerify):
    """Verify's rules from the local stand-in, a fixed right code, and the scripted numbers."""

    def __init__(self, code="123456"):
        super().__init__(code_length=len(code), on_send=None)
        self.code = code
        self.counts = {"send": 0, "check": 0, "lookup": 0, "call": 0}
        self.looked_up = defaultdict(list)  # the Fields of each Lookup, by number, in order
        for number, answer in LOOKUPS.items():
            self.lookup.answer(number, **answer)

    def new_code(self):
        return self.code

    def answer(self, method, path, form, query=""):
        """(status, body) for one request: a scripted answer, HANG, or Verify's, Lookup's or the Calls API's own."""
        if path.startswith("/v2/PhoneNumbers/"):
            return self._lookup(method, path, query)
        if not path.startswith("/v2/Services/"):
            self.counts["call"] += 1
            return self._own(method, path, form)
        action = "check" if path.endswith("/VerificationCheck") else "send"
        self.counts[action] += 1
        scripted = SCENARIOS.get((action, self._destination(action, form)))
        if scripted is not None:
            return scripted
        return self._own(method, path, form)

    def _own(self, method, path, form):
        # Only the benchmark's own record is needed, not the list of every request and code.
        status, body = self.handle(method, path, form)
        self.requests.clear()
        self.sent.clear()
        return status, body

    def _lookup(self, method, path, query):
        self.counts["lookup"] += 1
        number = unquote(path.rsplit("/", 1)[-1])
        self.looked_up[number].append(dict(parse_qsl(query)).get("Fields", ""))
        if LOOKUPS.get(number, {}).get("failure") == "timeout":
            return HANG
        status, body = self.lookup.handle(method, path, dict(parse_qsl(query)))
        self.lookup.requests.clear()
        return status, body

    def _destination(self, action, form):
        if action == "send":
            return form.get("To", "")
        verification = self._by_sid.get(form.get("VerificationSid", ""))
        return verification.to if verification else form.get("To", "")


class FakeVerifyServer:
    """The stand-in on a TCP port; every answer is delayed by `latency` seconds (Lookup's by `lookup_latency`, if given)."""

    def __init__(self, latency=0.5, code="123456", lookup_latency=None):
        self.latency = latency
        self.lookup_latency = latency if lookup_latency is None else lookup_latency
        self.verify = BenchVerify(code)

    async def handle(self, reader, writer):
        """Answer the requests of one connection, kept alive unless the client closes it."""
        try:
            while not reader.at_eof():
                start_line, headers, body = await read_message(reader)
                if not await self.answer(start_line, body, reader, writer, headers.get("connection") != "close"):
                    break
        except (HttpError, ValueError, ConnectionError):
            pass
        except asyncio.CancelledError:
            pass  # the stand-in is stopping with this connection kept alive: nothing to report
        finally:
            writer.close()

    async def answer(self, start_line, body, reader, writer, keep_alive):
        """Answer one request after the latency; False when the connection must end."""
        method, target, _ = start_line.split(" ", 2)
        path, _, query = target.partition("?")
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        answer = self.verify.answer(method, path, form, query)
        if answer == HANG:
            await reader.read()  # nothing, until the client gives up and closes the connection
            return False
        await asyncio.sleep(self.lookup_latency if path.startswith("/v2/PhoneNumbers/") else self.latency)
        status, payload = answer
        text = payload if isinstance(payload, str) else json.dumps(payload)
        content_type = "text/html" if isinstance(payload, str) else "application/json"
        writer.write(message(f"HTTP/1.1 {status} X", {"Content-Type": content_type}, text.encode(), keep_alive))
        await writer.drain()
        return keep_alive

    async def serve(self, host, port, ready=None):
        await serve(self.handle, host, port, ready)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds before each answer")
    parser.add_argument("--lookup-latency", type=float, help="seconds before each Lookup answer (default: --latency)")
    parser.add_argument("--code", default="123456", help="the right code for every verification")
    args = parser.parse_args(argv)
    server = FakeVerifyServer(args.latency, args.code, args.lookup_latency)

    def ready(port):
        print(f"fake Verify on http://{args.host}:{port} (latency {args.latency} s, Lookup {server.lookup_latency} s)", flush=True)

    asyncio.run(server.serve(args.host, args.port, ready))
    print(f"fake Verify stopped: {server.verify.counts}", flush=True)


if __name__ == "__main__":
    main()
