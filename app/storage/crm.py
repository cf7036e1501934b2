"""The account source in a CRM: a signed POST over HTTPS, answered {"phone": "+E.164", "email": optional} or 404.

The request body is JSON, {"account_number": "12345678"}; X-Signature-Timestamp is the Unix time
and X-Signature is "sha256=" and the hex HMAC-SHA256, keyed with ACCOUNT_LOOKUP_SECRET, of the
timestamp, a ".", and the body. The receiver checks both (docs/by-account.md).
"""

import hashlib
import hmac
import json
import logging
import time

import certifi
import urllib3

from app import outbound
from app.storage.accounts import AccountLookupFailed, OnFile

log = logging.getLogger(__name__)

CONNECTIONS = 128
# Longest answer read: a phone number and an email address in JSON need a few hundred bytes.
LONGEST_ANSWER = 4096


def signature(secret, timestamp, body):
    """The X-Signature of a body sent at `timestamp`: sha256= and the hex HMAC of "timestamp.body"."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class CrmAccounts:
    """Looks accounts up in a CRM; no lookup takes longer than `timeout` seconds, answer and all; nothing is retried."""

    def __init__(self, url, secret, timeout):
        self.url, self.secret, self.timeout = url, secret, timeout
        # As many kept connections as Verify's (app/twilio/http_client.py): a burst looks up at once.
        self.pool = outbound.bounded(urllib3.PoolManager(maxsize=CONNECTIONS, retries=False, ca_certs=certifi.where()))

    def on_file(self, account_number, call_sid="-"):
        """What is on file for an account number (OnFile), None if the CRM does not know it (404)."""
        body = json.dumps({"account_number": account_number}).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Signature-Timestamp": timestamp,
            "X-Signature": signature(self.secret, timestamp, body),
        }
        try:
            status, data, _ = outbound.request(
                self.pool, "POST", self.url, self.timeout, LONGEST_ANSWER, body=body, headers=headers, redirect=False
            )
        except urllib3.exceptions.TimeoutError:
            log.warning("call %s: account lookup: the CRM gave no answer in time", call_sid)
            raise AccountLookupFailed("timeout") from None
        except urllib3.exceptions.HTTPError as error:
            log.warning("call %s: account lookup: the CRM could not be reached (%s)", call_sid, type(error).__name__)
            raise AccountLookupFailed("unavailable") from None
        if status == 404:
            return None
        found = _on_file(data) if status == 200 else None
        if found is None:
            log.warning("call %s: account lookup: the CRM answered HTTP %s without a phone", call_sid, status)
            raise AccountLookupFailed("garbled")
        return found


def _on_file(data):
    """The "phone" (and "email", if text) of a JSON answer, or None."""
    if len(data) > LONGEST_ANSWER:
        return None
    try:
        answer = json.loads(data)
        phone, email = answer.get("phone"), answer.get("email")
    except (ValueError, AttributeError):
        return None
    if not isinstance(phone, str) or not phone:
        return None
    return OnFile(phone, email if isinstance(email, str) else "")
