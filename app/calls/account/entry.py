"""The account number's Gather, and what the caller keyed into it: one function each, for other inputs to plug in."""

import dataclasses
import re

from flask import current_app

from app.calls import gathering
from app.calls.prompts import say

DIGITS = re.compile(r"[0-9]+")
# What a caller may say instead of pressing '#' alone, in every language the prompts speak.
NO_ACCOUNT = re.compile(r"\b(no account|no tengo cuenta|sin cuenta|ninguna|aucun compte|pas de compte|sem conta|não tenho conta)\b", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Entry:
    """What came back from the Gather: silence, none ('#' alone), bad (not an account number) or digits."""

    kind: str
    digits: str = ""


def gather(response, action, language, *prompt):
    """Add the Gather for an account number; it posts even when empty, so that '#' alone can mean "no account"."""
    config = current_app.config
    listen = gathering.digits_gather(response, action, language, action_on_empty_result=True)
    ask = "enter_account_or_pound" if config["VERIFY_BY"] == "account_or_caller_id" else "enter_account"
    if config.get("SPEECH_INPUT"):
        ask += ":speech"
    say(listen, *prompt, ask, language=language, low=config["ACCOUNT_MIN_DIGITS"], high=config["ACCOUNT_MAX_DIGITS"])
    return response


def entered(form):
    """The Entry a Gather's request carries."""
    config = current_app.config
    if NO_ACCOUNT.search(form.get("SpeechResult", "")):
        return Entry("none")
    try:
        digits = gathering.entered(form)
    except gathering.NotUnderstood:
        return Entry("bad")
    if not digits:
        return Entry("none" if form.get("FinishedOnKey") == "#" else "silence")
    low, high = config["ACCOUNT_MIN_DIGITS"], config["ACCOUNT_MAX_DIGITS"]
    # ASCII digits only ('٣' is a digit to str.isdigit), and never the text itself in a log.
    if not low <= len(digits) <= high or not DIGITS.fullmatch(digits):
        return Entry("bad")
    return Entry("digits", digits)


def bad_format_prompt():
    """The sentence that tells how long an account number is."""
    config = current_app.config
    return "account_bad_length" if config["ACCOUNT_MIN_DIGITS"] == config["ACCOUNT_MAX_DIGITS"] else "account_bad_format"
