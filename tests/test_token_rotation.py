"""Rotating the auth token drops no call; webhooks signed with a SharedKey (HMAC-SHA256) get in too."""

import base64
import hashlib
import hmac

import pytest
from twilio.request_validator import RequestValidator

from app import create_app
from config import SettingsError, TestConfig
from tests.test_metrics import TOKEN, figure

OLD, NEW = "the-old-auth-token-0001", "the-new-auth-token-0002"
SHARED_KEY = "webhook-shared-key-secret-0003"
URL = "https://ivr.example.com/voice/status"
FORM = {"CallSid": "CA" + "2" * 32, "From": "+14155552671", "To": "+15005550006", "CallStatus": "completed"}
SHA256 = {"X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_01,algorithm=HMAC_SHA256"}


def sha256_signature(secret, url, form):
    """Twilio's HMAC-SHA256 webhook signature: the URL, then each field's name and value in name order."""
    payload = url + "".join(name + form[name] for name in sorted(form))
    return base64.b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()).decode()


def post(app, signature, headers=None):
    headers = {"X-Twilio-Signature": signature, **(headers or {})}
    return app.test_client().post(URL, data=FORM, headers=headers).status_code


@pytest.fixture
def rotating(make_app):
    """Mid-rotation: the new token is primary in the console, the old one still signs some webhooks."""
    return make_app(TWILIO_AUTH_TOKEN=NEW, TWILIO_AUTH_TOKEN_SECONDARY=OLD)


@pytest.mark.parametrize("token", [NEW, OLD])
def test_a_whole_call_signed_with_either_token_is_verified_mid_rotation(rotating, call, token):
    caller = call(target=rotating, auth_token=token)
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_a_token_neither_primary_nor_secondary_is_refused(rotating, call):
    assert post(rotating, RequestValidator("some-other-token-9999").compute_signature(URL, FORM)) == 403


def test_once_the_secondary_is_unset_the_old_token_is_refused(make_app):
    app = make_app(TWILIO_AUTH_TOKEN=NEW)
    assert post(app, RequestValidator(OLD).compute_signature(URL, FORM)) == 403
    assert post(app, RequestValidator(NEW).compute_signature(URL, FORM)) == 204


def test_a_webhook_signed_with_the_shared_key_by_hmac_sha256_is_accepted(make_app):
    app = make_app(TWILIO_WEBHOOK_SHARED_KEY=SHARED_KEY)
    assert post(app, sha256_signature(SHARED_KEY, URL, FORM), SHA256) == 204


@pytest.mark.parametrize(
    "signature, headers",
    [
        (sha256_signature("not-the-shared-key-000", URL, FORM), SHA256),  # another key
        (sha256_signature(SHARED_KEY, URL + "?x=1", FORM), SHA256),  # another URL
        (sha256_signature(SHARED_KEY, URL, FORM), {}),  # SHA-256 with no header saying so
        (RequestValidator(SHARED_KEY).compute_signature(URL, FORM), SHA256),  # SHA-1 where SHA-256 is said
        (sha256_signature(SHARED_KEY, URL, FORM), {"X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_MD5"}),
    ],
)
def test_a_sha256_signature_that_does_not_hold_is_refused(make_app, signature, headers):
    app = make_app(TWILIO_WEBHOOK_SHARED_KEY=SHARED_KEY)
    assert post(app, signature, headers) == 403


def test_a_shared_key_signature_is_refused_when_no_shared_key_is_set(app):
    assert post(app, sha256_signature(SHARED_KEY, URL, FORM), SHA256) == 403


def test_refusals_stay_403_and_are_counted(make_app):
    app = make_app(TWILIO_AUTH_TOKEN=NEW, TWILIO_AUTH_TOKEN_SECONDARY=OLD, METRICS_TOKEN=TOKEN)
    before = figure(app, "ivr_signature_refusals_total", reason="invalid")
    assert post(app, RequestValidator("some-other-token-9999").compute_signature(URL, FORM)) == 403
    assert figure(app, "ivr_signature_refusals_total", reason="invalid") == before + 1


@pytest.mark.parametrize("name", ["TWILIO_AUTH_TOKEN_SECONDARY", "TWILIO_WEBHOOK_SHARED_KEY", "METRICS_TOKEN"])
def test_a_short_secret_is_refused_at_start_in_one_line(verify, name):
    with pytest.raises(SettingsError, match=f"^{name} is too short: use at least 16 characters$"):
        create_app(TestConfig, http_client=verify, **{name: "short"})
