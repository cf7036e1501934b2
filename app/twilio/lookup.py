"""Twilio Lookup v2, as the call needs it: a number's line type, last SIM swap and call forwarding.

Nothing Twilio-shaped leaves this module: callers get plain answers by check, or a
LookupFailed whose `reason` is one of a bounded set.
"""

import datetime
import json
import logging
import re
import time

from blinker import Namespace
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from urllib3 import exceptions as http_errors

log = logging.getLogger(__name__)

# Each check (RISK_CHECKS) and the Lookup package (Fields) that answers it.
PACKAGES = {"line_type": "line_type_intelligence", "sim_swap": "sim_swap", "call_forwarding": "call_forwarding"}

# Lookup's error codes, as a failure's reason; any other is http_4xx or http_5xx.
ERROR_REASONS = {
    60606: "package_not_enabled",  # the account may not use the package
    60607: "not_covered",  # no provider for the number's country or carrier
    60620: "not_covered",  # the carrier's SIM swap answer is incomplete
    20404: "not_found",
}

# Sent after each Lookup with `outcome`: "answered", or a LookupFailed's reason.
requested = Namespace().signal("lookup-requested")


class LookupFailed(Exception):
    """Lookup gave no usable answer, for a `reason` of a bounded set (ERROR_REASONS' values, network, http_4xx, http_5xx, bad_answer)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class LookupService:
    """Lookup v2, reached through a twilio-python Client."""

    def __init__(self, client):
        self._client = client

    def fetch(self, number, checks):
        """The answers to `checks` for `number`, by check; LookupFailed if any of them has none.

        line_type: Lookup's type ("unknown" when it names none); sim_swap: {"date": ISO 8601 in UTC
        or None, "in_period": True, False or None, "period_hours": the carrier's period or None};
        call_forwarding: True or False.
        """
        began, outcome = time.perf_counter(), "bad_answer"
        fields = ",".join(PACKAGES[check] for check in checks)
        try:
            answer = self._client.lookups.v2.phone_numbers(number).fetch(fields=fields)
            answers = {check: _READERS[check](getattr(answer, PACKAGES[check])) for check in checks}
            outcome = "answered"
            return answers
        except LookupFailed as failure:
            outcome = failure.reason
            raise
        except (TwilioRestException, TwilioServiceException) as failure:
            outcome = _error_reason(failure)
            # The error's message can quote the number: status and code only.
            log.warning("lookup failed: HTTP %s, error %s -> %s", failure.status, failure.code, outcome)
            raise LookupFailed(outcome) from None
        except http_errors.HTTPError as failure:
            outcome = "network"
            log.warning("lookup failed: %s -> network", type(failure).__name__)
            raise LookupFailed(outcome) from None
        except (TwilioException, json.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError) as failure:
            log.warning("lookup failed: %s -> bad_answer", type(failure).__name__)
            raise LookupFailed(outcome) from None
        finally:
            requested.send(outcome=outcome, seconds=time.perf_counter() - began)


def _error_reason(error):
    if error.code in ERROR_REASONS:
        return ERROR_REASONS[error.code]
    status = error.status if isinstance(error.status, int) else 0
    return f"http_{status // 100}xx" if 400 <= status < 600 else "bad_answer"


def _package(info):
    """A package's object, or LookupFailed: missing (not covered) or carrying its own error code."""
    if not isinstance(info, dict):
        raise LookupFailed("not_covered")
    code = info.get("error_code")
    if code:
        log.warning("lookup package failed: error %s", code)
        raise LookupFailed(ERROR_REASONS.get(code, "bad_answer"))
    return info


def _line_type(info):
    return str(_package(info).get("type") or "unknown")


def _sim_swap(info):
    last = _package(info).get("last_sim_swap")
    if not isinstance(last, dict):
        raise LookupFailed("not_covered")
    in_period = last.get("swapped_in_period")
    return {
        "date": _moment(last.get("last_sim_swap_date")),
        "in_period": in_period if isinstance(in_period, bool) else None,
        "period_hours": _hours(last.get("swapped_period")),
    }


def _hours(duration):
    """An ISO 8601 duration of days, hours and minutes ("PT48H", "P7D") in hours; None for none or another form."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?", duration) if isinstance(duration, str) else None
    if not match or not any(match.groups()):
        return None
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return days * 24 + hours + minutes / 60


def _moment(text):
    """An RFC 3339 date-time as ISO 8601 in UTC ("2020-04-27T10:18:50+00:00"), None for none; a ValueError if it is not one."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)).astimezone(datetime.UTC).isoformat()


def _call_forwarding(info):
    enabled = _package(info).get("call_forwarding_enabled")
    if not isinstance(enabled, bool):
        raise LookupFailed("not_covered")
    return enabled


_READERS = {"line_type": _line_type, "sim_swap": _sim_swap, "call_forwarding": _call_forwarding}
