"""Twilio Verify, as the call needs it: send a code, check a code, and plain reasons on failure.

Nothing Twilio-shaped leaves this module: callers get a verification SID, True/False, or a
VerifyFailed with a plain reason (the values of ERROR_REASONS, or "unavailable").
"""

import json
import logging
import time

from blinker import Namespace
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from urllib3 import exceptions as http_errors

log = logging.getLogger(__name__)

# Verify's error codes, as the call must treat them (ARCHITECTURE.md has the table).
ERROR_REASONS = {
    60200: "invalid_number",  # invalid parameter, e.g. a To Verify will not text
    21211: "invalid_number",  # invalid 'To' phone number
    60205: "undeliverable",  # SMS is not supported by landline phone number
    60203: "rate_limited",  # max send attempts reached
    60212: "rate_limited",  # too many concurrent requests for this number
    20429: "rate_limited",  # too many requests
    60410: "blocked",  # blocked by Fraud Guard
    60605: "blocked",  # geo permissions forbid that country
    20404: "expired",  # verification gone: expired, approved already, or exhausted
    60202: "too_many_attempts",  # 5 wrong checks on this verification
    60223: "unavailable",  # channel disabled on the service
    # The email channel's set-up (a Mailer, a SendGrid integration), which only the operator can fix.
    60217: "email_unavailable",  # no email integration on the service
    60218: "email_unavailable",  # the SendGrid template is not active
    60219: "email_unavailable",  # the template lacks {{twilio_code}} or {{twilio_message}}
    60222: "email_unavailable",  # the from address is not a verified SendGrid Sender Identity
    20003: "unavailable",  # authentication failed
}

# Errors that are the channel's, not the number's: another channel may still reach the caller.
# 60223: the channel (e.g. WhatsApp) is not set up on the Verify service; the others, its email.
CHANNEL_ERRORS = {60223, 60217, 60218, 60219, 60222}

# Statuses a check can answer with 200 besides approved and pending.
CHECK_STATUS_REASONS = {
    "max_attempts_reached": "too_many_attempts",
    "expired": "expired",
    "canceled": "expired",
    "deleted": "expired",
}


# What went wrong on the way to Verify, by urllib3's error, the first that matches. A refused
# connection or a failed DNS lookup (NewConnectionError, NameResolutionError) is a subclass of
# ConnectTimeoutError, so it comes before the timeouts.
NETWORK_FAILURES = (
    (http_errors.NewConnectionError, "could not connect"),
    (http_errors.TimeoutError, "no answer in time"),
    (http_errors.ProxyError, "the proxy failed"),
    (http_errors.SSLError, "TLS failed"),
    (http_errors.ProtocolError, "the connection broke off"),
)


def _what_happened(error):
    """A few words on a failed request to Verify, from the error's type."""
    return next((words for kind, words in NETWORK_FAILURES if isinstance(error, kind)), "the request failed")


# Sent after each request to Verify with `action` (send, check), `seconds` and `error`: "" when
# Verify answered, else one of a bounded set (a known code, http_4xx, http_5xx, network, bad_answer).
requested = Namespace().signal("verify-requested")


def _error_label(error):
    """A Twilio error as a label of a bounded set: a code the call knows, else http_4xx or http_5xx."""
    if error.code in ERROR_REASONS:
        return str(error.code)
    status = error.status if isinstance(error.status, int) else 0
    return f"http_{status // 100}xx" if 400 <= status < 600 else "bad_answer"


class VerifyFailed(Exception):
    """Verify could not do what was asked, for a plain `reason` the call can act on."""

    def __init__(self, reason, code=None, status=None):
        super().__init__(reason)
        self.reason = reason
        # Verify's error code and HTTP status, when it answered with an error.
        self.code = code
        self.status = status

    @property
    def nothing_sent(self):
        """True when Verify refused the request (a 4xx): no code went. A timeout or a 5xx may have sent one."""
        return self.status is not None and 400 <= self.status < 500

    @property
    def channel_refused(self):
        """True when Verify refused the channel, not the number: another channel may work."""
        return self.code in CHANNEL_ERRORS


class VerifyService:
    """One Verify service, reached through a twilio-python Client."""

    def __init__(self, client, service_sid):
        self._service = client.verify.v2.services(service_sid)

    def send(self, to, channel, locale=None):
        """Send (or re-send) a code, in `locale` if given (else Verify's choice by country); the verification's SID, or VerifyFailed."""
        options = {"locale": locale} if locale else {}
        verification = self._call("send", self._service.verifications.create, to=to, channel=channel, **options)
        return verification.sid

    def check(self, verification_sid, code, to=None):
        """True when the code is right, False when it is wrong; VerifyFailed otherwise.

        Without a verification SID the code is checked against the pending verification of `to`.
        """
        target = {"verification_sid": verification_sid} if verification_sid else {"to": to}
        result = self._call("check", self._service.verification_checks.create, code=code, **target)
        if result.status == "approved":
            return True
        if result.status == "pending":  # a wrong code: not an error to Verify
            return False
        raise VerifyFailed(CHECK_STATUS_REASONS.get(result.status, "unavailable"))

    @staticmethod
    def _call(action, method, **params):
        """Call Verify and turn whatever goes wrong into a VerifyFailed; `requested` is told how it went."""
        began, error = time.perf_counter(), "bad_answer"
        try:
            answer = method(**params)
            error = ""
            return answer
        # Twilio's classic error body, or its newer RFC 9457 one: both carry status and code.
        except (TwilioRestException, TwilioServiceException) as failure:
            error = _error_label(failure)
            reason = ERROR_REASONS.get(failure.code)
            if reason is None:
                reason = "rate_limited" if failure.status == 429 else "unavailable"
            # The error's message can quote the number, so only status and code are logged.
            log.warning("verify %s failed: HTTP %s, error %s -> %s", action, failure.status, failure.code, reason)
            raise VerifyFailed(reason, failure.code, failure.status) from None
        except http_errors.HTTPError as failure:
            error = "network"
            # By type only: urllib3's messages quote the URL, which holds the verification's SID.
            log.warning("verify %s failed: %s (%s) -> unavailable", action, _what_happened(failure), type(failure).__name__)
            raise VerifyFailed("unavailable") from None
        except (TwilioException, json.JSONDecodeError, ValueError, KeyError) as failure:
            log.warning("verify %s failed: %s -> unavailable", action, type(failure).__name__)
            raise VerifyFailed("unavailable") from None
        finally:
            requested.send(action=action, seconds=time.perf_counter() - began, error=error)
