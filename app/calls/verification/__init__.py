"""The verification subflow: send a code, gather it, check it, hand back a verdict.

A Blueprint any Flask IVR can mount, the code version of a Studio "Run Subflow" widget.
The parent hands a call over with `hand_over()` and reads the verdict with `result()` in the
step it named as `return_to`. The verdict travels encrypted and bound to the call's CallSid,
so a request can only carry "approved" if Verify approved a code on that very call.

Its steps, each a module: start.py (the number checked, the call counted, the risks looked up),
channels.py (the channel menu, the email instead of a phone no text reaches), check.py (the
code sent, asked for and checked) and finish.py (the verdict recorded, the call handed back).
"""

import dataclasses
import logging

from blinker import Namespace
from flask import Blueprint, current_app, request, url_for

from app.calls import callback, handoff, prompts, risk, stir
from app.calls.callstate import BadState, CallState, StateCodec
from app.calls.prompts import say
from app.calls.security import logged_sid
from app.numbers import countries
from app.twilio.lookup import LookupService
from app.twilio.verify import VerifyService

log = logging.getLogger(__name__)

# Seconds a menu (language, channel) waits for a key once it has been said; silence takes the first choice.
MENU_TIMEOUT = 4

# Seconds a Verify request may take when the host app does not say (well inside Twilio's 15 s).
DEFAULT_VERIFY_TIMEOUT = 5.0

bp = Blueprint("verification", __name__, url_prefix="/verification")

signals = Namespace()
# Sent once for each verification the subflow takes on (not for a replayed start).
started = signals.signal("verification-started")
# Sent with `outcome` (approved, failed) and `reason` (a verdict of Result) as a verification ends.
finished = signals.signal("verification-finished")


@dataclasses.dataclass(frozen=True)
class Result:
    """The subflow's verdict: approved, or not with a reason."""

    approved: bool
    reason: str = ""
    # The number that was verified, in E.164 form; empty unless approved.
    destination: str = ""
    # The STIR/SHAKEN attestation the call arrived with (StirVerstat), empty when none.
    attestation: str = ""
    # How the caller was verified: caller_id, account, callback, or named_number (a number the flow or agent named).
    method: str = "caller_id"
    # The language the caller chose (empty: the configured one); later prompts speak it.
    language: str = ""
    # The account's keyed hash, by account; empty by caller ID.
    account: str = ""
    # Lookup's line type (mobile, landline, fixedVoip, nonFixedVoip, tollFree, …, unknown); "" if not looked up.
    line_type: str = ""
    # SIM swap: none, recent or unknown; "" if not looked up.
    sim_swap: str = ""
    # Call forwarding: on, off or unknown; "" if not looked up.
    forwarding: str = ""
    # The last two digits of a number the flow or agent named, for a failure's sentence to say which; "" otherwise.
    ending: str = ""


def init_app(app, twilio_client):
    """Mount the subflow on an app that talks to Verify through `twilio_client`."""
    config = app.config
    # twilio-python waits forever by default; a hanging Verify must not hang the call.
    if twilio_client.http_client.timeout is None:
        twilio_client.http_client.timeout = config.get("VERIFY_TIMEOUT", DEFAULT_VERIFY_TIMEOUT)
    app.extensions["verification"] = {
        "codec": StateCodec(config["SECRET_KEY"], config["CALL_STATE_MAX_AGE"]),
        "verify": VerifyService(twilio_client, config["TWILIO_VERIFY_SERVICE_SID"]),
        "lookup": LookupService(twilio_client),
        "countries": countries(config.get("ALLOWED_COUNTRIES", "")),
        "languages": prompts.languages(config),
        "channels": tuple(part.strip() for part in config.get("CHANNELS", "sms").split(",")),
    }
    app.register_blueprint(bp)
    handoff.init_app(app)
    callback.init_app(app)


def hand_over(response, destination, return_to, channel=None, language=None, attestation=None, **fields):
    """Add to `response` the step that runs the subflow; it comes back to `return_to`.

    `attestation` is the StirVerstat the call arrived with, for a step after the first webhook
    (Twilio need not repeat it); else this webhook's. `fields` are more of the CallState's: by
    account, method, account, account_refundable, entries, entry_counted and email (the address on file).
    """
    # Without a channel or a language the caller picks one of CHANNELS / LANGUAGES, if there are several.
    languages = current_app.extensions["verification"]["languages"]
    state = CallState(
        call_sid=request.form.get("CallSid", ""),
        destination=destination,
        channel=channel or "",
        return_to=return_to,
        attestation=stir.attestation(request.form) if attestation is None else attestation,
        language=language or "",
        **fields,
    )
    offered = channels.available(state)
    if not state.channel and len(offered) == 1:
        state = state.but(channel=offered[0])
    risk.ask_ahead(state, offered)
    if language is None and len(languages) > 1:
        return language_menu(response, state_url("verification.choose_language", state))
    response.redirect(state_url("verification.start", state), method="POST")
    return response


def language_menu(response, action, *lead):
    """A Gather saying `lead`, then offering the other configured languages by key (2, 3…); silence keeps the first."""
    gather = response.gather(input="dtmf", num_digits=1, timeout=MENU_TIMEOUT, action=action, method="POST")
    if lead:
        say(gather, *lead)
    for digit, other in enumerate(current_app.extensions["verification"]["languages"][1:], start=2):
        say(gather, "offer_language", language=other, digit=digit)
    response.redirect(action, method="POST")
    return response


def result():
    """The verdict this request carries; a forged, stale or foreign one counts as a failure."""
    try:
        state = load_state()
    except BadState as error:
        log.warning("call %s: verdict refused: %s", logged_sid(), error)
        return Result(False, "error", attestation=stir.attestation(request.form))
    facts = {"attestation": state.attestation, "method": state.method, "account": state.account, "language": state.language}
    facts.update(line_type=state.line_type, sim_swap=state.sim_swap, forwarding=state.forwarding)
    if state.method == "named_number":
        facts["ending"] = state.destination[-2:]
    if state.result == "approved":
        return Result(True, destination=state.destination, **facts)
    return Result(False, state.result or "error", **facts)


def state_url(endpoint, state):
    """The URL of a step, carrying the call's state."""
    # The token is URL-safe as it is: appended, not re-encoded by url_for.
    return f"{url_for(endpoint)}?s={codec().dump(state)}"


def load_state():
    """The call's state this request carries; BadState if forged, stale or another call's."""
    return codec().load(request.args.get("s", ""), request.form.get("CallSid", ""))


def codec():
    """The app's call-state codec."""
    return current_app.extensions["verification"]["codec"]


def verify_service():
    """The app's Verify service."""
    return current_app.extensions["verification"]["verify"]


# The steps, on `bp`; they use what is above.
from app.calls.verification import channels, check, finish, start  # noqa: E402
from app.calls.verification.channels import chosen  # noqa: E402
from app.calls.verification.finish import broken_off, hand_back, record_verdict  # noqa: E402

__all__ = [
    "DEFAULT_VERIFY_TIMEOUT", "MENU_TIMEOUT", "Result", "bp", "broken_off", "chosen", "finished", "hand_back", "hand_over",
    "init_app", "language_menu", "load_state", "record_verdict", "result", "started", "state_url",
]  # fmt: skip
