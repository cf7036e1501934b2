"""The stand-in's Calls API: a call placed (the callback) is answered as Twilio creates one, and kept for the simulator to play."""

import re
import secrets
import time

_CALLS = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Calls(?:/(CA[0-9a-fA-F]{32}))?\.json$")
# What a create must name, as Twilio's API requires: where to call, from where, and what to run.
_REQUIRED = ("To", "From", "Url")


def handles(path):
    """True for a path of the Calls API."""
    return _CALLS.match(path) is not None


def handle(placed, method, path, form):
    """(status, JSON body) for a Calls API request; `placed` is the list of calls created, each a dict."""
    account_sid, call_sid = _CALLS.match(path).groups()
    if call_sid is None and method.upper() == "POST":
        missing = [name for name in _REQUIRED if not form.get(name)]
        if missing:
            return _error(400, 21205 if "Url" in missing else 21201, f"Missing required parameter {missing[0]}")
        call = {"sid": "CA" + secrets.token_hex(16), "account_sid": account_sid, "status": "queued", "created": time.time(), "form": dict(form)}
        placed.append(call)
        return 201, call_json(call)
    found = next((call for call in placed if call["sid"] == call_sid), None)
    if found is not None and method.upper() == "GET":
        return 200, call_json(found)
    return _error(404, 20404, f"The requested resource {path} was not found")


def call_json(call):
    """A Call resource as Twilio's API answers with it."""
    created = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(call["created"]))
    base = f"/2010-04-01/Accounts/{call['account_sid']}/Calls/{call['sid']}"
    form = call["form"]
    return {
        "account_sid": call["account_sid"],
        "answered_by": None,
        "api_version": "2010-04-01",
        "caller_name": None,
        "date_created": created,
        "date_updated": created,
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": form["From"],
        "from_formatted": form["From"],
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": call["sid"],
        "start_time": None,
        "status": call["status"],
        "subresource_uris": {name: f"{base}/{name.title().replace('_', '')}.json" for name in ("notifications", "recordings", "events")},
        "to": form["To"],
        "to_formatted": form["To"],
        "trunk_sid": None,
        "uri": f"{base}.json",
    }


def _error(status, code, message):
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
