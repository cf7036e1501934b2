"""Lookup v2 for the local stand-in: every number a mobile, never swapped, not forwarded, unless told otherwise.

`answer(number, …)` sets what Lookup says of one number (a test, `flask call`); the answers
have Lookup's JSON shapes (shared/reference/twilio_lookups_v2.json).
"""

import re
import threading
import time
from datetime import datetime, timezone
from urllib.parse import unquote

from urllib3 import exceptions as http_errors

# /v2/PhoneNumbers/{PhoneNumber}, the number URL-encoded (+ as %2B).
ROUTE = re.compile(r"^/v2/PhoneNumbers/([^/]+)$")
HOST = "lookups.twilio.com"
# The period a SIM swap answer covers, as Lookup writes it: the stand-in's carriers report 7 days.
SWAPPED_PERIOD = "PT168H"
# What `failure` may name: a Lookup error code in the package's answer, an HTTP error, or no answer at all.
FAILURES = {"package_not_enabled": 60606, "not_covered": 60607}


class LocalLookup:
    """Lookup v2 in memory, answering what `answer()` set per number."""

    HOST = HOST

    def __init__(self, clock=time.time):
        self.clock = clock
        self.requests = []  # (number, Fields) in order
        self._set = {}
        self._lock = threading.Lock()

    def answer(self, number, line_type="mobile", sim_swapped_hours=None, forwarding=False, failure=None):
        """What Lookup says of `number` (None: of every number not set otherwise) from now on; `failure`: package_not_enabled, not_covered, server_error or timeout."""
        with self._lock:
            self._set[number] = {"line_type": line_type, "swapped": sim_swapped_hours, "forwarding": forwarding, "failure": failure}

    def handle(self, method, path, params):
        """(status, JSON body) for a Lookup request; raises urllib3's timeout for a failure set as "timeout"."""
        match = ROUTE.match(path)
        if method.upper() != "GET" or not match:
            return 404, {"code": 20404, "message": "The requested resource was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}
        number = unquote(match.group(1))
        fields = [field for field in (params or {}).get("Fields", "").split(",") if field]
        with self._lock:
            self.requests.append((number, ",".join(fields)))
            setting = self._set.get(number) or self._set.get(None) or {"line_type": "mobile", "swapped": None, "forwarding": False, "failure": None}
        failure = setting["failure"]
        if failure == "timeout":
            raise http_errors.ReadTimeoutError(None, f"https://{HOST}/", "read timed out")
        if failure == "server_error":
            return 500, {"code": 20500, "message": "Internal Server Error", "more_info": "https://www.twilio.com/docs/errors/20500", "status": 500}
        return 200, self._body(number, fields, setting, FAILURES.get(failure))

    def _body(self, number, fields, setting, error_code):
        body = {
            "calling_country_code": None, "country_code": None, "phone_number": number, "national_format": None,
            "valid": True, "validation_errors": [], "caller_name": None, "sim_swap": None, "call_forwarding": None,
            "line_status": None, "line_type_intelligence": None, "identity_match": None, "reassigned_number": None,
            "sms_pumping_risk": None, "phone_number_quality_score": None, "pre_fill": None,
            "url": f"https://{HOST}/v2/PhoneNumbers/{number}",
        }  # fmt: skip
        if "line_type_intelligence" in fields:
            body["line_type_intelligence"] = {
                "mobile_country_code": "310", "mobile_network_code": "260", "carrier_name": "Local stand-in",
                "type": setting["line_type"], "error_code": error_code,
            }  # fmt: skip
        if "sim_swap" in fields:
            body["sim_swap"] = {
                "last_sim_swap": self._last_swap(setting["swapped"]), "carrier_name": "Local stand-in",
                "mobile_country_code": "310", "mobile_network_code": "260", "error_code": error_code,
            }  # fmt: skip
        if "call_forwarding" in fields:
            body["call_forwarding"] = {"call_forwarding_enabled": bool(setting["forwarding"]), "error_code": error_code}
        return body

    def _last_swap(self, hours):
        if hours is None:
            return {"last_sim_swap_date": None, "swapped_period": SWAPPED_PERIOD, "swapped_in_period": False}
        swapped = datetime.fromtimestamp(self.clock() - hours * 3600, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"last_sim_swap_date": swapped, "swapped_period": SWAPPED_PERIOD, "swapped_in_period": hours <= 168}
