"""Outbound HTTP (Twilio's API, the CRM) with one deadline per request, first byte to last.

urllib3's timeouts bound each read on the socket, not the answer: a server that sends a byte
just inside the read timeout holds the request, and the webhook waiting on it, as long as it
likes. Pools from `bounded()` give every read only what is left of the request's deadline;
under gevent (the Procfile's workers) the deadline also ends a slow name lookup or TLS handshake.
While a webhook is answered, all its requests together also end within WEBHOOK_BUDGET.
"""

import contextlib
import contextvars
import http.client
import io
import sys
import time

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# When the request under way in this thread (or greenlet) must have its whole answer.
_ends = contextvars.ContextVar("outbound_deadline", default=None)
# Twilio waits 15 s for a webhook's answer. One webhook may make two requests (a check that finds
# the code expired, then a new send): together they end within this, leaving time for the rest.
WEBHOOK_BUDGET = 12.0
# When every request made while answering the current webhook must be over.
_budget_ends = contextvars.ContextVar("webhook_deadline", default=None)


class DeadlinePassed(urllib3.exceptions.TimeoutError):
    """The request was not over by its deadline."""


def bounded(manager):
    """`manager` (a urllib3 PoolManager or ProxyManager), its connections reading within `request()`'s deadline."""
    manager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}
    return manager


def request(manager, method, url, seconds, longest=None, **options):
    """`method` on `url` through a `bounded()` manager; its status, body and headers, all within `seconds`.

    The body is read up to `longest` + 1 bytes if given, all of it otherwise. Past the deadline
    urllib3's TimeoutError is raised and the connection dropped; a server out of reach raises
    another urllib3 HTTPError.
    """
    budget_ends = _budget_ends.get()
    if budget_ends is not None:
        seconds = min(seconds, budget_ends - time.monotonic())
        if seconds <= 0:
            raise DeadlinePassed()
    token = _ends.set(time.monotonic() + seconds)
    try:
        with interrupted_after(seconds):
            answer = manager.request(method, url, timeout=urllib3.Timeout(total=seconds), preload_content=False, **options)
            body = answer.read(None if longest is None else longest + 1)
        answer.release_conn()
    finally:
        _ends.reset(token)
    return answer.status, body, answer.headers


def open_webhook_budget():
    """From now on, the requests this thread (or greenlet) makes share WEBHOOK_BUDGET seconds."""
    _budget_ends.set(time.monotonic() + WEBHOOK_BUDGET)


def close_webhook_budget(_error=None):
    """Requests made from now on (a command, another request) are bounded only by their own deadline."""
    _budget_ends.set(None)


@contextlib.contextmanager
def interrupted_after(seconds, error=None):
    """Under gevent, end the block after `seconds` wherever it waits, raising `error` (DeadlinePassed).

    Threads have no such interrupt; there the socket's own timeouts are the limit. Whatever the
    block was using (urllib3's connection, SQLAlchemy's) is dropped, not reused.
    """
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("socket"):
        yield
        return
    from gevent import Timeout

    timer = Timeout(seconds)
    timer.start()
    try:
        yield
    except Timeout as expired:
        if expired is not timer:
            raise
        raise (error or DeadlinePassed)() from None
    finally:
        timer.close()


class _Reads(io.RawIOBase):
    """A socket's reads (through its file, `raw`), each allowed only the time left before the deadline."""

    def __init__(self, raw, sock, ends):
        self._raw, self._sock, self._ends = raw, sock, ends

    def readable(self):
        return True

    def readinto(self, buffer):
        left = self._ends - time.monotonic()
        if left <= 0:
            # A socket timeout: urllib3 turns it into ReadTimeoutError and drops the connection.
            raise TimeoutError("the request's deadline passed")
        self._sock.settimeout(left)
        return self._raw.readinto(buffer)

    def close(self):
        # The socket's file holds it open for the answer, as http.client expects.
        self._raw.close()
        super().close()


class _Answer(http.client.HTTPResponse):
    """http.client's answer (status line, headers, body) read within the request's deadline."""

    def __init__(self, sock, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        ends = _ends.get()
        if ends is not None:
            self.fp = io.BufferedReader(_Reads(self.fp.detach(), sock, ends))


class _Connection(HTTPConnection):
    response_class = _Answer


class _TlsConnection(HTTPSConnection):
    response_class = _Answer


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _TlsConnection
