"""Entry from a Twilio Studio flow: its TwiML Redirect widget hands the call over, a Redirect to Studio takes it back.

The widget's URL is `/studio/verify?flow=FW…` with, optionally, `to`, `account` and `language`;
Twilio signs that URL whole, so only the flow's owner sets them. When the subflow ends, the call
goes back to the flow with the verdict as the widget's variables: `{{widgets.<name>.verified}}`,
`reason`, `method` and `verdict` (the signed token a URL destination gets).
"""

import logging
import re
import secrets
from urllib.parse import parse_qsl

from flask import Blueprint, abort, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from app.calls import account, handoff, verification
from app.calls.security import logged_sid, twilio_request
from app.calls.twiml import twiml
from app.numbers import own_number, same_number

log = logging.getLogger(__name__)

FLOW_SID = re.compile(r"FW[0-9a-f]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
# Studio's webhook for a flow; FlowEvent=return fires the TwiML Redirect widget's Return exit.
STUDIO = "https://webhooks.twilio.com/v1/Accounts/{account}/Flows/{flow}"

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.post("/verify")
@twilio_request
def verify():
    """The TwiML Redirect widget's URL: verify `to` (default the caller), or the phone on file for `account`."""
    flow = _flow()
    if not request.form.get("CallSid"):
        abort(400, "CallSid is missing: this URL is for Twilio voice webhooks.")
    language = request.args.get("language", "")
    languages = current_app.extensions["verification"]["languages"]
    if language and language not in languages:
        abort(400, f"language must be one of {', '.join(languages)}: the widget's URL names another.")
    log.info("call %s: handed over by Studio flow %s", logged_sid(), flow)
    return_to = url_for(".done", flow=flow)
    # Each pass is a verification of its own: a flow may verify the same call again once one has ended.
    request_id = secrets.token_hex(8)
    if request.args.get("account") == "ask":
        # The digits are keyed here, to this server's own account step: in no URL and no log.
        return account.greet(VoiceResponse(), return_to, language=language, request=request_id)
    if "account" in request.args:
        return _by_account(request.args["account"], flow, return_to, language, request_id)
    caller = own_number(request.form)
    destination = _named_number() or caller
    method = "caller_id" if same_number(destination, caller) else "named_number"
    return twiml(verification.hand_over(VoiceResponse(), destination, return_to, language=language or None, method=method, request=request_id))


def _named_number():
    """The widget URL's `to`, its '+' a plus even when written plain.

    In a query string a plain '+' means a space, but the flow's owner writes `to=+14155550100`
    (and Liquid fills `to={{trigger.call.From}}` in unencoded): read so, the number would lose
    its plus and be refused. A number has no spaces to lose instead.
    """
    query = request.query_string.decode("ascii", "replace").replace("+", "%2B")
    return next((value for name, value in parse_qsl(query) if name == "to"), "")


def _by_account(digits, flow, return_to, language, request_id):
    """The account number the flow collected, looked up and counted as the account step does."""
    response = VoiceResponse()
    failure = account.hand_over_known(response, digits, return_to, language=language or None, request=request_id)
    return twiml(back_to_studio(VoiceResponse(), flow, failure) if failure else response)


@bp.post("/return")
@twilio_request
def done():
    """Where the subflow hands the call back: on to the flow, the verdict with it."""
    return twiml(back_to_studio(VoiceResponse(), _flow(), verification.result()))


def back_to_studio(response, flow, result):
    """Add the Redirect that returns the call to `flow`, carrying `result` as the widget's variables and a signed token."""
    account_sid = request.form.get("AccountSid", "")
    if not ACCOUNT_SID.fullmatch(account_sid):
        abort(400, "AccountSid is missing or malformed: this URL is for Twilio voice webhooks.")
    verified = "true" if result.approved else "false"
    reason = "approved" if result.approved else result.reason
    url = f"{STUDIO.format(account=account_sid, flow=flow)}?FlowEvent=return&verified={verified}&reason={reason}&method={result.method}"
    return handoff.hand_on(response, handoff.Destination("url", url), result)


def _flow():
    """The flow SID the widget's URL names; a 400 otherwise, which Studio takes as the widget's Fail exit."""
    flow = request.args.get("flow", "")
    if not FLOW_SID.fullmatch(flow):
        abort(400, "flow must be the Studio flow's SID, FW and 32 hex digits: the call cannot return to it otherwise.")
    return flow
