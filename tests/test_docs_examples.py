"""The documentation's examples are what the commands print: each ```console block is run and compared.

A ```console block holds `$ ` command lines, each followed by what it prints. The commands run
through Click's runner on a fresh database and the local Verify stand-in, with the settings
written before `flask` (`SPEECH_INPUT=on flask call …`). What varies from run to run is made
fixed, never hidden: the stand-in "sends" the code the example shows, the clock stands still,
and every CallSid reads as `CA…` on both sides.
"""

import datetime
import pathlib
import re
import shlex

import pytest

from app import create_app
from app.storage import database
from config import DEFAULTS, YES, TestConfig
from tests.test_cli_call import NO_CREDENTIALS

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Markdown files whose ```console blocks are checked: the README and every page of the documentation site.
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]

BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
# The sample file Verification by account says to save as accounts.csv for `flask accounts import`.
SAMPLE = re.compile(r"^```csv\n(.*?)^```", re.MULTILINE | re.DOTALL)
CODE_SENT = re.compile(r"Your verification code is (\d+)")
CALL_SID = re.compile(r"CA[0-9a-f]{32}")
NOW = datetime.datetime(2026, 12, 2, 9, 30)

# What ran before an example that needs earlier calls or data, each a process of its own as at a
# terminal; the document says what they were.
A, B, NO = (f"--param StirVerstat={level}" for level in ("TN-Validation-Passed-A", "TN-Validation-Passed-B", "No-TN-Validation"))
BEFORE = {
    "flask verifications report": [
        *[f"flask call --keys code {A}"] * 5,
        f"flask call --keys code {B}",
        "flask call --keys code",
        f"flask call --from +14155550107 --keys ,, {A}",
        f"flask call --from +14155550108 --keys ,, {NO}",
        f"flask call --from +14155550109 --keys 000000,111111,222222 {A}",
        f"flask call --from +14155550110 --keys 000000,111111,222222 {A}",
        "flask call --from anonymous",
    ],
    'VERIFY_BY=account flask call --keys "12345678#,code"': ["flask accounts add 12345678 +14155550106"],
    'VERIFY_BY=account CHANNELS=sms,email flask call --keys "12345678#,2,code"': [
        "flask accounts add 12345678 +14155550106 --email jane@example.com"
    ],
}


def examples(paths):
    """Each ```console block of the files, as a test case named file:line."""
    for path in paths:
        text = path.read_text()
        for block in BLOCK.finditer(text):
            yield pytest.param(block[1], id=f"{path.name}:{text.count(chr(10), 0, block.start()) + 1}")


def commands(block):
    """(command line, the lines it prints) of each `$ ` line in a block."""
    steps = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
        else:
            raise AssertionError(f"a ```console block starts with {line!r}, not a `$ ` command line")
    return steps


def setting(name, text):
    """A setting written before the command, read as the app reads it from the environment."""
    default = DEFAULTS[name]
    if isinstance(default, bool):
        return text.lower() in YES
    return type(default)(text)


def run(command_line, code=None):
    """What `command_line` prints, and its exit status, on a fresh app as a new process would build it."""
    words = shlex.split(command_line)
    settings = {}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        settings[name] = setting(name, value)
    assert words[0] == "flask", f"{command_line!r} is not a flask command"
    app = create_app(TestConfig, **NO_CREDENTIALS, **settings)
    try:
        result = app.test_cli_runner().invoke(args=words[1:])
    finally:
        database.dispose(app)
    return result.output, result.exit_code


@pytest.fixture
def stand_still(monkeypatch):
    """The records' clock stands at NOW: the report's seconds and hours read the same on any machine."""
    monkeypatch.setattr("app.storage.records.now", lambda: NOW)
    monkeypatch.setattr("app.storage.sends.now", lambda: NOW, raising=False)


@pytest.fixture
def sends_code(monkeypatch):
    """`sends_code("835573")`: the stand-in's codes are these digits from now on."""

    def fix(code):
        digits = iter(code * 50)
        monkeypatch.setattr("app.twilio.standin.secrets.choice", lambda _: next(digits))

    return fix


@pytest.fixture
def sample_file(tmp_path, monkeypatch):
    """The examples run in a folder holding the documentation's sample accounts.csv."""
    (tmp_path / "accounts.csv").write_text(SAMPLE.search((ROOT / "docs" / "by-account.md").read_text())[1])
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("block", list(examples(DOCUMENTS)))
def test_the_example_prints_what_the_document_shows(block, stand_still, sends_code, sample_file):
    for command_line, shown in commands(block):
        for earlier in BEFORE.get(command_line, []):
            assert run(earlier)[1] == 0, earlier
        expected = "\n".join(shown)
        code = CODE_SENT.search(expected)
        sends_code(code[1] if code else "424242")
        output, status = run(command_line)
        assert CALL_SID.sub("CA…", output.rstrip("\n")) == CALL_SID.sub("CA…", expected), command_line
        assert status == (1 if shown and shown[-1].startswith("Error:") else 0), output


def test_the_documents_have_examples_to_check():
    assert len(list(examples(DOCUMENTS))) >= 4
