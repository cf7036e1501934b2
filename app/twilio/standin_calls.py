"""The stand-in's Calls API, conferences and TaskRouter tasks: one registry of calls, Twilio's JSON for each.

A call is either one Twilio has in progress (an inbound call an agent's request moves: a move
is kept in `moves` for the simulator to carry out, as Twilio fetches the new URL) or one the
app placed (the callback: kept in `placed`, with the form it was created with, for the
simulator to play). Both are fetched and updated alike.
"""

import json
import re
import secrets
import time

_CALLS = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Calls(?:/(CA[0-9a-fA-F]{32}))?\.json$")
_CONFERENCES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Conferences\.json$")
_TASK = re.compile(r"^/v1/Workspaces/(WS[0-9a-f]{32})/Tasks/(WT[0-9a-f]{32})$")
# What a create must name, as Twilio's API requires: where to call, from where, and what to run.
_REQUIRED = ("To", "From", "Url")


class LocalCalls:
    """The calls Twilio knows (in progress, or placed by the app) and the tasks an agent works on."""

    def __init__(self):
        self.calls = {}  # CallSid -> the call's JSON, as the Calls API answers with it
        self.placed = []  # the calls the app placed, in order: {"sid", "form"}
        self.tasks = {}  # TaskSid -> the task's JSON
        self.conferences = {}  # friendly name -> the conference's JSON
        self.moves = []  # (CallSid, Url, Method) in order: where the Calls API sent a live call
        self.requests = []  # (method, path, form) of every Calls and Tasks request, in order

    def add_call(self, account_sid, call_sid, from_, to, direction="inbound", status="in-progress"):
        """A call Twilio has in progress (or in another status)."""
        self.calls[call_sid] = call_json(account_sid, call_sid, from_, to, direction, status)
        return self.calls[call_sid]

    def add_conference(self, account_sid, name):
        """A conference in progress, with an agent in it."""
        sid = "CF" + secrets.token_hex(16)
        uri = f"/2010-04-01/Accounts/{account_sid}/Conferences/{sid}.json"
        self.conferences[name] = {"sid": sid, "account_sid": account_sid, "friendly_name": name, "status": "in-progress", "api_version": "2010-04-01", "uri": uri}

    def end_conference(self, name):
        """The agent left: the conference is over."""
        self.conferences[name]["status"] = "completed"

    def add_task(self, workspace_sid, attributes=None, task_sid=None):
        """A task whose attributes are `attributes` (a dict); its SID."""
        sid = task_sid or "WT" + secrets.token_hex(16)
        self.tasks[sid] = {
            "sid": sid,
            "workspace_sid": workspace_sid,
            "attributes": json.dumps(attributes or {}),
            "assignment_status": "assigned",
            "url": f"https://taskrouter.twilio.com/v1/Workspaces/{workspace_sid}/Tasks/{sid}",
        }
        return sid

    def attributes(self, task_sid):
        """A task's attributes, as a dict."""
        return json.loads(self.tasks[task_sid]["attributes"])

    def handle(self, method, path, form):
        """(status, JSON body) for a Calls or Tasks request; None for a path of neither."""
        method = method.upper()
        if match := _CALLS.match(path):
            self.requests.append((method, path, dict(form)))
            account_sid, sid = match.groups()
            if sid is None:
                return self._create(method, account_sid, path, form)
            return self._call(method, account_sid, sid, path, form)
        if match := _CONFERENCES.match(path):
            self.requests.append((method, path, dict(form)))
            return self._conferences(match[1], form)
        if match := _TASK.match(path):
            self.requests.append((method, path, dict(form)))
            return self._task(method, match[1], match[2], form)
        return None

    def _conferences(self, account_sid, query):
        """The list of conferences, filtered by FriendlyName and Status as Twilio filters it."""
        found = [
            conference
            for conference in self.conferences.values()
            if conference["account_sid"] == account_sid
            and query.get("FriendlyName", conference["friendly_name"]) == conference["friendly_name"]
            and query.get("Status", conference["status"]) == conference["status"]
        ]
        uri = f"/2010-04-01/Accounts/{account_sid}/Conferences.json"
        page = {"conferences": found, "page": 0, "page_size": 50, "start": 0, "end": max(len(found) - 1, 0)}
        return 200, {**page, "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None, "uri": uri}

    def _create(self, method, account_sid, path, form):
        if method != "POST":
            return _not_found(path)
        missing = [name for name in _REQUIRED if not form.get(name)]
        if missing:
            return _error(400, 21205 if "Url" in missing else 21201, f"Missing required parameter {missing[0]}")
        sid = "CA" + secrets.token_hex(16)
        call = self.add_call(account_sid, sid, form["From"], form["To"], direction="outbound-api", status="queued")
        self.placed.append({"sid": sid, "form": dict(form)})
        return 201, call

    def _call(self, method, account_sid, sid, path, form):
        call = self.calls.get(sid)
        if call is None or call["account_sid"] != account_sid:
            return _not_found(path)
        if method == "GET":
            return 200, call
        if call["status"] != "in-progress":
            return _error(400, 21220, "Call is not in-progress. Cannot redirect.")
        if form.get("Url"):
            self.moves.append((sid, form["Url"], form.get("Method", "POST")))
        return 200, call

    def _task(self, method, workspace_sid, sid, form):
        task = self.tasks.get(sid)
        if task is None or task["workspace_sid"] != workspace_sid:
            return _error(404, 20404, f"The requested resource /Workspaces/{workspace_sid}/Tasks/{sid} was not found")
        if method == "POST" and "Attributes" in form:
            task["attributes"] = form["Attributes"]
        return 200, task


def call_json(account_sid, sid, from_, to, direction, status):
    """A Call resource as Twilio's API answers with it."""
    created = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    base = f"/2010-04-01/Accounts/{account_sid}/Calls/{sid}"
    return {
        "account_sid": account_sid,
        "answered_by": None,
        "api_version": "2010-04-01",
        "caller_name": None,
        "date_created": created,
        "date_updated": created,
        "direction": direction,
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": from_,
        "from_formatted": from_,
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": sid,
        "start_time": None,
        "status": status,
        "subresource_uris": {name: f"{base}/{name.title().replace('_', '')}.json" for name in ("notifications", "recordings", "events")},
        "to": to,
        "to_formatted": to,
        "trunk_sid": None,
        "uri": f"{base}.json",
    }


def _not_found(path):
    return _error(404, 20404, f"The requested resource {path} was not found")


def _error(status, code, message):
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
