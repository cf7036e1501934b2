"""twilio-python's HTTP seam on urllib3 alone: the same requests to Twilio at half the CPU."""

import json
import urllib.request
from urllib.parse import unquote, urlencode

import certifi
import urllib3
from twilio.http import HttpClient
from twilio.http.response import Response

from app import outbound

# Connections kept open for reuse, per worker. In a burst every caller's Verify request runs at
# once; a connection the pool cannot keep is thrown away, and the next one pays a TLS handshake.
CONNECTIONS = 128
# Seconds a request may take, answer and all, when neither the request nor the client says
# (create_app sets the client's to VERIFY_TIMEOUT): none is left without a deadline.
TIMEOUT = 5.0


class TwilioHttp(HttpClient):
    """Sends twilio-python's requests through one urllib3 pool, without requests.

    twilio-python's own client goes through requests, which on every call rebuilds the request,
    merges session settings and scans the environment for proxy settings: about half the CPU of
    a Verify request (BENCHMARKS.md). Here the proxy (HTTPS_PROXY) is read once, and the CA
    bundle is requests' own (certifi). Nothing is retried: a repeated Verify send could text the
    caller twice. Errors are urllib3's: `urllib3.exceptions.TimeoutError` when Twilio has not
    answered in full within the timeout, another `urllib3.exceptions.HTTPError` when it cannot
    be reached.
    """

    def __init__(self, timeout=None, connections=CONNECTIONS):
        super().__init__(logger=None, is_async=False, timeout=timeout)
        self.pool = _pool(maxsize=connections, retries=False, ca_certs=certifi.where())

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        """One request to Twilio, answered as twilio-python expects."""
        headers = dict(headers or {})
        if auth:
            headers.update(urllib3.make_headers(basic_auth=":".join(auth)))
        if params:
            uri += "?" + urlencode(params, doseq=True)
        body = None
        if data and headers.get("Content-Type", "").endswith("json"):
            body = json.dumps(data)
        elif data:
            body = urlencode(data, doseq=True)
        seconds = timeout or self.timeout or TIMEOUT
        status, text, answered = outbound.request(
            self.pool, method.upper(), uri, seconds, body=body, headers=headers, redirect=allow_redirects
        )
        return Response(status, text.decode("utf-8", "replace"), answered)


def _pool(**options):
    """A pool straight to Twilio, or through the proxy HTTPS_PROXY names, read as requests reads it."""
    proxy = urllib.request.getproxies().get("https")
    if not proxy:
        return outbound.bounded(urllib3.PoolManager(**options))
    # A bare host:port is an http:// proxy, and credentials in the URL log in to it.
    proxy = proxy if "://" in proxy else f"http://{proxy}"
    credentials = urllib3.util.parse_url(proxy).auth
    headers = urllib3.make_headers(proxy_basic_auth=unquote(credentials)) if credentials else None
    return outbound.bounded(urllib3.ProxyManager(proxy, proxy_headers=headers, **options))
