"""A caller ID that cannot receive a code never reaches Verify; the caller hears why."""

import pytest

WITHHELD = [
    "anonymous", "Anonymous", "unknown", "restricted", "private", "blocked", "unavailable", "", "   ",
    "+266696687", "+7378742833", "+8656696", "+2562533", "+86282452253",
]
INVALID = ["+1", "4155552671", "+999123456789", "+1415555267x", "client:alice", "sip:bob@example.com", "+1 415 555 2671 ext 9"]


@pytest.mark.parametrize("caller_id", WITHHELD)
def test_withheld_caller_id_is_told_and_sent_to_the_fallback(call, verify, caller_id):
    caller = call(from_=caller_id)
    assert caller.heard("we cannot see the number you are calling from")
    assert caller.heard("call back later")
    assert caller.end_reason == "hangup"
    assert verify.requests == []


@pytest.mark.parametrize("caller_id", INVALID)
def test_unusable_caller_id_is_told_and_sent_to_the_fallback(make_app, call, verify, caller_id):
    caller = call(from_=caller_id, target=make_app(FALLBACK_NUMBER="+14155550100"))
    assert caller.heard("we cannot send a text message to the number you are calling from")
    assert caller.heard("connect you to an agent")
    assert caller.dialed == ["+14155550100"]
    assert verify.requests == []
