"""The load generator: many simulated Twilio calls at once, on one asyncio loop.

Each call does what Twilio does (app/simulator/engine.py is the thorough, synchronous version
used by the tests and `flask call`; a burst of 200 needs one that waits without a thread each): it posts the call's fields signed with X-Twilio-Signature, checks the answer
against Twilio's TwiML model, follows <Redirect>s, answers the <Gather> with the code, and ends
on <Hangup> or <Dial>. Every webhook's round trip is timed. With `speech`, it also takes the
time Twilio takes: the Says before a Redirect or a Gather's action are spoken, the digits keyed
(bench/speech.py), before the next webhook; only the round trips count as hop latency.
"""

import asyncio
import dataclasses
import time
from urllib.parse import urlencode, urljoin, urlsplit

from twilio.request_validator import RequestValidator

from app.calls.prompts import PROMPTS
from app.simulator.engine import call_fields
from app.simulator.twiml_model import validate
from bench import speech as speaking
from bench.http11 import HttpError, message, read_message

TWILIO_TIMEOUT = 15.0  # Twilio gives up on a webhook after 15 s
# What a verified caller hears (the benchmark runs in en-US), by caller ID and by account.
APPROVED = (PROMPTS["en-US"]["approved"], PROMPTS["en-US"]["approved_account"])
ACCOUNT_STEP = "/account/entered"
SERVICE_NUMBER = "+15005550006"


@dataclasses.dataclass
class Hop:
    """One webhook: where it went, what came back, how long it took."""

    path: str
    status: int
    seconds: float


@dataclasses.dataclass
class CallResult:
    hops: list
    verified: bool = False
    error: str = ""
    spoken_s: float = 0.0  # time spent speaking and keying (`speech`), between the webhooks
    ended_at: float = 0.0  # perf_counter() when the call ended, its last document spoken


async def post(url, form, signature, timeout=TWILIO_TIMEOUT):
    """POST a form; (status, body text). One connection per request."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    body = urlencode(form).encode()
    headers = {
        "Host": parts.netloc,
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
        "User-Agent": "TwilioProxy/1.1",
    }

    async def exchange():
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80, limit=256 * 1024)
        try:
            writer.write(message(f"POST {target} HTTP/1.1", headers, body))
            await writer.drain()
            start_line, _, answer = await read_message(reader)
        finally:
            writer.close()
        return int(start_line.split(" ", 2)[1]), answer.decode()

    return await asyncio.wait_for(exchange(), timeout)


class Caller:
    """One call, from ringing to hang-up, keying in `code` at every Gather."""

    def __init__(self, url, auth_token, from_, code="123456", max_webhooks=20, account="", speech=False):
        self.url = url
        self.speech = speech
        self._trailing = 0.0  # what the last document says before the call ends: spoken, but nothing waits on it
        # Keyed in, then '#', at the account step (VERIFY_BY=account).
        self.account = account
        self.validator = RequestValidator(auth_token)
        self.fields = call_fields(from_, SERVICE_NUMBER)
        self.code = code
        self.max_webhooks = max_webhooks
        self.result = CallResult(hops=[])

    async def fetch(self, url, extra=None):
        """Send one signed webhook; the TwiML root it answers with."""
        form = {**self.fields, **(extra or {})}
        signature = self.validator.compute_signature(url, form)
        began = time.perf_counter()
        try:
            status, body = await post(url, form, signature)
        except asyncio.TimeoutError:
            self.result.hops.append(Hop(urlsplit(url).path, 0, time.perf_counter() - began))
            raise CallFailed("no answer within Twilio's 15 s") from None
        except (OSError, HttpError) as error:
            self.result.hops.append(Hop(urlsplit(url).path, 0, time.perf_counter() - began))
            raise CallFailed(f"{type(error).__name__}: {error}") from None
        self.result.hops.append(Hop(urlsplit(url).path, status, time.perf_counter() - began))
        self.fields["CallStatus"] = "in-progress"
        if status != 200:
            raise CallFailed(f"HTTP {status} from {urlsplit(url).path}")
        return validate(body)

    async def run(self):
        """Place the call; its CallResult."""
        try:
            url, root = self.url, await self.fetch(self.url)
            while root is not None and len(self.result.hops) < self.max_webhooks:
                url, root = await self.perform(url, root)
        except CallFailed as failure:
            self.result.error = str(failure)
        except ValueError as error:  # InvalidTwiML
            self.result.error = f"invalid TwiML: {error}"
        self.result.ended_at = time.perf_counter() + (self._trailing if self.speech else 0.0)
        return self.result

    async def speak(self, seconds):
        """Let Twilio speak (and the caller key) for `seconds`, with `speech`."""
        if self.speech and seconds > 0:
            self.result.spoken_s += seconds
            await asyncio.sleep(seconds)

    async def perform(self, url, root):
        """Carry out one document's verbs; the next (url, document), or (url, None) at the end."""
        for verb in root:
            if verb.tag == "Say" and any(sentence in (verb.text or "") for sentence in APPROVED):
                self.result.verified = True
            elif verb.tag == "Gather":
                action = urljoin(url, verb.get("action") or url)
                keys = self.account + "#" if urlsplit(action).path == ACCOUNT_STEP else self.code
                await self.speak(speaking.seconds_before(root, verb) + speaking.keying_seconds(keys))
                if urlsplit(action).path == ACCOUNT_STEP:
                    return action, await self.fetch(action, {"Digits": self.account, "FinishedOnKey": "#"})
                return action, await self.fetch(action, {"Digits": self.code, "FinishedOnKey": ""})
            elif verb.tag == "Redirect":
                target = urljoin(url, (verb.text or "").strip())
                await self.speak(speaking.seconds_before(root, verb))
                return target, await self.fetch(target)
            elif verb.tag in {"Hangup", "Reject", "Dial"}:
                self._trailing = speaking.seconds_before(root, verb)
                return url, None
        self._trailing = speaking.document_seconds(root)
        return url, None


class CallFailed(Exception):
    """The call could not go on: no answer, a non-200 answer, or a refused connection."""


async def burst(url, auth_token, calls, code="123456", accounts=False, speech=False):
    """Place `calls` calls at the same moment, from distinct numbers; their CallResults.

    With `accounts`, caller `index` keys in account 10000000 + index (bench/fake_crm.py), whose
    phone on file is the number it calls from. With `speech`, each call takes Twilio's time to
    speak and the caller's to key (bench/speech.py) between its webhooks.
    """
    callers = [
        Caller(url, auth_token, f"+1415555{index:04d}", code, account=str(10_000_000 + index) if accounts else "", speech=speech)
        for index in range(calls)
    ]
    return await asyncio.gather(*(caller.run() for caller in callers))


async def repeat(url, form, signature, requests, concurrency):
    """POST the same signed request `requests` times, `concurrency` at a time; the statuses."""
    statuses = []
    remaining = iter(range(requests))

    async def worker():
        for _ in remaining:
            status, _ = await post(url, form, signature)
            statuses.append(status)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses
