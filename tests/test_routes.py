"""Every route the app serves, and what it takes to get past its door: nothing else is open."""

import pytest

from tests.test_metrics import TOKEN
from tests.test_security import FIELDS

# A Twilio signature: the webhooks.
SIGNED = {
    "/voice",
    "/voice/outcome",
    "/voice/fallback",
    "/voice/status",
    "/verification/start",
    "/verification/language",
    "/verification/channel",
    "/verification/check",
    "/handoff/whisper",
}
# METRICS_TOKEN, as a bearer token or basic-auth password.
TOKEN_ONLY = {"/metrics"}
# Nothing: the health checks, which reveal nothing, and Flask's static files (there are none).
OPEN = {"/healthz", "/readyz", "/static/<path:filename>"}


@pytest.fixture
def app(make_app):
    return make_app(METRICS_TOKEN=TOKEN)


def test_every_route_is_in_exactly_one_of_the_lists(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules == SIGNED | TOKEN_ONLY | OPEN
    assert not (SIGNED & TOKEN_ONLY or SIGNED & OPEN or TOKEN_ONLY & OPEN)


@pytest.mark.parametrize("route", sorted(SIGNED))
def test_a_webhook_without_a_signature_is_refused(app, route):
    assert app.test_client().post(route, data=FIELDS).status_code == 403


@pytest.mark.parametrize("route", sorted(TOKEN_ONLY))
def test_the_metrics_without_the_token_are_refused(app, route):
    assert app.test_client().get(route).status_code == 401


@pytest.mark.parametrize("route", ["/healthz", "/readyz"])
def test_the_health_checks_are_open(app, route):
    assert app.test_client().get(route).status_code == 200


def test_there_are_no_static_files(app):
    assert app.test_client().get("/static/app.js").status_code == 404
