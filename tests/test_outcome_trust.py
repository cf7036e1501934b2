"""Only a call whose own code Verify approved reaches the success branch."""

import base64
import time
from urllib.parse import parse_qs, urlsplit


def webhook_urls(caller, path):
    return [event.text for event in caller.events if event.kind == "webhook" and urlsplit(event.text).path == path]


def verified_call(call):
    caller = call()
    caller.press(caller.last_code)
    assert caller.heard("verified")
    return caller


def test_replaying_an_approved_outcome_on_another_call_fails(call):
    (approved_url,) = webhook_urls(verified_call(call), "/voice/outcome")
    intruder = call(url=approved_url)
    assert intruder.heard("something went wrong")
    assert not intruder.heard("verified")


def test_an_outcome_url_with_made_up_parameters_fails(call):
    for url in [
        "https://ivr.example.com/voice/outcome",
        "https://ivr.example.com/voice/outcome?s=approved",
        "https://ivr.example.com/voice/outcome?result=approved&approved=true",
    ]:
        intruder = call(url=url)
        assert intruder.heard("something went wrong"), url
        assert not intruder.heard("verified"), url


def test_a_tampered_outcome_token_fails(call):
    caller = verified_call(call)
    (approved_url,) = webhook_urls(caller, "/voice/outcome")
    flipped = approved_url[:-5] + ("A" if approved_url[-5] != "A" else "B") + approved_url[-4:]
    replay = call(url=flipped, params={"CallSid": caller.fields["CallSid"]})
    assert not replay.heard("verified")


def test_a_mid_call_token_posted_to_the_outcome_step_fails(call):
    caller = call()
    (check_url,) = [caller.listening["action"]]
    smuggled = "https://ivr.example.com/voice/outcome?" + urlsplit(check_url).query
    intruder = call(url=smuggled, params={"CallSid": caller.fields["CallSid"]})
    assert intruder.heard("something went wrong")
    assert not intruder.heard("verified")


def test_a_step_of_one_call_cannot_be_used_by_another(call, verify):
    caller = call()
    stolen = "https://ivr.example.com" + caller.listening["action"]
    intruder = call(url=stolen)
    assert intruder.heard("something went wrong")
    assert intruder.end_reason == "hangup"


def test_the_call_state_in_urls_is_encrypted_not_merely_signed(call):
    caller = call()
    token = parse_qs(urlsplit(caller.listening["action"]).query)["s"][0]
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert b"4155552671" not in decoded and b"sms" not in decoded


def test_a_call_state_older_than_call_state_max_age_is_refused(make_app, call, monkeypatch):
    caller = call(target=make_app(CALL_STATE_MAX_AGE=130))
    later = time.time() + 131
    monkeypatch.setattr("cryptography.fernet.time.time", lambda: later)
    caller.press(caller.last_code)
    assert caller.heard("something went wrong on our side")
    assert not caller.heard("verified")


def test_no_url_the_call_visits_shows_the_number_or_the_code(call):
    caller = call()
    caller.press("000000")
    caller.press(caller.last_code)
    urls = " ".join(event.text for event in caller.events if event.kind in {"webhook", "redirect"})
    assert "4155552671" not in urls
    assert caller.last_code not in urls.replace("https://ivr.example.com", "")
