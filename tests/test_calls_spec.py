"""The callback speaks Twilio's Calls API as Twilio's own OpenAPI spec describes it, and so does the stand-in."""

import json
import re
from pathlib import Path

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from app.twilio import calls
from app.twilio.standin import LocalVerify

SPEC = json.loads((Path(__file__).parent / "reference" / "twilio_api_v2010_calls.json").read_text())
CREATE = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
FETCH = "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json"
ACCOUNT_SID = "AC" + "0" * 32
# Values the spec gives in words only (its descriptions), not as an enum.
MACHINE_DETECTION = {"Enable", "DetectMessageEnd"}
STATUS_CALLBACK_EVENTS = {"initiated", "ringing", "answered", "completed"}


class Recording(LocalVerify):
    """The stand-in, noting each request's method and full URL as the HTTP seam sees them."""

    def __init__(self):
        super().__init__(on_send=None)
        self.seen = []

    def request(self, method, uri, params=None, data=None, **options):
        response = super().request(method, uri, params, data, **options)
        self.seen.append((method, uri, dict(data or {}), response.status_code, json.loads(response.text)))
        return response


@pytest.fixture
def twilio():
    return Recording()


def create_fields():
    return SPEC["paths"][CREATE]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]


def resolve(schema):
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def fits(value, schema, where="answer"):
    """Each way `value` breaks `schema` (type, nullable, enum, pattern, lengths, properties), as strings."""
    schema = resolve(schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{where} is null"]
    kinds = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list}
    if "type" in schema and not isinstance(value, kinds[schema["type"]]):
        return [f"{where} is not {schema['type']}"]
    problems = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}={value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{where}={value!r} does not match {schema['pattern']}")
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            problems.append(f"{where} has the wrong length")
    if isinstance(value, dict) and "properties" in schema:
        for name, item in value.items():
            if name not in schema["properties"]:
                problems.append(f"{where}.{name} is not in the spec")
            else:
                problems.extend(fits(item, schema["properties"][name], f"{where}.{name}"))
    return problems


def place(twilio):
    return calls.place(
        Client(ACCOUNT_SID, "token", http_client=twilio),
        to="+14155552671",
        from_="+15005550006",
        url="https://ivr.example.com/callback/answer?s=token",
        status_callback="https://ivr.example.com/callback/status?s=token",
    )


def test_the_callback_request_is_a_create_call_the_spec_allows(twilio):
    sid = place(twilio)
    [(method, uri, form, status, body)] = twilio.seen
    assert method == "POST"
    assert re.fullmatch("https://api.twilio.com" + re.escape(CREATE).replace(re.escape("{AccountSid}"), "AC[0-9a-f]{32}"), uri)
    schema = create_fields()
    assert set(schema["required"]) <= set(form) <= set(schema["properties"])
    assert [problem for name, value in form.items() if not isinstance(value, list) for problem in fits(_typed(value, schema["properties"][name]), schema["properties"][name], name)] == []
    assert form["MachineDetection"] in MACHINE_DETECTION
    assert set(form.get("StatusCallbackEvent", [])) <= STATUS_CALLBACK_EVENTS
    assert 0 < int(form["Timeout"]) <= 600
    assert all(form[name].startswith("https://") for name in ("Url", "StatusCallback"))
    assert (status, sid) == (201, body["sid"])


def test_the_stand_ins_answers_fit_the_call_resource(twilio):
    sid = place(twilio)
    client = Client(ACCOUNT_SID, "token", http_client=twilio)
    fetched = client.calls(sid).fetch()
    assert fetched.status == "queued" and fetched.to == "+14155552671"
    created, got = twilio.seen[0][4], twilio.seen[1][4]
    call = SPEC["paths"][CREATE]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert fits(created, call) == []
    assert fits(got, SPEC["paths"][FETCH]["get"]["responses"]["200"]["content"]["application/json"]["schema"]) == []
    assert twilio.calls[0]["form"]["To"] == "+14155552671"  # kept for the simulator to play


def test_a_call_placed_is_moved_like_any_call_in_progress_once_answered(twilio):
    sid = place(twilio)
    client = Client(ACCOUNT_SID, "token", http_client=twilio)
    with pytest.raises(TwilioRestException) as ringing:
        client.calls(sid).update(url="https://ivr.example.com/verification/start", method="POST")
    assert (ringing.value.status, ringing.value.code) == (400, 21220)
    twilio.live.calls[sid]["status"] = "in-progress"  # answered, as the simulator plays it
    client.calls(sid).update(url="https://ivr.example.com/verification/start", method="POST")
    assert twilio.live.moves == [(sid, "https://ivr.example.com/verification/start", "POST")]
    assert fits(twilio.seen[-1][4], SPEC["paths"][FETCH]["get"]["responses"]["200"]["content"]["application/json"]["schema"]) == []


def test_the_spec_check_catches_what_twilio_would_refuse():
    call = resolve({"$ref": "#/components/schemas/api.v2010.account.call"})
    assert fits({"sid": "XX1", "status": "dialing", "extra": 1}, call) == [
        "answer.sid='XX1' does not match ^CA[0-9a-fA-F]{32}$",
        "answer.sid has the wrong length",
        "answer.status='dialing' not in ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled']",
        "answer.extra is not in the spec",
    ]


def _typed(text, schema):
    """A form field's text as the type its schema names: form fields travel as strings."""
    kind = resolve(schema).get("type")
    if kind == "integer":
        return int(text)
    if kind == "boolean":
        return text == "true"
    return text
