"""The caller's side of a simulated call, written as a script: `--keys "000000,code,,say:one"`."""

import dataclasses
import re

KEYS = re.compile(r"[0-9*#]*")
CODE_WORD = "code"
SPEECH_PREFIX = "say:"


class ScriptError(ValueError):
    """A script step that no caller could perform."""


class NoCode(ScriptError):
    """'code' at a Gather before any code was sent on the call."""


@dataclasses.dataclass(frozen=True)
class Step:
    """One answer to a Gather: keys ('' is silence), the word `code`, or speech (`say:code` speaks the code)."""

    kind: str  # "keys", "code" or "speech"
    value: str = ""


def parse_step(text):
    """One step from its written form."""
    text = text.strip()
    if text.lower() == CODE_WORD:
        return Step("code")
    if text.lower().startswith(SPEECH_PREFIX):
        words = text[len(SPEECH_PREFIX) :].strip()
        if not words:
            raise ScriptError("'say:' needs words after it, e.g. 'say:one two three'")
        return Step("speech", words)
    keys = text.replace(" ", "")
    if not KEYS.fullmatch(keys):
        raise ScriptError(f"{text!r} is not keys (0-9, * and #), 'code', 'say:…' or empty for silence")
    return Step("keys", keys)


def parse(script):
    """The steps of a comma-separated script; an empty item is a silence."""
    return [parse_step(item) for item in script.split(",")]


def perform(call, step):
    """Answer the listening Gather of `call` with one step."""
    if step.kind == "speech":
        if step.value.lower() == CODE_WORD:
            return call.speak(" ".join(_last_code(call)))
        return call.speak(step.value)
    if step.kind == "code":
        return call.press(_last_code(call))
    return call.press(step.value)


def _last_code(call):
    if call.last_code is None:
        raise NoCode("'code' stands for the code the local Verify stand-in sent on this call, and none was seen")
    return call.last_code
