"""`flask twilio configure`: one command points a Twilio number at this server."""

import pytest

from app import create_app
from config import DevelopmentConfig, TestConfig
from tests.fakes import REFUSED, FakeNumbers

ACCOUNT = "AC" + "1" * 32
NUMBER = "+14155550100"
URL = "https://abc.ngrok-free.app"


@pytest.fixture
def twilio():
    return FakeNumbers(ACCOUNT, numbers=["+14155550199", NUMBER])


def configure(twilio, *args, **settings):
    app = create_app(TestConfig, http_client=twilio, TWILIO_ACCOUNT_SID=ACCOUNT, **settings)
    return app.test_cli_runner().invoke(args=["twilio", "configure", *args])


def webhooks(twilio, number=NUMBER):
    found = next(n for n in twilio.numbers if n["phone_number"] == number)
    return {key: found[key] for key in ("voice_url", "voice_method", "voice_fallback_url", "voice_fallback_method", "status_callback", "status_callback_method")}


def test_the_number_is_pointed_at_the_server(twilio):
    result = configure(twilio, "--number", NUMBER, "--url", URL)
    assert result.exit_code == 0, result.output
    assert webhooks(twilio) == {
        "voice_url": f"{URL}/voice",
        "voice_method": "POST",
        "voice_fallback_url": f"{URL}/voice/fallback",
        "voice_fallback_method": "POST",
        "status_callback": f"{URL}/voice/status",
        "status_callback_method": "POST",
    }
    assert webhooks(twilio, "+14155550199")["voice_url"] == "https://demo.twilio.com/welcome/voice/"


@pytest.mark.parametrize("given", [URL, f"{URL}/", f"{URL}/voice", f"{URL}/voice/"])
def test_the_base_url_or_the_voice_url_is_taken(twilio, given):
    result = configure(twilio, "--number", NUMBER, "--url", given)
    assert result.exit_code == 0, result.output
    assert webhooks(twilio)["voice_url"] == f"{URL}/voice"
    assert webhooks(twilio)["voice_fallback_url"] == f"{URL}/voice/fallback"


def test_a_server_under_a_path_keeps_it(twilio):
    configure(twilio, "--number", NUMBER, "--url", "https://example.com/ivr/voice")
    assert webhooks(twilio)["status_callback"] == "https://example.com/ivr/voice/status"


def test_it_shows_what_it_will_set_before_setting_it(twilio, monkeypatch):
    answer = twilio.request

    def refuse_updates(method, uri, *args, **kwargs):
        if method.upper() == "POST":
            raise REFUSED
        return answer(method, uri, *args, **kwargs)

    monkeypatch.setattr(twilio, "request", refuse_updates)
    result = configure(twilio, "--number", NUMBER, "--url", URL)
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == ["Twilio number +1•••••••00:", f"  VoiceUrl              https://demo.twilio.com/welcome/voice/ -> {URL}/voice"]
    assert result.output.splitlines()[-1] == "Error: Could not reach Twilio (NewConnectionError); check the network and try again"


def test_it_says_what_it_changed(twilio):
    output = configure(twilio, "--number", NUMBER, "--url", URL + "/").output
    assert output.splitlines() == [
        "Twilio number +1•••••••00:",
        f"  VoiceUrl              https://demo.twilio.com/welcome/voice/ -> {URL}/voice",
        "  VoiceMethod           POST (unchanged)",
        f"  VoiceFallbackUrl      (none) -> {URL}/voice/fallback",
        "  VoiceFallbackMethod   POST (unchanged)",
        f"  StatusCallback        (none) -> {URL}/voice/status",
        "  StatusCallbackMethod  POST (unchanged)",
        "Updated.",
    ]
    assert NUMBER not in output


def test_it_finds_the_number_by_listing_then_updates_it(twilio):
    configure(twilio, "--number", NUMBER, "--url", URL)
    (list_method, list_path, list_params, _), (update_method, update_path, _, form) = twilio.requests
    assert (list_method, list_path) == ("GET", f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json")
    assert list_params["PhoneNumber"] == NUMBER
    assert (update_method, update_path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/PN{1:032x}.json")
    assert form["VoiceUrl"] == f"{URL}/voice" and form["StatusCallbackMethod"] == "POST"


def test_a_dry_run_changes_nothing(twilio):
    result = configure(twilio, "--number", NUMBER, "--url", URL, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"https://demo.twilio.com/welcome/voice/ -> {URL}/voice" in result.output
    assert "Dry run: nothing was changed." in result.output
    assert [method for method, *_ in twilio.requests] == ["GET"]
    assert webhooks(twilio)["voice_url"] == "https://demo.twilio.com/welcome/voice/"


def test_running_it_again_changes_nothing(twilio):
    configure(twilio, "--number", NUMBER, "--url", URL)
    result = configure(twilio, "--number", NUMBER, "--url", URL)
    assert "Nothing to change." in result.output
    assert [method for method, *_ in twilio.requests] == ["GET", "POST", "GET"]


def test_a_number_not_in_the_account(twilio):
    result = configure(twilio, "--number", "+14155550123", "--url", URL)
    assert result.exit_code == 1
    assert "Error: +1•••••••23 is not a phone number of this Twilio account" in result.output


def test_bad_credentials():
    result = configure(FakeNumbers(ACCOUNT, [NUMBER], refuse_credentials=True), "--number", NUMBER, "--url", URL)
    assert result.exit_code == 1
    assert "Twilio refused the credentials (error 20003)" in result.output


@pytest.mark.parametrize("url", ["http://abc.ngrok-free.app", "abc.ngrok-free.app", "https://", "https://x.app/?a=1"])
def test_only_a_plain_https_base_url(twilio, url):
    result = configure(twilio, "--number", NUMBER, "--url", url)
    assert result.exit_code == 1
    assert "--url" in result.output
    assert twilio.requests == []


def test_a_number_that_is_not_e164(twilio):
    result = configure(twilio, "--number", "415-555-0100", "--url", URL)
    assert result.exit_code == 1
    assert "+E.164" in result.output


def test_no_credentials_configured():
    app = create_app(DevelopmentConfig, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", TWILIO_VERIFY_SERVICE_SID="")
    result = app.test_cli_runner().invoke(args=["twilio", "configure", "--number", NUMBER, "--url", URL])
    assert result.exit_code == 1
    assert "No Twilio credentials: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in result.output


def test_an_account_without_a_verify_service_can_still_configure_its_number(monkeypatch):
    app = create_app(DevelopmentConfig, TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN="real-token", TWILIO_VERIFY_SERVICE_SID="")
    fake = FakeNumbers(ACCOUNT, [NUMBER])
    monkeypatch.setattr("app.cli.twilio_number.TwilioHttp", lambda timeout: fake)
    result = app.test_cli_runner().invoke(args=["twilio", "configure", "--number", NUMBER, "--url", URL])
    assert result.exit_code == 0, result.output
    assert webhooks(fake)["voice_url"] == f"{URL}/voice"



def test_another_twilio_error_is_named_by_its_code(twilio, monkeypatch):
    # Every request lands on a path the API does not have: Twilio's 404, error 20404.
    monkeypatch.setattr(twilio, "request", lambda *args, **kwargs: FakeNumbers.request(twilio, "GET", "/nowhere"))
    result = configure(twilio, "--number", NUMBER, "--url", URL)
    assert result.exit_code == 1
    assert "Twilio answered HTTP 404, error 20404: see https://www.twilio.com/docs/errors/20404" in result.output


def test_twilio_out_of_reach_is_said_in_one_line(twilio, monkeypatch):
    def refused(*args, **kwargs):
        raise REFUSED

    monkeypatch.setattr(twilio, "request", refused)
    result = configure(twilio, "--number", NUMBER, "--url", URL)
    assert result.exit_code == 1
    assert "Could not reach Twilio (NewConnectionError); check the network and try again" in result.output
    assert "Traceback" not in result.output


def test_a_plain_http_url_is_named_before_credentials():
    app = create_app(DevelopmentConfig, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", TWILIO_VERIFY_SERVICE_SID="")
    result = app.test_cli_runner().invoke(args=["twilio", "configure", "--number", NUMBER, "--url", "http://abc"])
    assert result.exit_code == 1
    assert "--url must be an https:// URL" in result.output


def test_with_callback_on_a_dry_run_says_that_the_number_lacks_the_status_callback(twilio):
    result = configure(twilio, "--number", NUMBER, "--url", URL, "--dry-run", CALLBACK=True, RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US")
    assert result.exit_code == 0, result.output
    assert "CALLBACK=on, but the number's status callback is not this server's: no landline caller is called back" in result.output
    configure(twilio, "--number", NUMBER, "--url", URL)
    again = configure(twilio, "--number", NUMBER, "--url", URL, "--dry-run", CALLBACK=True, RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US")
    assert "CALLBACK=on" not in again.output and "Nothing to change." in again.output
