"""A CRM stand-in for verification by account, on a real socket, answering after a set latency.

It answers the lookup docs/by-account.md describes: a POST of
{"account_number": "…"}, signed with X-Signature-Timestamp and X-Signature (HMAC-SHA256 with
`--secret`). A wrong or stale signature gets 401, as a real receiver's would. Account numbers
from 10000000 to 10009999 are on file, each with its own phone, +1415555 and the last four
digits (the benchmark's callers key them, bench/load.py); any other gets 404. Those from
10009000 on have an email address on file too (holder-<account>@example.com).

    python -m bench.fake_crm --port 8791 --latency 0.1 --secret …
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import time

from bench.http11 import HttpError, message, read_message, serve

FIRST_ACCOUNT = 10_000_000
ACCOUNTS = 10_000
# Accounts from this one on have an email address on file.
FIRST_WITH_EMAIL = 10_009_000


def account_of(index):
    """The account number the benchmark's caller number `index` keys in."""
    return str(FIRST_ACCOUNT + index)


def phone_of(account_number):
    """The phone on file for a benchmark account, or None."""
    if not account_number.isdigit() or not 0 <= int(account_number) - FIRST_ACCOUNT < ACCOUNTS:
        return None
    return f"+1415555{int(account_number) - FIRST_ACCOUNT:04d}"


def on_file(account_number, phone):
    """The CRM's answer for an account on file: its phone, and its email address if it has one."""
    if int(account_number) < FIRST_WITH_EMAIL:
        return {"phone": phone}
    return {"phone": phone, "email": f"holder-{account_number}@example.com"}


class FakeCrm:
    """The stand-in; every answer waits `latency` seconds without holding up the others."""

    def __init__(self, secret, latency=0.1):
        self.secret, self.latency = secret.encode(), latency
        self.counts = {"found": 0, "unknown": 0, "refused": 0}

    def answer(self, headers, body):
        timestamp = headers.get("x-signature-timestamp", "")
        expected = "sha256=" + hmac.new(self.secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        if not fresh or not hmac.compare_digest(expected, headers.get("x-signature", "")):
            self.counts["refused"] += 1
            return 401, {"error": "bad signature"}
        try:
            account_number = str(json.loads(body)["account_number"])
            phone = phone_of(account_number)
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "bad request"}
        self.counts["found" if phone else "unknown"] += 1
        return (200, on_file(account_number, phone)) if phone else (404, {"error": "not found"})

    async def handle(self, reader, writer):
        try:
            while not reader.at_eof():
                start_line, headers, body = await read_message(reader)
                status, payload = self.answer(headers, body)
                await asyncio.sleep(self.latency)
                keep_alive = headers.get("connection") != "close"
                writer.write(message(f"HTTP/1.1 {status} X", {"Content-Type": "application/json"}, json.dumps(payload).encode(), keep_alive))
                await writer.drain()
                if not keep_alive:
                    break
        except (HttpError, ValueError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def serve(self, host, port, ready=None):
        await serve(self.handle, host, port, ready)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each answer")
    parser.add_argument("--secret", required=True, help="ACCOUNT_LOOKUP_SECRET, to check each request's signature")
    args = parser.parse_args(argv)
    crm = FakeCrm(args.secret, args.latency)
    asyncio.run(crm.serve(args.host, args.port, lambda port: print(f"fake CRM on http://{args.host}:{port} (latency {args.latency} s)", flush=True)))
    print(f"fake CRM stopped: {crm.counts}", flush=True)


if __name__ == "__main__":
    main()
