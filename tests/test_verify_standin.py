"""The local Verify stand-in keeps Verify's rules where a call meets them."""

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from app import create_app
from app.twilio.standin import LocalVerify
from config import Config, DevelopmentConfig

SERVICE = "VA" + "0" * 32
PHONE = "+14155550106"


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def standin(clock):
    return LocalVerify(on_send=None, clock=clock)


@pytest.fixture
def verify(standin):
    """Verify v2 through twilio-python, answered by the stand-in."""
    return Client("AC" + "0" * 32, "token", http_client=standin).verify.v2.services(SERVICE)


def send(verify, to=PHONE):
    return verify.verifications.create(to=to, channel="sms")


def check(verify, code, to=PHONE):
    return verify.verification_checks.create(to=to, code=code)


def refused(call, *args):
    with pytest.raises(TwilioRestException) as raised:
        call(*args)
    return raised.value.status, raised.value.code


def test_a_code_of_the_configured_length_is_sent(clock):
    standin = LocalVerify(code_length=8, on_send=None, clock=clock)
    verify = Client("AC" + "0" * 32, "token", http_client=standin).verify.v2.services(SERVICE)
    assert send(verify).status == "pending"
    code = standin.last_code(PHONE)
    assert len(code) == 8 and code.isdigit()


def test_codes_are_random(standin, verify):
    for number in range(20):
        send(verify, to=f"+1415555{number:04d}")
    assert len({code for _, code in standin.sent}) > 1


def test_the_right_code_is_approved_and_then_the_verification_is_gone(standin, verify):
    send(verify)
    assert check(verify, standin.last_code()).status == "approved"
    assert refused(check, verify, standin.last_code()) == (404, 20404)


def test_a_wrong_code_is_pending_not_an_error(standin, verify):
    send(verify)
    wrong = "000000" if standin.last_code() != "000000" else "111111"
    result = check(verify, wrong)
    assert (result.status, result.valid) == ("pending", False)


def test_five_checks_then_too_many_attempts(standin, verify):
    send(verify)
    wrong = "000000" if standin.last_code() != "000000" else "111111"
    for _ in range(5):
        assert check(verify, wrong).status == "pending"
    assert refused(check, verify, standin.last_code()) == (429, 60202)
    assert refused(check, verify, standin.last_code()) == (404, 20404)


def test_a_resend_inside_ten_minutes_sends_the_same_code(standin, verify, clock):
    send(verify)
    clock.now += 9 * 60
    send(verify)
    assert [code for _, code in standin.sent] == [standin.sent[0][1]] * 2


def test_the_code_expires_after_ten_minutes(standin, verify, clock):
    send(verify)
    clock.now += 10 * 60
    assert refused(check, verify, standin.last_code()) == (404, 20404)


def test_a_send_after_expiry_starts_a_new_verification(standin, verify, clock):
    first = send(verify)
    clock.now += 10 * 60
    assert send(verify).sid != first.sid
    assert check(verify, standin.last_code()).status == "approved"


def test_five_sends_per_ten_minutes(verify, clock):
    for _ in range(5):
        send(verify)
    assert refused(send, verify) == (429, 60203)
    clock.now += 10 * 60
    assert send(verify).status == "pending"


def test_a_number_verify_cannot_text_is_refused(verify):
    assert refused(send, verify, "12345") == (400, 60200)


def test_each_code_is_printed_labelled_with_the_number_masked(capsys, clock):
    standin = LocalVerify(clock=clock)
    send(Client("AC" + "0" * 32, "token", http_client=standin).verify.v2.services(SERVICE))
    printed = capsys.readouterr().err
    assert printed == f"[local Verify stand-in] [SMS to +1•••••••06] Your verification code is {standin.last_code()}\n"
    assert PHONE not in printed


def test_the_app_uses_it_only_without_credentials():
    app = create_app(DevelopmentConfig, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", TWILIO_VERIFY_SERVICE_SID="")
    assert isinstance(app.extensions["twilio_client"].http_client, LocalVerify)
    assert app.extensions["twilio_client"].http_client.code_length == app.config["CODE_LENGTH"]


def test_production_refuses_it_even_when_handed_over():
    settings = {
        "SECRET_KEY": "a-long-enough-production-secret",
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_VERIFY_SERVICE_SID": "VA" + "1" * 32,
    }
    with pytest.raises(RuntimeError, match="cannot be used in production"):
        create_app(Config, http_client=LocalVerify(), USE_LOCAL_VERIFY=True, **settings)
