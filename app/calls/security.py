"""Only Twilio may drive a call: every webhook carries a valid X-Twilio-Signature."""

import functools
import logging
import re

from blinker import Namespace
from flask import abort, current_app, g, request
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator, compare, get_signature_algorithm
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# A host Twilio could have called: a name or an IP address, with at most a port number.
HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?")

# Twilio's form of a CallSid. Only such a value, from a request whose signature passed, is logged:
# anything else is anyone's text, a phone number included.
CALL_SID = re.compile(r"CA[0-9a-f]{32}")

# Sent with `reason` (missing, invalid, forwarded, unchecked) for each request refused a 403.
refused = Namespace().signal("signature-refused")

HINT = "a 403 here usually means the URL Twilio used is not the URL this server sees; see TRUSTED_PROXIES and PUBLIC_BASE_URL"


class NotAWebhookUrl(ValueError):
    """The scheme or host the request arrived with (or was forwarded with) is no URL Twilio calls."""


class Validator(RequestValidator):
    """twilio-python's RequestValidator, trying the URL as it arrived before its variants.

    twilio-python signs the URL both with and without its port on every request, for the rare
    Twilio edge that signs the other form. The URL as it arrived is one of the two, and the one
    Twilio signed in practice, so it is tried alone first; only a mismatch pays for both.
    """

    def get_values(self, param_dict, param_name):
        # Flask's form is a MultiDict: its getlist, without twilio-python's try/except chain.
        if hasattr(param_dict, "getlist"):
            return param_dict.getlist(param_name)
        return super().get_values(param_dict, param_name)

    def validate(self, uri, params, signature, algorithm=None):
        if algorithm is None and compare(self.compute_signature(uri, params), signature):
            return True
        return super().validate(uri, params, signature, algorithm)


def init_app(app):
    """Keep a validator for each secret Twilio may sign with: the auth token(s), the webhook SharedKey."""
    config = app.config
    # While a token is being rotated both are accepted: Twilio signs with the primary, the old or the new.
    tokens = [config["TWILIO_AUTH_TOKEN"], config.get("TWILIO_AUTH_TOKEN_SECONDARY", "")]
    app.extensions["twilio_validator"] = [Validator(token) for token in tokens if token]
    shared_key = config.get("TWILIO_WEBHOOK_SHARED_KEY", "")
    # A request signed with the SharedKey says so in its signature settings header.
    app.extensions["twilio_shared_key_validator"] = [Validator(shared_key)] if shared_key else []


def signed_url():
    """The URL Twilio requested, which is the URL it signed.

    Behind ngrok or Heroku the request reaches Flask as plain http on an inner host; ProxyFix
    restores the outer scheme and host, or PUBLIC_BASE_URL names them outright. The query
    string is taken as it arrived, not decoded and re-encoded as `request.url` would. A scheme
    or host that no Twilio request could have (forwarded headers are anyone's to write) raises
    NotAWebhookUrl instead of becoming part of a URL.
    """
    query = request.query_string.decode("latin-1")
    return public_base() + request.script_root + request.path + (f"?{query}" if query else "")


def public_base():
    """This server's scheme and host as Twilio reaches it: PUBLIC_BASE_URL, else the request's; NotAWebhookUrl if implausible."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        return base
    if not plausible(request.scheme, request.host):
        raise NotAWebhookUrl()
    return f"{request.scheme}://{request.host}"


@functools.lru_cache(maxsize=64)
def plausible(scheme, host):
    """True for http or https and a host name or address with a port number that can exist."""
    match = HOST.fullmatch(host) if scheme in ("http", "https") else None
    return match is not None and (match[1] is None or 0 < int(match[1]) < 65536)


def signed():
    """True once this request's signature has passed (or checks are off): only then may anything be written."""
    return g.get("twilio_signed", False)


def logged_sid(field="CallSid"):
    """The request's CallSid (or another SID field) as a log line may show it; '-' when it may not."""
    value = request.form.get(field, "") if signed() else ""
    return value if CALL_SID.fullmatch(value) else "-"


def twilio_request(view):
    """Refuse (403) a request whose Twilio signature is missing, wrong or cannot be checked."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if current_app.config["VALIDATE_SIGNATURES"]:
            refusal = _refusal()
            if refusal:
                reason, words = refusal
                log.warning("refused %s: %s (%s)", request.path, words, HINT)
                refused.send(reason=reason)
                abort(403)
        g.twilio_signed = True
        return view(*args, **kwargs)

    return checked


def _refusal():
    """Why this request is not Twilio's, as (a word, a sentence), or None when its signature is good."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return "missing", "missing X-Twilio-Signature"
    try:
        valid = _valid(signed_url(), request.form, signature)
    except HTTPException:
        raise  # a body too large stays a 413
    except NotAWebhookUrl:
        return "forwarded", "the forwarded scheme or host is not a URL Twilio calls"
    except Exception as error:  # noqa: BLE001 - whatever a request makes the check raise, it is refused
        return "unchecked", f"X-Twilio-Signature could not be checked ({type(error).__name__})"
    return None if valid else ("invalid", "invalid X-Twilio-Signature")


def _valid(url, form, signature):
    """True when one of the app's secrets signed the request, with the algorithm it names (HMAC-SHA1 if none)."""
    validators = current_app.extensions["twilio_validator"]
    settings = request.headers.get(SIGNATURE_SETTINGS_HEADER)
    algorithm = None
    if settings is not None:
        algorithm = get_signature_algorithm(settings)
        validators = current_app.extensions["twilio_shared_key_validator"] + validators
    # The primary token first: a second validator costs only a request that the first refused.
    return any(validator.validate(url, form, signature, algorithm) for validator in validators)
