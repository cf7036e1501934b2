"""Prometheus metrics, summed over every gunicorn worker: GET /metrics behind METRICS_TOKEN."""

import base64
import binascii
import hmac
import os
import tempfile
import time

from flask import Blueprint, abort, current_app, g, request

from app.calls import risk, security, verification
from app.storage import database, fallback, lockout, sends
from app.twilio import lookup, verify

bp = Blueprint("metrics", __name__)

# Label values come from these sets only: anything else is counted as "other".
REASONS = {
    "approved", "withheld", "invalid_number", "undeliverable", "rate_limited", "blocked",
    "country_not_allowed", "sends_capped", "unavailable", "no_input", "too_many_attempts",
    "expired", "locked", "unattested", "hung_up", "error",
    "landline", "line_type_not_supported", "sim_swapped", "lookup_unavailable", "callback_unanswered",
    "email_unavailable", "account_not_found", "account_locked", "phone_on_file_unusable",
    "unknown_accounts", "withheld_entries", "account_unavailable", "no_account_number",
}  # fmt: skip
# Lookup's results (app/twilio/lookup.py): answered, or why not.
LOOKUP_RESULTS = {"answered", "package_not_enabled", "not_covered", "not_found", "network", "http_4xx", "http_5xx", "bad_answer"}
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 15)
VERIFY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 3, 5, 10)

# The blueprints whose routes are Twilio's webhooks; their endpoints are the `step` label.
WEBHOOK_BLUEPRINTS = {"voice", "verification", "handoff"}

_metrics = {}


def init_app(app):
    """With METRICS_TOKEN set: count what happens on calls, and serve the counts at /metrics."""
    app.register_blueprint(bp)
    if not app.config["METRICS_TOKEN"]:
        return
    _define()
    app.before_request(_started)
    app.after_request(_answered)


def _define():
    """The metrics, once per process, in prometheus_client's multiprocess mode; the signals that feed them."""
    if _metrics:
        return
    # Each process writes its figures to files in this folder and a scrape sums them, so the
    # folder must be named before the first metric is made, and shared by every worker:
    # gunicorn builds the app before forking, so the workers inherit it.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="ivr-metrics-"))
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    from prometheus_client import Counter, Histogram, values

    # prometheus_client picks its kind of value when first imported: a module imported earlier
    # (a test's parser, a library) must not leave the figures in one process's memory.
    values.ValueClass = values.get_value_class()

    _metrics.update(
        started=Counter("ivr_verifications_started", "Verifications started"),
        finished=Counter("ivr_verifications_finished", "Verifications ended, by outcome and reason", ["outcome", "reason"]),
        verify_seconds=Histogram("ivr_verify_request_seconds", "Requests to Twilio Verify", ["action"], buckets=VERIFY_BUCKETS),
        verify_errors=Counter("ivr_verify_errors", "Requests to Twilio Verify that failed, by error", ["action", "error"]),
        webhook_seconds=Histogram("ivr_webhook_seconds", "Webhooks answered, by step", ["step"], buckets=WEBHOOK_BUCKETS),
        lockouts=Counter("ivr_lockouts", "Calls turned away because their number is locked out"),
        database_errors=Counter("ivr_database_errors", "Call steps that went on without the database", ["operation"]),
        fallbacks=Counter("ivr_database_fallbacks", "Lockout counts and sends taken in a worker's memory, the database unable", ["what"]),
        refusals=Counter("ivr_signature_refusals", "Webhooks refused a 403, by reason", ["reason"]),
        unreachable=Counter("ivr_database_unreachable_at_start", "Starts with the database out of reach"),
        lookups=Counter("ivr_lookups", "Lookups made before a first code, by result", ["result"]),
        lookup_cache_hits=Counter("ivr_lookup_cache_hits", "First codes whose risk checks were answered from the kept Lookups"),
    )
    # weak=False: the receivers are module functions, connected once for the process.
    verification.started.connect(_verification_started, weak=False)
    verification.finished.connect(_verification_finished, weak=False)
    verify.requested.connect(_verify_requested, weak=False)
    lockout.locked_out.connect(_locked_out, weak=False)
    database.failed.connect(_database_failed, weak=False)
    fallback.used.connect(_fallback_used, weak=False)
    security.refused.connect(_refused, weak=False)
    lookup.requested.connect(_lookup_requested, weak=False)
    risk.cache_hit.connect(_lookup_cache_hit, weak=False)


def database_unreachable_at_start():
    """Count a start with the database out of reach (when metrics are on)."""
    if _metrics:
        _metrics["unreachable"].inc()


def _verification_started(_sender):
    _metrics["started"].inc()


def _verification_finished(_sender, outcome, reason):
    _metrics["finished"].labels(outcome, reason if reason in REASONS else "other").inc()


def _verify_requested(_sender, action, seconds, error):
    _metrics["verify_seconds"].labels(action).observe(seconds)
    if error:
        _metrics["verify_errors"].labels(action, error).inc()


def _lookup_requested(_sender, outcome, seconds):
    _metrics["lookups"].labels(outcome if outcome in LOOKUP_RESULTS else "other").inc()


def _lookup_cache_hit(_sender):
    _metrics["lookup_cache_hits"].inc()


def _locked_out(_sender):
    _metrics["lockouts"].inc()


def _database_failed(_sender, what):
    # "record start", "lockout check", "send count": the first word is the part of the database.
    _metrics["database_errors"].labels(what.split(" ", 1)[0]).inc()


def _fallback_used(_sender, what):
    _metrics["fallbacks"].labels(what).inc()


def _refused(_sender, reason):
    _metrics["refusals"].labels(reason).inc()


def _started():
    g.metrics_started = time.perf_counter()


def _answered(response):
    """Time the webhooks (the app's own pages are not calls)."""
    began = g.get("metrics_started")
    if began is not None and request.blueprint in WEBHOOK_BLUEPRINTS:
        _metrics["webhook_seconds"].labels(request.endpoint).observe(time.perf_counter() - began)
    return response


@bp.get("/metrics")
def exposition():
    """The figures of every worker, in Prometheus's text format; 404 without METRICS_TOKEN, 401 without it."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    if not _authorized(request.headers.get("Authorization", ""), token):
        return "A bearer token, or basic auth with METRICS_TOKEN as the password, is needed.\n", 401, {
            "WWW-Authenticate": 'Basic realm="metrics"',
            "Content-Type": "text/plain; charset=utf-8",
        }
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(SendsThisHour(current_app.config))
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}


class SendsThisHour:
    """The codes sent this clock hour, as the database counts them for every worker and dyno, and the cap they run against."""

    def __init__(self, config):
        self.cap = sends.cap(config)

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        if self.cap:
            yield GaugeMetricFamily("ivr_send_cap_per_hour", "Codes that may be sent per clock hour", value=self.cap)
        try:
            with database.connect() as connection:
                sent = sends.sent_this_hour(connection)
        except Exception:  # noqa: BLE001 - the scrape answers without the figure the database cannot give
            return
        yield GaugeMetricFamily("ivr_codes_sent_this_hour", "Codes sent this clock hour, as the workers have reported them", value=sent)


def _authorized(header, token):
    """True for `Bearer <token>`, or `Basic` with the token as the password (any user name)."""
    scheme, _, credentials = header.partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "basic":
        try:
            credentials = base64.b64decode(credentials, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    elif scheme != "bearer":
        return False
    return hmac.compare_digest(credentials.encode(), token.encode())
