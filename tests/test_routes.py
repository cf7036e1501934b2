"""Every route the app serves, and what it takes to get past its door: nothing else is open."""

import pytest
from werkzeug.security import generate_password_hash

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
    "/account/language",
    "/account/entered",
    "/studio/verify",
    "/studio/return",
    "/callback/answer",
    "/callback/answer/key",
    "/callback/status",
    "/agent/start",
    "/agent/return",
}
# METRICS_TOKEN, as a bearer token or basic-auth password.
TOKEN_ONLY = {"/metrics"}
# API_TOKEN, as a bearer token: the API, there only once API_TOKEN is set.
API_TOKEN_ONLY = {"/api/v1/calls/<call_sid>/verification"}
# The supervisor's login: the pages of /admin, there only once ADMIN_PASSWORD_HASH is set.
ADMIN_LOGIN = {"/admin/", "/admin/report.csv", "/admin/unlock", "/admin/logout"}
# Nothing: the health checks, which reveal nothing, the login form and stylesheets.
OPEN = {"/healthz", "/readyz", "/static/<path:filename>", "/admin/login", "/admin/static/<path:filename>", "/api/v1/openapi.json"}
LISTS = (SIGNED, TOKEN_ONLY, API_TOKEN_ONLY, ADMIN_LOGIN, OPEN)


@pytest.fixture
def app(make_app):
    return make_app(METRICS_TOKEN=TOKEN, API_TOKEN=TOKEN, ADMIN_PASSWORD_HASH=generate_password_hash("a-supervisor-password"))


def test_every_route_is_in_exactly_one_of_the_lists(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules == set().union(*LISTS)
    assert sum(len(routes) for routes in LISTS) == len(rules)


@pytest.mark.parametrize("route", sorted(ADMIN_LOGIN))
def test_a_supervisor_page_without_the_login_is_refused(app, route):
    method = "post" if route in {"/admin/unlock", "/admin/logout"} else "get"
    answer = getattr(app.test_client(), method)(route)
    assert answer.status_code in {302, 400, 401, 403}
    assert answer.status_code != 302 or answer.headers["Location"].endswith("/admin/login")


@pytest.mark.parametrize("route", sorted(SIGNED))
def test_a_webhook_without_a_signature_is_refused(app, route):
    assert app.test_client().post(route, data=FIELDS).status_code == 403


@pytest.mark.parametrize("route", sorted(API_TOKEN_ONLY))
def test_the_api_without_its_token_is_refused(app, route):
    assert app.test_client().post(route.replace("<call_sid>", FIELDS["CallSid"]), json={}).status_code == 401


@pytest.mark.parametrize("route", sorted(TOKEN_ONLY))
def test_the_metrics_without_the_token_are_refused(app, route):
    assert app.test_client().get(route).status_code == 401


@pytest.mark.parametrize("route", ["/healthz", "/readyz"])
def test_the_health_checks_are_open(app, route):
    assert app.test_client().get(route).status_code == 200


def test_there_are_no_static_files(app):
    assert app.test_client().get("/static/app.js").status_code == 404
