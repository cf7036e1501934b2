"""Entry from an agent mid-call: the Calls API moves the caller's leg here, and the return step puts it back.

The API (app/api) seals what the agent asked for (the number, the account, the language, where
the caller goes back to, who hears the verdict) into the URL it moves the leg to; Twilio then
posts the call's fields to `start`, which hands the call to the subflow as every entry does.
When the subflow ends, `done` tells the caller the outcome, posts the verdict to `notify`,
writes it into the TaskRouter task, and puts the caller back into the agent's conference (or
redirects to the return URL with the verdict's token). Nothing of it is in a URL in clear.
"""

import json
import logging
from urllib.parse import urlencode, urlsplit

import certifi
import urllib3
from flask import Blueprint, current_app, request, url_for
from twilio.base.exceptions import TwilioException
from twilio.twiml.voice_response import VoiceResponse

from app import outbound
from app.calls import account, handoff, public_host, verification
from app.calls.callstate import BadState, Sealer
from app.calls.handoff import verdict
from app.calls.handoff.render import RISKS, task_attributes
from app.calls.prompts import failure, say
from app.calls.security import logged_sid, twilio_request
from app.calls.twiml import fallback, twiml
from app.numbers import own_number

log = logging.getLogger(__name__)

# Seconds the verdict's post to `notify` may take, answer and all: the caller waits for it.
NOTIFY_TIMEOUT = 3.0
# Bytes of the notify server's answer read (and ignored).
LONGEST_ANSWER = 4096

bp = Blueprint("agent", __name__, url_prefix="/agent")


def init_app(app):
    """Mount the steps; keep the sealing key and the pool the verdict is posted through."""
    app.extensions["agent"] = {
        "sealer": Sealer("agent-request", app.config["SECRET_KEY"], app.config["CALL_STATE_MAX_AGE"]),
        "pool": outbound.bounded(urllib3.PoolManager(maxsize=8, retries=False, ca_certs=certifi.where())),
    }
    app.register_blueprint(bp)


def seal(call_sid, **values):
    """`values` as a URL-safe token only this server reads, bound to the call."""
    return current_app.extensions["agent"]["sealer"].seal(call_sid, values)


def unseal(token, call_sid):
    """The values sealed for this call, within CALL_STATE_MAX_AGE; BadState otherwise."""
    return current_app.extensions["agent"]["sealer"].unseal(token, call_sid)


def start_url(base, call_sid, request_id, to, back, account="", language="", method="caller_id"):
    """The URL the caller's leg is moved to: `base` (https://host) and the sealed request, `request_id` its record's key."""
    sealed = seal(call_sid, request=request_id, to=to, account=account, language=language, back=back, method=method)
    return f"{base}{url_for('agent.start')}?b={sealed}"


@bp.post("/start")
@twilio_request
def start():
    """The caller's leg, moved here by the Calls API: hand it to the subflow, by number or by account."""
    try:
        asked = unseal(request.args.get("b", ""), request.form.get("CallSid", ""))
    except BadState as error:
        log.warning("call %s: agent's request refused: %s", logged_sid(), error)
        return fallback("error")
    log.info("call %s: moved here by an agent's request", logged_sid())
    return_to = f"{url_for('.done')}?b={seal(request.form['CallSid'], **asked['back'])}"
    language = asked["language"] or None
    if asked["account"]:
        return _by_account(asked["account"], asked["back"], return_to, language, asked["request"])
    method = asked.get("method", "caller_id")
    return twiml(verification.hand_over(VoiceResponse(), asked["to"], return_to, language=language, method=method, request=asked["request"]))


def _by_account(digits, back, return_to, language, request_id):
    """The account number the agent has, looked up and counted as the account step does."""
    response = VoiceResponse()
    failure = account.hand_over_known(response, digits, return_to, language=language, request=request_id)
    return twiml(_put_back(VoiceResponse(), back, failure) if failure else response)


@bp.post("/return")
@twilio_request
def done():
    """Where the subflow hands the call back: the outcome said, the verdict delivered, the caller put back."""
    try:
        back = unseal(request.args.get("b", ""), request.form.get("CallSid", ""))
    except BadState as error:
        log.warning("call %s: agent's return refused: %s", logged_sid(), error)
        return fallback("error")
    return twiml(_put_back(VoiceResponse(), back, verification.result()))


def _put_back(response, back, result):
    """Say the outcome, deliver the verdict to `notify` and the task, and add the verbs that put the caller back."""
    sentence = ("approved_account" if result.method == "account" else "approved") if result.approved else failure(result.reason, result.method)
    say(response, sentence, language=result.language or None, ending=" ".join(result.ending))
    issued = _verdict(result)
    if back.get("notify"):
        _notify(back["notify"], issued)
    if back.get("task"):
        _into_task(back["task"], issued)
    if "conference" in back:
        if not _in_progress(back["conference"]):
            say(response, "agent_gone", language=result.language or None)
            return handoff.hand_on(response, handoff.next_step("failed"), result)
        # The caller's leaving must not end the agent's conference: their leg ends it on exit no more.
        response.dial().conference(back["conference"], start_conference_on_enter=True, end_conference_on_exit=False)
        return response
    return handoff.hand_on(response, handoff.Destination("url", back["url"]), result)


def _in_progress(name):
    """False if the Conferences API has no conference `name` in progress (the agent left); True if it cannot say."""
    client = current_app.extensions["twilio_client"]
    try:
        found = client.conferences.list(friendly_name=name, status="in-progress", limit=20)
    except (TwilioException, urllib3.exceptions.HTTPError) as error:
        # Rather back to the conference than away from an agent who may be there.
        log.warning("call %s: the Conferences API could not say if the agent's conference goes on (%s)", logged_sid(), type(error).__name__)
        return True
    return any(conference.friendly_name == name for conference in found)


def _verdict(result):
    """The verdict as every destination gets it: for a failed call, about the caller ID it showed."""
    form = request.form
    number = result.destination if result.approved else own_number(form)
    secret = current_app.config["SECRET_KEY"]
    risks = {name: getattr(result, name) for name in RISKS}
    return verdict.issued(form.get("CallSid", ""), result.approved, result.reason, result.method, number, result.attestation, secret, result.account, **risks)


def _notify(url, issued):
    """Post `verdict=<JWT>` to the agent's system; a failure is logged, the caller goes back all the same.

    The host is resolved once and must be public (NOTIFY_ALLOW_PRIVATE aside); the post goes to the
    address checked, its certificate verified against the host's name.
    """
    try:
        address, host, port = public_host.resolve(url, current_app.config["NOTIFY_ALLOW_PRIVATE"])
    except public_host.NotPublic as refusal:
        log.warning("call %s: the verdict was not posted to notify: %s", logged_sid(), refusal)
        return
    body = urlencode({"verdict": issued.token(current_app.extensions["handoff"]["key"])})
    parts = urlsplit(url)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": parts.netloc.rpartition("@")[2]}
    tls = {"server_hostname": host, "assert_hostname": host}
    pool = current_app.extensions["agent"]["pool"].connection_from_host(address, port, scheme="https", pool_kwargs=tls)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        status, _, _ = outbound.request(pool, "POST", target, NOTIFY_TIMEOUT, LONGEST_ANSWER, body=body, headers=headers, redirect=False)
    except urllib3.exceptions.HTTPError as error:
        log.warning("call %s: the verdict could not be posted to notify (%s)", logged_sid(), type(error).__name__)
        return
    if not 200 <= status < 300:
        log.warning("call %s: notify answered the verdict with HTTP %s", logged_sid(), status)


def _into_task(task_sid, issued):
    """Write the verdict into the task's attributes under `verification`, keeping the others."""
    client = current_app.extensions["twilio_client"]
    task = client.taskrouter.v1.workspaces(current_app.config["TWILIO_WORKSPACE_SID"]).tasks(task_sid)
    try:
        attributes = json.loads(task.fetch().attributes or "{}")
        attributes.update(json.loads(task_attributes(issued)))
        task.update(attributes=json.dumps(attributes, separators=(",", ":"), ensure_ascii=False))
    except (TwilioException, urllib3.exceptions.HTTPError, ValueError, AttributeError) as error:
        log.warning("call %s: the verdict could not be written into task %s (%s)", logged_sid(), task_sid, type(error).__name__)
