"""POST /api/v1/calls/{CallSid}/verification: move the caller's leg to the subflow, and back when it ends."""

import hmac
import json
import logging
import pathlib
import secrets

import urllib3
from flask import Blueprint, Response, current_app, jsonify, request
from twilio.base.exceptions import TwilioException, TwilioRestException
from werkzeug.exceptions import HTTPException

from app.api.body import NotFitting, read_body
from app.calls import agent
from app.calls.security import CALL_SID, NotAWebhookUrl, public_base
from app.numbers import Unusable, mask, own_number, same_number, usable_number
from app.storage import records

log = logging.getLogger(__name__)

SPEC = pathlib.Path(__file__).with_name("openapi.json")
# Twilio: "Call is not in-progress. Cannot redirect."
NOT_IN_PROGRESS = 21220
VERIFYING = "the caller is verifying already"

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Refused(Exception):
    """An answer other than 202: its status and one line of reason."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status, self.reason = status, reason


@bp.before_request
def _authenticated():
    """A bearer token equal to API_TOKEN, compared in constant time; else 401 (the description is open to read)."""
    if request.endpoint == "api.openapi":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = current_app.config["API_TOKEN"].encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
        return answer(401, "missing or wrong bearer token: send Authorization: Bearer <API_TOKEN>")
    return None


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI 3.1 description."""
    return Response(SPEC.read_bytes(), mimetype="application/json")


@bp.post("/calls/<call_sid>/verification")
def verify(call_sid):
    """Verify the caller on call `call_sid`: their leg leaves the conversation for the subflow, and comes back."""
    try:
        if not CALL_SID.fullmatch(call_sid):
            raise Refused(404, "no such call: a CallSid is CA and 32 hex digits")
        wanted = read_body(request.get_data(), current_app.config, current_app.extensions["verification"]["languages"])
        call = _fetch(call_sid)
        if call.status != "in-progress":
            raise Refused(409, f"the call is {call.status}, not in progress")
        if records.progress(call_sid) == "running":
            raise Refused(409, VERIFYING)
        own = own_number({"From": call._from, "To": call.to, "Direction": call.direction})  # twilio-python names `from` _from
        to = wanted.to or own
        if not wanted.to and not wanted.account:
            _reachable(to)
        if "task" in wanted.back:
            _task_of(call_sid, wanted.back["task"])
        try:
            base = public_base()
        except NotAWebhookUrl:
            raise Refused(400, "this server's host is not one Twilio could reach: set PUBLIC_BASE_URL") from None
        method = "account" if wanted.account else "caller_id" if same_number(to, own) else "named_number"
        request_id = secrets.token_hex(8)
        # Claimed before the move: of two requests at once, the second finds the call taken.
        if not records.claim(call_sid, request_id, method):
            raise Refused(409, VERIFYING)
        url = agent.start_url(base, call_sid, request_id, to, wanted.back, account=wanted.account, language=wanted.language, method=method)
        try:
            _move(call_sid, url)
        except Refused:
            records.release(call_sid, request_id)
            raise
    except NotFitting as error:
        return answer(422, str(error))
    except Refused as refusal:
        return answer(refusal.status, refusal.reason)
    log.info("call %s: moved to verify %s at an agent's request", call_sid, "an account" if wanted.account else mask(to))
    return answer(202, "the caller is being verified", call_sid=call_sid)


def _fetch(call_sid):
    """The call, as the Calls API has it; Refused 404 if Twilio knows no such call, 503 if Twilio cannot say."""
    try:
        return _calls(call_sid).fetch()
    except TwilioRestException as error:
        if error.status == 404:
            raise Refused(404, "no such call on this account") from None
        raise _unavailable(error) from None
    except (TwilioException, urllib3.exceptions.HTTPError) as error:
        raise _unavailable(error) from None


def _reachable(number):
    """Refused 409 if the call's own number is one no code can reach (withheld, a client: leg)."""
    try:
        usable_number(number)
    except Unusable as unusable:
        raise Refused(409, f"the caller's number is {unusable.reason.replace('_', ' ')}: no code can reach it; give to or account") from None


def _task_of(call_sid, task_sid):
    """Refused 422 if the task is not in the workspace or belongs to another call, 503 if Twilio cannot say."""
    workspace = current_app.extensions["twilio_client"].taskrouter.v1.workspaces(current_app.config["TWILIO_WORKSPACE_SID"])
    try:
        attributes = json.loads(workspace.tasks(task_sid).fetch().attributes or "{}")
    except TwilioRestException as error:
        if error.status == 404:
            raise Refused(422, "task is not a task of TWILIO_WORKSPACE_SID's workspace") from None
        raise _unavailable(error) from None
    except (TwilioException, urllib3.exceptions.HTTPError) as error:
        raise _unavailable(error) from None
    except ValueError:
        attributes = {}
    owner = attributes.get("call_sid") if isinstance(attributes, dict) else None
    if owner and owner != call_sid:
        raise Refused(422, "task belongs to another call: its attributes' call_sid is not this call's")


def _move(call_sid, url):
    """Send the caller's leg to `url`; Refused 409 if it ended meanwhile, 503 if Twilio cannot be asked."""
    try:
        _calls(call_sid).update(url=url, method="POST")
    except TwilioRestException as error:
        if error.code == NOT_IN_PROGRESS:
            raise Refused(409, "the call is not in progress") from None
        if error.status == 404:
            raise Refused(404, "no such call on this account") from None
        raise _unavailable(error) from None
    except (TwilioException, urllib3.exceptions.HTTPError) as error:
        raise _unavailable(error) from None


def _calls(call_sid):
    return current_app.extensions["twilio_client"].calls(call_sid)


def _unavailable(error):
    log.warning("verification request: Twilio's Calls API failed (%s)", type(error).__name__)
    return Refused(503, "Twilio's Calls API cannot be reached or refused this server's credentials: try again shortly")


def answer(status, reason, **fields):
    response = jsonify({"reason": reason, **fields})
    response.status_code = status
    return response


@bp.errorhandler(HTTPException)
def http_error(error):
    """Flask's own refusals (a body too large, a wrong method) as one line of JSON."""
    return answer(error.code, error.description.split("\n")[0] if error.description else error.name)


@bp.errorhandler(Exception)
def _unexpected(error):
    """Never a traceback: one line, and the type alone in the log (the message could hold a number)."""
    log.error("unexpected %s on %s", type(error).__name__, request.path, exc_info=current_app.debug or current_app.testing)
    return answer(503, "the verification could not be started: try again shortly")

