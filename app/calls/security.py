"""Only Twilio may drive a call: every webhook carries a valid X-Twilio-Signature."""

import functools
import logging

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator, compare

log = logging.getLogger(__name__)


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
    """Keep one validator for the app's auth token."""
    app.extensions["twilio_validator"] = Validator(app.config["TWILIO_AUTH_TOKEN"])


def signed_url():
    """The URL Twilio requested, which is the URL it signed.

    Behind ngrok or Heroku the request reaches Flask as plain http on an inner host; ProxyFix
    restores the outer scheme and host, or PUBLIC_BASE_URL names them outright. The query
    string is taken as it arrived, not decoded and re-encoded as `request.url` would.
    """
    base = current_app.config["PUBLIC_BASE_URL"] or f"{request.scheme}://{request.host}"
    query = request.query_string.decode("latin-1")
    return base + request.script_root + request.path + (f"?{query}" if query else "")


def twilio_request(view):
    """Refuse (403) a request whose Twilio signature is missing or wrong."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if current_app.config["VALIDATE_SIGNATURES"]:
            signature = request.headers.get("X-Twilio-Signature", "")
            validator = current_app.extensions["twilio_validator"]
            if not signature or not validator.validate(signed_url(), request.form, signature):
                log.warning(
                    "refused %s: %s X-Twilio-Signature (a 403 here usually means the URL Twilio "
                    "used is not the URL this server sees; see TRUSTED_PROXIES and PUBLIC_BASE_URL)",
                    request.path,
                    "invalid" if signature else "missing",
                )
                abort(403)
        return view(*args, **kwargs)

    return checked
