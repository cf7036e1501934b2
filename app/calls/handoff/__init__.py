"""Handing the call on: the verdict travels with it, in the form each kind of destination understands.

SUCCESS_NEXT_STEP and FAILURE_NEXT_STEP each name a destination (destinations.py); the verdict
(verdict.py) goes with the call as a whisper to an agent's phone (whisper.py), SIP headers,
<Client> parameters, TaskRouter task attributes or a signed token in a URL (render.py).
"""

from flask import current_app, request

from app.calls import stir
from app.calls.handoff import destinations, verdict, whisper
from app.calls.handoff.destinations import BadDestination, Destination
from app.calls.handoff.render import RISKS, render
from app.numbers import own_number

__all__ = ["BadDestination", "Destination", "hand_on", "init_app", "next_step"]


def init_app(app):
    """Read SUCCESS_NEXT_STEP and FAILURE_NEXT_STEP once, keep the signing key, mount the whisper."""
    config = app.config
    app.extensions["handoff"] = {
        "approved": destinations.parse("SUCCESS_NEXT_STEP", config.get("SUCCESS_NEXT_STEP", "hangup")),
        "failed": destinations.failure_step(config),
        "key": verdict.signing_key(config),
        "whisper_key": verdict.whisper_key(config),
    }
    if whisper.bp.name not in app.blueprints:
        app.register_blueprint(whisper.bp)


def next_step(outcome):
    """The destination configured for "approved" or "failed"."""
    return current_app.extensions["handoff"][outcome]


def hand_on(response, destination, result=None, reason="error"):
    """Add to `response` the verbs that take this call to `destination`, with the verdict on it.

    `destination` is a Destination, or a setting's spelling of one ("sip:desk@pbx.example.com");
    `result` is the subflow's verification.result(); without one the call failed for `reason`.
    """
    if isinstance(destination, str):
        destination = destinations.parse("destination", destination)
    form = request.form
    account, risks = "", {}
    if result is None:
        approved, method, attestation = False, "caller_id", stir.attestation(form)
    else:
        approved, method, attestation, reason = result.approved, result.method, result.attestation, result.reason
        account = result.account
        risks = {name: getattr(result, name) for name in RISKS}
    # A failed call's number is the caller ID it showed; only an approval vouches for it.
    number = result.destination if approved else own_number(form)
    config = current_app.config
    issued = verdict.issued(form.get("CallSid", ""), approved, reason, method, number, attestation, config["SECRET_KEY"], account, **risks)
    language = result.language if result is not None else ""
    return render(response, destination, issued, current_app.extensions["handoff"], language)
