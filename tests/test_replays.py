"""A signed request captured and posted again sends no second code and counts no second time.

Twilio's signature has no nonce: whoever sees a webhook on the wire can post it again, and it
still passes. The database tells a replay from a new step: one verification per CallSid, and a
resend only if the record's count of resends advances.
"""

from urllib.parse import urlsplit

import pytest
import sqlalchemy

from app.simulator.engine import Call, FlaskTransport
from app.storage.tables import lockouts
from tests.conftest import BACKENDS, CALLER, SERVICE_NUMBER
from tests.fakes import verify_error

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


class Wiretap(FlaskTransport):
    """Twilio's webhooks to the app, each kept as it was sent (URL, form, signature) to be posted again."""

    def __init__(self, app):
        super().__init__(app)
        self.sent = []

    def request(self, method, url, params, headers):
        self.sent.append((url, dict(params), dict(headers)))
        return super().request(method, url, params, headers)

    def replay(self, path):
        """The last webhook sent to `path`, posted again byte for byte: the TwiML it gets."""
        url, params, headers = next(sent for sent in reversed(self.sent) if urlsplit(sent[0]).path == path)
        status, _, body = super().request("POST", url, params, headers)
        assert status == 200
        return body


@pytest.fixture
def tapped(app, verify):
    """A call whose every webhook someone on the wire keeps: `caller, wire = tapped()`."""

    def dial():
        wire = Wiretap(app)
        caller = Call(wire, "https://ivr.example.com/voice", "test-auth-token", CALLER, SERVICE_NUMBER, sms_source=verify)
        return caller.start(), wire

    return dial


def lockout_count(db):
    with db.connect() as connection:
        return connection.execute(sqlalchemy.select(lockouts.c.failures)).scalar_one()


def test_the_same_signed_call_twice_sends_one_code_and_counts_once(call, verify, records, db):
    first = call(params={"CallSid": "CA" + "5" * 32})
    again = call(params={"CallSid": "CA" + "5" * 32})

    assert again.heard("we have just sent a text message")
    assert again.listening is not None
    assert len(verify.sent) == 1
    assert lockout_count(db) == 1
    assert len(records()) == 1
    first.press(first.last_code)
    assert first.heard("verified")
    assert records()[0]["reason"] == "approved"


def test_a_replayed_start_is_checked_by_number_so_a_retried_call_still_verifies(call, verify):
    # Twilio retrying a start whose answer it lost looks just like a replay: the caller is on the second.
    first = call(params={"CallSid": "CA" + "5" * 32})
    retried = call(params={"CallSid": "CA" + "5" * 32})

    retried.press(first.last_code)

    assert retried.heard("verified")
    assert verify.requests[-1][1]["To"] == CALLER
    assert "VerificationSid" not in verify.requests[-1][1]


def test_a_replayed_start_request_sends_nothing_more(tapped, verify, records, db):
    caller, wire = tapped()

    answer = wire.replay("/verification/start")

    assert "We have just sent a text message" in answer and "<Gather" in answer
    assert len(verify.sent) == 1
    assert lockout_count(db) == 1
    caller.press(caller.last_code)
    assert caller.heard("verified")
    wire.replay("/verification/start")
    assert len(verify.sent) == 1
    assert [record["reason"] for record in records()] == ["approved"]


def test_a_replayed_star_sends_nothing_more(tapped, verify, records):
    caller, wire = tapped()
    caller.press("*#")
    assert caller.heard("we have sent the code again")

    answer = wire.replay("/verification/check")

    assert "We cannot send another code on this call" in answer
    assert len(verify.sent) == 2
    assert records()[0]["resends"] == 1
    caller.press(caller.last_code)
    assert caller.heard("verified")


def test_a_replayed_expired_code_sends_no_new_one(tapped, verify):
    caller, wire = tapped()
    verify.script("check", verify_error(404, 20404), verify_error(404, 20404))
    caller.press("123456")
    assert caller.heard("that code has expired, so we have sent you a new one")

    answer = wire.replay("/verification/check")

    assert "/voice/outcome" in answer  # the verdict, without a new code
    assert len(verify.sent) == 2


def test_a_replayed_star_after_the_call_ended_sends_nothing(tapped, verify, make_app):
    caller, wire = tapped()
    caller.press("*#")
    caller.press(caller.last_code)
    assert caller.heard("verified")

    wire.replay("/verification/check")

    assert len(verify.sent) == 2


def test_without_a_database_star_still_sends_a_new_code(make_app, call, verify):
    caller = call(target=make_app(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/nothing"))
    caller.press("*#")
    assert caller.heard("we have sent the code again")
    assert len(verify.sent) == 2


def test_a_replayed_channel_choice_after_a_refusal_sends_nothing_more(make_app, verify, records):
    verify.script("send", verify_error(400, 60223, "Delivery channel disabled: WHATSAPP"))
    wire = Wiretap(make_app(CHANNELS="sms,whatsapp"))
    caller = Call(wire, "https://ivr.example.com/voice", "test-auth-token", CALLER, SERVICE_NUMBER, sms_source=verify).start()
    caller.press("2")
    assert caller.heard("cannot send a code by WhatsApp")
    caller.press("1")
    assert len(verify.sent) == 1 and records()[0]["channel"] == "sms"

    answer = wire.replay("/verification/channel")
    assert "We have just sent a text message" in answer
    assert len(verify.sent) == 1
    caller.press(caller.last_code)
    assert caller.heard("verified")
