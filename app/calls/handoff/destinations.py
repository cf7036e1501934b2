"""Where a call goes after its verdict: a setting's value read into a small typed destination."""

import dataclasses
import re
from urllib.parse import urlsplit

from app.numbers import Unusable, usable_number

# sip:user@host[:port][;param...]: the headers after '?' are the app's to add.
SIP_URI = re.compile(r"sip:[A-Za-z0-9_.!~*'()+$,;=&%-]+@[A-Za-z0-9.-]+(:[0-9]{1,5})?(;[A-Za-z0-9_.!~*'()+$=%-]+)*")
# Twilio: up to 256 characters, "no control, space, delimiters, or unwise characters".
CLIENT_IDENTITY = re.compile(r"[A-Za-z0-9_.@-]{1,256}")
WORKFLOW_SID = re.compile(r"WW[0-9a-f]{32}")
# A URL Twilio can fetch and sign as written: printable ASCII, nothing that needs quoting.
URL_CHARACTERS = re.compile(r"[A-Za-z0-9_.~!$&'()*+,;=:@/?%-]+")
# What a next step may start with, read in any case; what follows it (a SID, a URL, a user) is read as written.
KEYWORDS = ("sip:", "client:", "flex:", "https://", "http://")
LONGEST_SIP_URI = 255
LONGEST_URL = 1024

FORMS = "hangup, +E.164, sip:user@host, client:identity, flex:WW… (a TaskRouter workflow SID) or a URL (https://… or /path)"


class BadDestination(ValueError):
    """A setting that names no destination; the message names the setting."""


@dataclasses.dataclass(frozen=True)
class Destination:
    """One place to hand a call to: `kind` is hangup, number, sip, client, flex or url."""

    kind: str
    target: str = ""

    @property
    def to_agent(self):
        """True when a person (or a queue of them) takes the call next."""
        return self.kind in {"number", "sip", "client", "flex"}

    @property
    def carries_token(self):
        """True when the receiving system checks the verdict's token itself, with the shared key."""
        return self.kind in {"sip", "client", "url"}


HANGUP = Destination("hangup")


def parse(name, value):
    """The destination a setting's value names, or BadDestination naming the setting and the form."""
    text = _keyword_in_lower_case((value or "").strip())
    if text in {"", "hangup"}:
        return HANGUP
    if text.startswith("+"):
        try:
            return Destination("number", usable_number(text))
        except Unusable:
            raise BadDestination(f"{name} must be a valid phone number in +E.164 form") from None
    if text.startswith("sip:"):
        if len(text) > LONGEST_SIP_URI or not SIP_URI.fullmatch(text):
            raise BadDestination(
                f"{name} must be a SIP URI sip:user@host[:port][;param=value], with no spaces, quotes or '?' "
                f"(the app adds the headers), at most {LONGEST_SIP_URI} characters"
            )
        return Destination("sip", text)
    if text.startswith("client:"):
        identity = text.removeprefix("client:")
        if not CLIENT_IDENTITY.fullmatch(identity):
            raise BadDestination(f"{name} must be client:identity, 1 to 256 letters, digits, '_', '.', '@' or '-'")
        return Destination("client", identity)
    if text.startswith("flex:"):
        sid = text.removeprefix("flex:")
        if not WORKFLOW_SID.fullmatch(sid):
            raise BadDestination(f"{name} must be flex: and a TaskRouter workflow SID, WW and 32 hex digits")
        return Destination("flex", sid)
    if text.startswith(("https://", "/")):
        return Destination("url", _url(name, text))
    if text.startswith("http://"):
        raise BadDestination(f"{name} must be https://, not http://: http would carry the verdict in clear")
    raise BadDestination(f"{name} must be {FORMS}")


def _keyword_in_lower_case(text):
    """Hangup, SIP:desk@pbx, Flex:WW… read as hangup, sip:desk@pbx, flex:WW…."""
    if text.lower() == "hangup":
        return "hangup"
    for keyword in KEYWORDS:
        if text[: len(keyword)].lower() == keyword:
            return keyword + text[len(keyword) :]
    return text


def failure_step(config):
    """FAILURE_NEXT_STEP, or FALLBACK_NUMBER (its old spelling), or hangup."""
    new, old = config.get("FAILURE_NEXT_STEP", ""), config.get("FALLBACK_NUMBER", "")
    if new and old and new.strip() != old.strip():
        raise BadDestination("FAILURE_NEXT_STEP and FALLBACK_NUMBER (its old spelling) disagree: set only FAILURE_NEXT_STEP")
    return parse("FAILURE_NEXT_STEP", new) if new else parse("FALLBACK_NUMBER", old)


def _url(name, text):
    valid = len(text) <= LONGEST_URL and URL_CHARACTERS.fullmatch(text)
    if valid and text.startswith("/"):
        valid = not text.startswith("//")  # //host/path would leave for another host (a backslash is no URL character)
    elif valid:
        valid = bool(urlsplit(text).hostname)
    if not valid:
        raise BadDestination(
            f"{name} must be a URL (https://host/path, never http://, or a /path on this server) of printable ASCII with nothing to quote, "
            f"at most {LONGEST_URL} characters"
        )
    return text
