"""LOG_FORMAT=json: one JSON object per line for log drains, with no code, token or full number in it."""

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from app.ops import logs
from tests.test_logs import CALLERS, walk_every_path

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def json_lines(make_app, call, verify):
    """The lines a LOG_FORMAT=json app writes while calls take every path, and the codes sent."""
    app = make_app(LOG_FORMAT="json")
    stream = io.StringIO()
    handler = logs.handler(stream, "json")
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        codes = walk_every_path(lambda **options: call(target=app, **options), verify)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    return app, stream.getvalue(), codes


def test_every_line_is_one_json_object_with_time_level_and_logger(json_lines):
    _, text, _ = json_lines
    lines = text.splitlines()
    assert len(lines) > 20
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(entry)
        assert entry["time"].endswith("+00:00")


def test_a_call_s_lines_carry_its_sid_step_outcome_and_latency(json_lines):
    _, text, _ = json_lines
    entries = [json.loads(line) for line in text.splitlines()]
    incoming = next(entry for entry in entries if entry["message"].endswith(": incoming"))
    assert incoming["call_sid"].startswith("CA") and incoming["step"] == "voice.incoming"
    approved = next(entry for entry in entries if "verification approved" in entry["message"])
    assert (approved["outcome"], approved["reason"], approved["step"]) == ("approved", "approved", "verification.check")
    assert approved["call_sid"].startswith("CA")
    failed = next(entry for entry in entries if "failed: too_many_attempts" in entry["message"])
    assert (failed["outcome"], failed["reason"]) == ("failed", "too_many_attempts")
    answered = [entry for entry in entries if entry["message"].startswith("answered ")]
    assert {entry["step"] for entry in answered} >= {"voice.incoming", "verification.start", "verification.check", "voice.outcome"}
    assert all(entry["status"] == 200 and entry["latency"] >= 0 and entry["call_sid"].startswith("CA") for entry in answered)


def test_json_lines_hold_no_full_number_no_code_and_no_auth_token(json_lines):
    app, text, codes = json_lines
    for number in CALLERS:
        assert number[2:] not in text
    assert app.config["TWILIO_AUTH_TOKEN"] not in text
    for code in codes:
        assert code not in text


def test_an_exception_is_logged_by_its_type_only():
    record = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed", (), None)
    try:
        raise ValueError("+14155552671 and the code 123456")
    except ValueError:
        record.exc_info = sys.exc_info()
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["exception"] == "ValueError"
    assert "4155552671" not in json.dumps(entry) and "123456" not in json.dumps(entry)


def test_a_command_logs_json_lines_to_stderr(database_url):
    env = {"PATH": str(Path(sys.executable).parent), "APP_ENV": "development", "DATABASE_URL": database_url, "LOG_FORMAT": "json"}
    done = subprocess.run(["flask", "verifications", "report"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # The local Verify stand-in's banner too is one object: its lines are in its message.
    entries = [json.loads(line) for line in done.stderr.splitlines()]
    assert "LOCAL VERIFY STAND-IN" in next(entry["message"] for entry in entries if entry["logger"] == "app.settings")
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)


def test_an_unknown_log_format_is_refused_in_one_line(make_app):
    with pytest.raises(RuntimeError, match="^LOG_FORMAT='xml' is not one of text, json$"):
        make_app(LOG_FORMAT="xml")


@pytest.mark.parametrize("log_format", logs.FORMATS)
@pytest.mark.parametrize(
    "settings, headers",
    [
        ({}, {}),
        ({}, {"X-Twilio-Signature": "bm90LXR3aWxpbydzLXNpZ25hdHVyZQ=="}),
        ({"VALIDATE_SIGNATURES": False}, {}),
    ],
    ids=["unsigned", "wrongly-signed", "signatures-off"],
)
def test_a_crafted_callsid_never_reaches_a_log_line(make_app, log_format, settings, headers):
    app = make_app(LOG_FORMAT=log_format, **settings)
    stream = io.StringIO()
    handler = logs.handler(stream, log_format)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        client = app.test_client()
        for path in ("/voice", "/voice/fallback", "/voice/outcome", "/verification/check", "/handoff/whisper"):
            fields = {"CallSid": "+14155552671 hi", "ParentCallSid": "+14155552671 hi", "From": "anonymous"}
            client.post("https://ivr.example.com" + path, data=fields, headers=headers)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    assert "refused /voice" in text or "call -: incoming" in text  # the requests were logged
    assert "4155552671" not in text
