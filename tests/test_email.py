"""Email for account holders: offered by account when the account has an address, and instead of a phone no text reaches."""

import logging

import pytest

from tests.conftest import BACKENDS
from tests.fakes import verify_error

ACCOUNT = "12345678"
ON_FILE = "+14155550142"
ADDRESS = "jane.doe@example.com"
SMS_AND_EMAIL = {"VERIFY_BY": "account", "CHANNELS": "sms,email"}
LANDLINE = verify_error(403, 60205, "SMS is not supported by landline phone number")
EMAIL_ERRORS = [
    verify_error(400, 60217, "Invalid Service configuration"),
    verify_error(400, 60218, "SendGrid Template is not active"),
    verify_error(400, 60219, "SendGrid Template does not contain required placeholders"),
    verify_error(403, 60222, "SendGrid from address does not match a verified Sender Identity"),
]


@pytest.fixture
def by_account(make_app):
    """An app verifying by account, with ACCOUNT on file at ON_FILE and, unless told otherwise, ADDRESS."""

    def build(email=ADDRESS, **settings):
        app = make_app(**{**SMS_AND_EMAIL, **settings})
        extra = ["--email", email] if email else []
        result = app.test_cli_runner().invoke(args=["accounts", "add", ACCOUNT, ON_FILE, *extra])
        assert result.exit_code == 0, result.output
        return app

    return build


def sends(verify):
    return [form for path, form in verify.requests if path.endswith("/Verifications")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_menu_offers_the_email_on_file_and_the_code_sent_there_verifies(by_account, call, verify, records):
    caller = call(target=by_account())
    caller.press(ACCOUNT + "#")
    assert caller.heard("How should we send your code? For a text message, press 1.")
    assert caller.heard("For an email to the address on file at example dot com, press 2.")
    assert verify.sent == []

    caller.press("2")

    assert sends(verify) == [{"To": ADDRESS, "Channel": "email"}]
    assert caller.heard("We have sent an email with a 6 digit code to the email address on file at example dot com.")
    assert "[Email to j•••@example.com] Your verification code is" in caller.transcript()
    caller.press(caller.last_code)
    assert caller.heard("Thank you. You are verified as the account holder.")
    assert (records()[-1]["channel"], records()[-1]["outcome"], records()[-1]["number_masked"]) == ("email", "approved", "+1•••••••42")


@pytest.mark.parametrize("on_file", [{"line_type": "landline"}, {"forwarding": True}, {"sim_swapped_hours": 0.5}])
def test_a_caller_who_chooses_email_is_not_overruled_by_the_phone_on_files_risks(by_account, call, verify, records, on_file):
    verify.lookup.answer(ON_FILE, **on_file)
    caller = call(target=by_account(RISK_CHECKS="line_type,sim_swap,call_forwarding"))
    caller.press(ACCOUNT + "#")
    caller.press("2")
    assert caller.heard("We have sent an email with a 6 digit code to the email address on file at example dot com.")
    assert verify.lookup.requests == []  # the code does not go to the phone: nothing asked of it
    caller.press(caller.last_code)
    assert (records()[-1]["channel"], records()[-1]["outcome"], records()[-1]["line_type"]) == ("email", "approved", None)


def test_a_phone_on_file_that_cannot_take_a_text_gets_the_code_by_email(by_account, call, verify, records):
    verify.script("send", LANDLINE)
    caller = call(target=by_account())
    caller.press(ACCOUNT + "#")
    caller.press("1")
    assert caller.heard("The phone number on your account cannot receive text messages.")
    assert caller.heard("We have sent an email with a 6 digit code to the email address on file at example dot com.")
    assert [(form["To"], form["Channel"]) for form in sends(verify)] == [(ON_FILE, "sms"), (ADDRESS, "email")]
    caller.press(caller.last_code)
    assert caller.heard("You are verified as the account holder.")
    assert (records()[-1]["channel"], records()[-1]["outcome"]) == ("email", "approved")


def test_with_the_callback_on_no_email_is_sent_instead(by_account, call, verify, records):
    verify.script("send", LANDLINE)
    caller = call(target=by_account(CALLBACK="on", RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US"))
    caller.press(ACCOUNT + "#")
    caller.press("1")
    assert caller.heard("We cannot send a code to the phone number on your account")
    assert len(sends(verify)) == 1
    assert records()[-1]["reason"] == "phone_on_file_unusable"


def test_without_an_address_on_file_the_call_goes_as_before(by_account, call, verify, records):
    verify.script("send", LANDLINE)
    caller = call(target=by_account(email=None))
    caller.press(ACCOUNT + "#")
    assert not caller.heard("How should we send your code?")
    assert caller.heard("We cannot send a code to the phone number on your account, so we cannot verify you this way.")
    assert [form["Channel"] for form in sends(verify)] == ["sms"]
    assert records()[-1]["reason"] == "phone_on_file_unusable"


def test_verified_by_caller_id_email_is_never_offered(make_app, call, verify):
    caller = call(target=make_app(CHANNELS="sms,email"))
    assert not caller.heard("email")
    assert sends(verify)[-1] == {"To": "+14155552671", "Channel": "sms"}


@pytest.mark.parametrize("error", EMAIL_ERRORS, ids=lambda answer: str(answer[1]["code"]))
def test_an_email_verify_cannot_send_offers_the_text_message_again(by_account, call, verify, error):
    verify.script("send", error)
    caller = call(target=by_account())
    caller.press(ACCOUNT + "#")
    caller.press("2")
    assert caller.heard("We cannot send a code by email right now.")
    assert caller.heard("For a text message, press 1.")
    assert not caller.heard("For an email")


@pytest.mark.parametrize("error", EMAIL_ERRORS, ids=lambda answer: str(answer[1]["code"]))
def test_an_email_error_after_a_landline_ends_with_email_unavailable(by_account, call, verify, records, error):
    verify.script("send", LANDLINE, error)
    caller = call(target=by_account(FAILURE_NEXT_STEP="+14155550100"))
    caller.press(ACCOUNT + "#")
    caller.press("1")
    assert caller.heard("We cannot send a code by email right now, so we cannot verify you this way.")
    assert caller.dialed == ["+14155550100"]
    assert caller.agent_heard == ["Caller not verified: the code could not be sent to the email on file."]
    assert records()[-1]["reason"] == "email_unavailable"


def test_the_spanish_caller_hears_the_domain_in_spanish(by_account, call, verify):
    caller = call(target=by_account(LANGUAGES="en-US,es-MX"))
    caller.press("2")
    caller.press(ACCOUNT + "#")
    assert caller.heard("Para recibirlo en su correo electrónico registrado en example punto com, oprima 2.")
    caller.press("2")
    assert sends(verify)[-1] == {"To": ADDRESS, "Channel": "email", "Locale": "es"}
    assert caller.heard("a su dirección registrada en example punto com")


def test_the_address_is_never_in_a_log_line_or_a_url(by_account, call, verify, caplog):
    caplog.set_level(logging.DEBUG)
    verify.script("send", LANDLINE)
    caller = call(target=by_account())
    caller.press(ACCOUNT + "#")
    caller.press("1")
    caller.press(caller.last_code)
    assert caller.heard("verified")
    webhooks = [event for event in caller.events if event.kind == "webhook"]
    assert webhooks and all(ADDRESS not in event.text and ADDRESS not in event.attrs["twiml"] for event in webhooks)
    assert "j•••@example.com" in caplog.text
    assert ADDRESS not in caplog.text and "jane.doe" not in caplog.text


def test_an_address_that_is_none_is_not_offered(make_app, call, verify):
    from app import create_app
    from app.storage.accounts import OnFile
    from config import TestConfig

    class Source:
        def on_file(self, account_number, call_sid="-"):
            return OnFile(ON_FILE, "not an address")

    app = create_app(TestConfig, http_client=verify, account_source=Source(), **SMS_AND_EMAIL)
    caller = call(target=app)
    caller.press(ACCOUNT + "#")
    assert not caller.heard("email")
    assert sends(verify) == [{"To": ON_FILE, "Channel": "sms"}]


def test_a_phone_on_file_lookup_calls_a_landline_gets_the_code_by_email_with_no_text_tried(by_account, call, verify, records):
    verify.lookup.answer(ON_FILE, line_type="landline")
    caller = call(target=by_account(RISK_CHECKS="line_type"))
    caller.press(ACCOUNT + "#")
    caller.press("1")
    assert verify.lookup.requests == [(ON_FILE, "line_type_intelligence")]
    assert caller.heard("The phone number on your account cannot receive text messages.")
    assert [(form["To"], form["Channel"]) for form in sends(verify)] == [(ADDRESS, "email")]
    caller.press(caller.last_code)
    assert caller.heard("You are verified as the account holder.")
    record = records()[-1]
    assert (record["channel"], record["outcome"], record["line_type"], record["method"]) == ("email", "approved", "landline", "account")


def test_from_a_studio_flow_with_the_callback_on_a_landline_on_file_gets_the_code_by_email(by_account, call, verify):
    # A Studio flow's call cannot end with a callback's promise: the email on file is its way.
    verify.lookup.answer(ON_FILE, line_type="landline")
    app = by_account(RISK_CHECKS="line_type", CALLBACK="on", ALLOWED_COUNTRIES="US", VERDICT_SIGNING_KEY="a-shared-secret-the-studio-flow-also-knows-0123")
    caller = call(target=app, url=f"https://ivr.example.com/studio/verify?flow=FW{'0' * 32}&account={ACCOUNT}")
    caller.press("1")
    assert not caller.heard("call this number back")
    assert [(form["To"], form["Channel"]) for form in sends(verify)] == [(ADDRESS, "email")]
    caller.press(caller.last_code)
    assert caller.studio_return["verified"] == "true"
