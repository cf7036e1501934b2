"""The benchmark's WSGI entry: the production app, its Verify requests sent to a local stand-in.

bench/server.py hands gunicorn `bench.served_wsgi:app` instead of the Procfile's `wsgi:app`;
nothing else changes. The app is built by the same `create_app()` with the production
configuration from the environment (Twilio credentials set); only twilio-python's HTTP layer is
replaced, through the `http_client` seam the tests use, by the app's own (app/twilio/http_client.py)
sending each request to Verify, Lookup, the Calls API or TaskRouter to BENCH_VERIFY_URL
(bench/fake_verify.py) instead. With BENCH_CRM_URL (`python -m bench.run --verify-by account`), accounts are looked up
in the CRM stand-in there (bench/fake_crm.py), over plain HTTP on this machine, which
production's ACCOUNT_LOOKUP_URL would refuse; the app is handed the source directly.
With BENCH_PROFILE (`python -m bench.run --profile`), each view is wrapped in a function named
after its URL, `bench_view[/voice]`, for bench/cpu_profile.py to tell the hops apart in a stack.
This module lives in bench/ only: no setting of the production app can switch it on.
"""

import os
from urllib.parse import urlsplit

from app import create_app
from app.storage.crm import CrmAccounts
from app.twilio.http_client import TwilioHttp

# Verify, Lookup (the risk checks), the Calls API (callbacks, an agent's moves) and TaskRouter: the stand-in plays them all.
TWILIO_HOSTS = {"verify.twilio.com", "lookups.twilio.com", "api.twilio.com", "taskrouter.twilio.com"}


class StandInVerifyClient(TwilioHttp):
    """The app's own HTTP client for Twilio, talking to `base_url` where it would talk to Twilio."""

    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        parts = urlsplit(url)
        if parts.hostname not in TWILIO_HOSTS:
            raise ValueError(f"the benchmark only stands in for Verify, Lookup, Calls and TaskRouter, not {parts.hostname}")
        local = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, local, params, data, headers, auth, timeout, allow_redirects)


def _verify_url():
    url = os.environ.get("BENCH_VERIFY_URL", "")
    if not url:
        raise RuntimeError("BENCH_VERIFY_URL is not set: start the server with bench/server.py")
    return url


def _account_source():
    """The CRM stand-in (bench/fake_crm.py) when BENCH_CRM_URL names it, reached as a real CRM is."""
    url = os.environ.get("BENCH_CRM_URL", "")
    if not url:
        return None
    return CrmAccounts(url, os.environ["BENCH_CRM_SECRET"], float(os.environ.get("ACCOUNT_LOOKUP_TIMEOUT", "2")))


def _marked(view, path):
    """`view` called through a function whose name, as a profiler sees it, is `bench_view[path]`."""

    def marked(*args, **kwargs):
        return view(*args, **kwargs)

    name = f"bench_view[{path}]"
    marked.__code__ = marked.__code__.replace(co_name=name, co_qualname=name)
    return marked


def _mark_views(flask_app):
    marked = set()
    for rule in flask_app.url_map.iter_rules():
        if rule.endpoint in flask_app.view_functions and rule.endpoint not in marked | {"static"}:
            flask_app.view_functions[rule.endpoint] = _marked(flask_app.view_functions[rule.endpoint], rule.rule)
            marked.add(rule.endpoint)


app = create_app(http_client=StandInVerifyClient(_verify_url()), account_source=_account_source())
if os.environ.get("BENCH_PROFILE"):
    _mark_views(app)
if os.environ.get("BENCH_NOTIFY_CA"):
    # The acceptance run's notify receiver has a certificate of its own: trusted here, and only here.
    import urllib3

    from app import outbound

    app.extensions["agent"]["pool"] = outbound.bounded(urllib3.PoolManager(retries=False, ca_certs=os.environ["BENCH_NOTIFY_CA"]))
    # And it listens on 127.0.0.1, which production refuses as a notify address; this run only.
    app.config["NOTIFY_ALLOW_PRIVATE"] = True
