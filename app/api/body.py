"""The request's JSON body, read and checked: what does not fit is refused with one line saying why."""

import dataclasses
import ipaddress
import json
import re
from urllib.parse import urlsplit

from app.calls.handoff.destinations import BadDestination, parse
from app.calls.public_host import public
from app.numbers import Unusable, usable_number

FIELDS = {"return", "to", "account", "language", "notify", "task"}
TASK_SID = re.compile(r"WT[0-9a-f]{32}")
# A conference's friendly name as Flex and most contact centers make them; no control characters.
CONFERENCE = re.compile(r"[A-Za-z0-9 _.:@+#=-]{1,128}")
# URLs ride sealed in every step's URL: short enough to keep those inside Twilio's limits.
LONGEST_URL = 256


class NotFitting(ValueError):
    """A body that does not fit: the message says what."""


@dataclasses.dataclass(frozen=True)
class Wanted:
    """What the request asks for: `back` holds the return target and who hears the verdict."""

    back: dict
    to: str = ""
    account: str = ""
    language: str = ""


def read_body(raw, config, languages):
    """The request's Wanted, or NotFitting."""
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise NotFitting("the body is not JSON") from None
    except RecursionError:
        raise NotFitting("the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise NotFitting("the body must be a JSON object with at least `return`")
    if unknown := sorted(set(body) - FIELDS):
        raise NotFitting(f"unknown field(s): {', '.join(unknown)}; the fields are {', '.join(sorted(FIELDS))}")
    if not all(isinstance(body[name], str) for name in body if name != "return"):
        raise NotFitting("to, account, language, notify and task must be strings")
    back = _return(body.get("return"))
    if body.get("notify"):
        back["notify"] = _https("notify", body["notify"])
        if not config.get("NOTIFY_ALLOW_PRIVATE") and not _may_be_public(back["notify"]):
            raise NotFitting("notify must be on the public internet: its host is a loopback, private, link-local or reserved address")
    if body.get("task"):
        if not TASK_SID.fullmatch(body["task"]):
            raise NotFitting("task must be a TaskRouter task SID: WT and 32 hex digits")
        if not config.get("TWILIO_WORKSPACE_SID"):
            raise NotFitting("task needs TWILIO_WORKSPACE_SID set on this server")
        back["task"] = body["task"]
    return Wanted(back, _to(body.get("to", "")), _account(body.get("account", ""), body.get("to"), config), _language(body.get("language", ""), languages))


def _return(value):
    if not isinstance(value, dict) or len(value) != 1 or not set(value) <= {"conference", "url"}:
        raise NotFitting('return must be {"conference": "<friendly name>"} or {"url": "https://…"}')
    if "url" in value:
        return {"url": _https("return.url", value["url"])}
    name = value["conference"]
    if not isinstance(name, str) or not CONFERENCE.fullmatch(name):
        raise NotFitting("return.conference must be the conference's friendly name: 1 to 128 letters, digits, spaces or _ . : @ + # = -")
    return {"conference": name}


def _https(name, url):
    accepted = f"{name} must be an https:// URL of at most {LONGEST_URL} characters, printable ASCII with nothing to quote"
    if not isinstance(url, str) or not url.startswith("https://") or len(url) > LONGEST_URL:
        raise NotFitting(accepted)
    try:
        return parse(name, url).target
    except BadDestination:
        raise NotFitting(accepted) from None


def _may_be_public(url):
    """False for a URL whose host is an address off the public internet; a name is resolved when the verdict is posted."""
    try:
        return public(ipaddress.ip_address(urlsplit(url).hostname))
    except ValueError:
        return True


def _to(to):
    if not to:
        return ""
    try:
        return usable_number(to)
    except Unusable:
        raise NotFitting("to must be a phone number in +E.164 form that can receive a code") from None


def _account(digits, to, config):
    if not digits:
        return ""
    if to:
        raise NotFitting("give to or account, not both: by account the code goes to the phone on file")
    low, high = config["ACCOUNT_MIN_DIGITS"], config["ACCOUNT_MAX_DIGITS"]
    if not (digits.isascii() and digits.isdigit() and low <= len(digits) <= high):
        raise NotFitting(f"account must be {low} to {high} digits")
    return digits


def _language(language, languages):
    if language and language not in languages:
        raise NotFitting(f"language must be one of {', '.join(languages)}")
    return language
