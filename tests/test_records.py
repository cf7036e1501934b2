"""Every verification leaves one record: who (masked and hashed), when, how it went, never the code."""

import pytest

from app.numbers import fingerprint
from tests import metering
from tests.conftest import BACKENDS, CALLER
from tests.fakes import verify_error

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def test_a_verified_call_is_recorded_without_its_number_or_code(call, records):
    caller = call(params={"StirVerstat": "TN-Validation-Passed-A"})
    caller.press("000000")
    code = caller.last_code
    caller.press(code)
    assert caller.heard("verified")

    [record] = records()
    assert record["call_sid"] == caller.fields["CallSid"]
    assert record["number_masked"] == "+1•••••••71"
    assert record["number_hash"] == fingerprint(CALLER, "test-secret-key")
    assert (record["channel"], record["stir_verstat"]) == ("sms", "TN-Validation-Passed-A")
    assert (record["outcome"], record["reason"]) == ("approved", "approved")
    assert (record["attempts"], record["resends"], record["silences"]) == (2, 0, 0)
    assert record["started_at"] <= record["finished_at"]
    stored = " ".join(str(value) for value in record.values())
    assert CALLER not in stored and CALLER[1:] not in stored and code not in stored


def test_a_call_without_stir_verstat_records_none(call, records):
    call().press("")
    assert records()[0]["stir_verstat"] is None


def send_fails(code, status):
    def run(caller_of, verify):
        verify.script("send", verify_error(status, code))
        caller_of()

    return run


def silent(caller_of, verify):
    caller = caller_of()
    for _ in range(3):
        caller.silence()


def wrong_three_times(caller_of, verify):
    caller = caller_of()
    for _ in range(3):
        caller.press("000000")


def expired_twice(caller_of, verify):
    caller = caller_of()
    verify.script("check", verify_error(404, 20404), verify_error(404, 20404))
    caller.press("123456")
    caller.press("123456")


def withheld(caller_of, verify):
    caller_of(from_="anonymous")


OUTCOME_PATHS = {
    "invalid_number": send_fails(60200, 400),
    "undeliverable": send_fails(60205, 403),
    "rate_limited": send_fails(60203, 429),
    "blocked": send_fails(60410, 403),
    "unavailable": send_fails(20500, 503),
    "no_input": silent,
    "too_many_attempts": wrong_three_times,
    "expired": expired_twice,
    "withheld": withheld,
}


@pytest.mark.parametrize("reason", OUTCOME_PATHS)
def test_every_failed_verification_is_recorded_with_its_reason(call, verify, records, reason):
    OUTCOME_PATHS[reason](call, verify)
    [record] = records()
    assert (record["outcome"], record["reason"]) == ("failed", reason)
    assert record["finished_at"] is not None


def test_a_withheld_number_is_recorded_without_a_hash(call, records):
    call(from_="anonymous")
    [record] = records()
    assert (record["number_masked"], record["number_hash"]) == ("•••••••", None)


def test_counters_are_recorded(call, records):
    caller = call()
    caller.silence()
    caller.press("*#")
    caller.press("000000")
    caller.press(caller.last_code)
    [record] = records()
    assert (record["attempts"], record["resends"], record["silences"]) == (2, 1, 1)


def test_a_caller_who_hangs_up_mid_verification_is_recorded_via_the_status_callback(call, records):
    caller = call(status_callback="/voice/status")
    assert records()[0]["outcome"] is None
    caller.hang_up()
    assert caller.events[-1].kind == "status" and caller.events[-1].attrs["status"] == 204
    [record] = records()
    assert (record["outcome"], record["reason"]) == ("failed", "hung_up")
    assert record["finished_at"] is not None


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_every_ended_call_status_counts_as_hung_up(call, hang_up, records, status):
    hang_up(call(), status)
    assert records()[0]["reason"] == "hung_up"


def test_the_status_callback_leaves_a_finished_verification_alone(call, hang_up, records):
    caller = call()
    caller.press(caller.last_code)
    hang_up(caller, "completed")
    assert records()[0]["reason"] == "approved"


def test_a_status_callback_while_the_call_runs_changes_nothing(call, hang_up, records):
    caller = call()
    hang_up(caller, "in-progress")
    assert records()[0]["outcome"] is None
    caller.press(caller.last_code)
    assert records()[0]["reason"] == "approved"


def test_a_hang_up_record_shows_how_far_the_caller_got(call, records):
    caller = call(status_callback="/voice/status")
    caller.silence()
    caller.press("000000")
    caller.press("*#")
    assert (records()[0]["attempts"], records()[0]["silences"], records()[0]["resends"]) == (1, 1, 1)
    caller.hang_up()
    [record] = records()
    assert (record["reason"], record["attempts"], record["silences"], record["resends"]) == ("hung_up", 1, 1, 1)


def test_a_silence_alone_does_not_touch_the_database(call, records):
    caller = call()
    with metering.statements() as executed:
        caller.silence()
        assert caller.heard("did not hear anything")
        assert executed == []
        caller.press("000000")
    assert [statement.split()[0] for statement in executed] == ["UPDATE"]  # a wrong code brings the record up to date


def test_a_verification_broken_off_by_an_error_on_our_side_is_recorded_as_error(call, records, monkeypatch):
    from app.twilio.verify import VerifyService

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    caller = call()
    monkeypatch.setattr(VerifyService, "check", broken)
    caller.press("123456")
    assert caller.heard("something went wrong on our side")
    [record] = records()
    assert (record["outcome"], record["reason"]) == ("failed", "error")


def test_a_step_carrying_another_calls_state_closes_the_record_as_error(call, records):
    first, second = call(), call()
    second.fields["CallSid"] = first.fields["CallSid"]  # the second call's token, presented as the first call
    second.press("123456")
    assert second.heard("something went wrong on our side")
    by_call = {record["call_sid"]: record for record in records()}
    assert (by_call[first.fields["CallSid"]]["outcome"], by_call[first.fields["CallSid"]]["reason"]) == ("failed", "error")
