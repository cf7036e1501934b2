"""Each webhook of a simulated call, metered: the SQL statements it ran, its requests to Twilio, its TwiML's bytes."""

import concurrent.futures
import contextlib
import dataclasses
from urllib.parse import urlsplit

import sqlalchemy

from app.calls import risk
from app.simulator.engine import FlaskTransport


@contextlib.contextmanager
def statements():
    """The SQL of every statement any engine executes inside the block, in order (a list, filled as they run)."""
    executed = []

    def seen(connection, cursor, statement, *args):
        executed.append(statement)

    # Every engine and pool the app has (the calls' autocommit one, the transactions' one), even
    # one built inside the block: the listener is on the Engine class.
    sqlalchemy.event.listen(sqlalchemy.Engine, "before_cursor_execute", seen)
    try:
        yield executed
    finally:
        sqlalchemy.event.remove(sqlalchemy.Engine, "before_cursor_execute", seen)


def twilio_requests(twilio, since=(0, 0)):
    """What a faked Twilio (tests.fakes.ScriptedVerify) was asked since `since`: the resources' names, and where it now is."""
    verify, lookup = since
    names = [path.rsplit("/", 1)[-1] for path, _ in twilio.requests[verify:]] + ["Lookup"] * len(twilio.lookup.requests[lookup:])
    return names, (len(twilio.requests), len(twilio.lookup.requests))


@dataclasses.dataclass
class Hop:
    """One webhook and what answering it cost."""

    path: str
    statements: list
    requests: list
    size: int  # bytes of the answer's body, UTF-8


class Meter(FlaskTransport):
    """Twilio's webhooks to the app through its test client, each one metered into `hops`."""

    def __init__(self, app, twilio):
        super().__init__(app)
        self.twilio = twilio
        self.hops = []

    def request(self, method, url, params, headers):
        _, asked = twilio_requests(self.twilio)
        with statements() as executed:
            status, content_type, body = super().request(method, url, params, headers)
            # Twilio speaks the answer before the next webhook: what the step asked in the
            # background (a Lookup asked ahead, app/calls/risk.py) is counted as its own.
            concurrent.futures.wait(risk._ahead.pending(), timeout=30)
        requests, _ = twilio_requests(self.twilio, since=asked)
        self.hops.append(Hop(urlsplit(url).path, executed, requests, len(body.encode())))
        return status, content_type, body
