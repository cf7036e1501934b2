"""The stand-in's live calls, conferences and TaskRouter tasks: the Calls API's fetch and update, the Conferences API's list, the Tasks API's fetch and update.

An agent's request moves a caller's leg with the Calls API; here the call is a record in memory,
and a move is kept in `moves` for the simulator to carry out, as Twilio fetches the new URL.
"""

import json
import re
import secrets

from app.twilio.standin import error_body

_CALL = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Calls/(CA[0-9a-f]{32})\.json$")
_CONFERENCES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Conferences\.json$")
_TASK = re.compile(r"^/v1/Workspaces/(WS[0-9a-f]{32})/Tasks/(WT[0-9a-f]{32})$")


class LiveCalls:
    """The calls in progress and the tasks an agent works on, as Twilio's REST API shows them."""

    def __init__(self):
        self.calls = {}  # CallSid -> the call's JSON
        self.tasks = {}  # TaskSid -> the task's JSON
        self.conferences = {}  # friendly name -> the conference's JSON
        self.moves = []  # (CallSid, Url, Method) in order: where the Calls API sent a live call
        self.requests = []  # (method, path, form) of every Calls and Tasks request, in order

    def add_call(self, account_sid, call_sid, from_, to, direction="inbound", status="in-progress"):
        """A call Twilio has in progress (or in another status)."""
        self.calls[call_sid] = {
            "sid": call_sid,
            "account_sid": account_sid,
            "from": from_,
            "to": to,
            "direction": direction,
            "status": status,
            "api_version": "2010-04-01",
            "parent_call_sid": None,
            "uri": f"/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}.json",
        }
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
        # A call not in progress here may be one the stand-in placed (a callback): not this one's.
        call = _CALL.match(path)
        if call and call[2] not in self.calls:
            call = None
        if call or _TASK.match(path) or _CONFERENCES.match(path):
            self.requests.append((method, path, dict(form)))
        if match := _CONFERENCES.match(path):
            return self._conferences(match[1], form)
        if call:
            return self._call(method, call[1], call[2], form)
        if match := _TASK.match(path):
            return self._task(method, match[1], match[2], form)
        return None

    def _call(self, method, account_sid, sid, form):
        call = self.calls.get(sid)
        if call is None or call["account_sid"] != account_sid:
            return error_body(404, 20404, f"The requested resource /2010-04-01/Accounts/{account_sid}/Calls/{sid}.json was not found")
        if method == "GET":
            return 200, call
        if call["status"] != "in-progress":
            return error_body(400, 21220, "Call is not in-progress. Cannot redirect.")
        if form.get("Url"):
            self.moves.append((sid, form["Url"], form.get("Method", "POST")))
        return 200, call

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

    def _task(self, method, workspace_sid, sid, form):
        task = self.tasks.get(sid)
        if task is None or task["workspace_sid"] != workspace_sid:
            return error_body(404, 20404, f"The requested resource /Workspaces/{workspace_sid}/Tasks/{sid} was not found")
        if method == "POST" and "Attributes" in form:
            task["attributes"] = form["Attributes"]
        return 200, task
