"""Risk checks before a call's first code: what Lookup says of the line, its SIM and its forwarding.

`assess(state)` gives the state with the facts (line_type, sim_swap, forwarding) and a refusal,
or None for the code to go. The answers are kept per number (app/storage/lookups.py) for
LOOKUP_CACHE_HOURS; a SIM-swap answer only if it refuses (a recent swap), for an hour at most:
one that would let a code go is asked again by each call, or a swap made since the number was
first looked up (by whoever made it) would be hidden. What is missing or stale is asked.

`ask_ahead(state, offered)` asks while the caller hears the greeting: Twilio speaks it before fetching
the first code's step, so the code waits for Lookup only if Lookup is slower than the greeting.
"""

import concurrent.futures
import datetime
import logging

from blinker import Namespace
from flask import current_app

from app.calls import stir
from app.calls.ahead import KEPT, Ahead
from app.numbers import Unusable, in_countries, mask, usable_number
from app.storage import fallback, lockout, lookups, records, sends
from app.twilio.lookup import LookupFailed

log = logging.getLogger(__name__)

# A text cannot reach these lines: the voice path, when there is one, or reason "landline".
LANDLINES = {"landline", "fixedVoip"}
# Numbers no caller is verified on.
NOT_SUPPORTED = {"tollFree", "premium", "sharedCost", "uan", "voicemail", "pager"}
# The state's (and the record's) field for each check's answer.
FACTS = {"line_type": "line_type", "sim_swap": "sim_swap", "call_forwarding": "forwarding"}
# A SIM swap answer older than this is asked again, whatever LOOKUP_CACHE_HOURS says.
SIM_SWAP_FRESH = datetime.timedelta(hours=1)

# Sent when a call's checks were all answered from the kept answers, with no Lookup.
cache_hit = Namespace().signal("lookup-cache-hit")

# Lookups a worker asks at once ahead of the code; past it, the first code asks as it comes.
# A burst of callers arrives at once: this many per worker greet together without waiting.
AHEAD_AT_ONCE = 256


def checks(config):
    """The checks RISK_CHECKS names, in its order; empty: none."""
    return tuple(part.strip() for part in config.get("RISK_CHECKS", "").split(",") if part.strip())


def assess(state):
    """(state with the facts, refusal or None) for the call's first code."""
    config = current_app.config
    wanted = checks(config)
    if not wanted or state.channel == "email":
        # An emailed code reaches neither the phone nor its SIM: nothing Lookup says of them bears on it.
        return state, None
    try:
        answers = _asked_ahead(state) or _answers(state, wanted)
    except LookupFailed as failure:
        refuse = config.get("RISK_ON_LOOKUP_ERROR", "allow") == "refuse"
        log.warning("call %s: Lookup failed (%s) for %s: %s", state.call_sid, failure.reason, mask(state.destination), "refused" if refuse else "going on")
        unknown = {FACTS[check]: "unknown" for check in wanted}
        return state.but(**unknown), "lookup_unavailable" if refuse else None
    state = state.but(
        line_type=answers.get("line_type", ""),
        sim_swap=_sim_swap(answers["sim_swap"], config) if "sim_swap" in answers else "",
        forwarding=("on" if answers["call_forwarding"] else "off") if "call_forwarding" in answers else "",
    )
    refusal = _refusal(state, config)
    if refusal or state.sim_swap == "recent" or state.forwarding == "on" or state.line_type == "nonFixedVoip":
        log.info(
            "call %s: line %s, SIM swap %s, forwarding %s%s",
            state.call_sid, state.line_type or "-", state.sim_swap or "-", state.forwarding or "-", f": {refusal}" if refusal else "",
        )  # fmt: skip
    if not refusal:
        records.assessed(state)  # a refusal's record gets them as it ends
    return state, refusal


def _refusal(state, config):
    if state.line_type in LANDLINES:
        return "landline"
    if state.line_type in NOT_SUPPORTED:
        return "line_type_not_supported"
    if state.sim_swap == "recent" and config.get("SIM_SWAP_POLICY", "refuse") == "refuse":
        return "sim_swapped"
    if state.sim_swap == "unknown" and config.get("RISK_ON_LOOKUP_ERROR", "allow") == "refuse":
        return "lookup_unavailable"  # the carrier answered, but not for the whole of SIM_SWAP_MAX_AGE
    return None


def _sim_swap(answer, config):
    """recent: a swap within SIM_SWAP_MAX_AGE hours, or one the carrier dates no more than "in its period";
    none: a dated swap older, or none in a period covering SIM_SWAP_MAX_AGE; else unknown (the carrier cannot vouch)."""
    max_age = config.get("SIM_SWAP_MAX_AGE", 168)
    if answer["date"]:
        age = datetime.datetime.now(datetime.UTC) - datetime.datetime.fromisoformat(answer["date"])
        return "recent" if age <= datetime.timedelta(hours=max_age) else "none"
    if answer["in_period"]:
        return "recent"
    if answer["in_period"] is False and (answer.get("period_hours") or 0) >= max_age:
        return "none"
    return "unknown"


def _answers(state, wanted):
    """The answers to `wanted` for the call's number: kept ones still fresh, the others from Lookup (then kept)."""
    config = current_app.config
    hours = config.get("LOOKUP_CACHE_HOURS", 24)
    number_hash = records.number_hash(state.destination) if hours else None
    kept = lookups.read(number_hash, state.call_sid) if number_hash else {}
    now = records.now()
    fresh = {
        check: fact for check, fact in kept.items()
        if check in wanted and now - fact["at"] < _lifetime(check, hours) and _may_keep(check, fact, state.call_sid, now, config)
    }  # fmt: skip
    missing = [check for check in wanted if check not in fresh]
    if not missing:
        cache_hit.send()
        return {check: fact["answer"] for check, fact in fresh.items()}
    asked = current_app.extensions["verification"]["lookup"].fetch(state.destination, missing)
    if number_hash:
        new = {check: {"answer": answer, "at": now, "call": state.call_sid} for check, answer in asked.items()}
        lookups.write(number_hash, {**kept, **fresh, **new}, state.call_sid)
    return {**{check: fact["answer"] for check, fact in fresh.items()}, **asked}


def _may_keep(check, fact, call_sid, now, config):
    """False for a kept SIM-swap answer that lets the code go, unless given to this very call moments ago (asked
    ahead): the SIM may have been swapped since, so another call, or this one's next verification, asks again."""
    if check != "sim_swap" or _sim_swap(fact["answer"], config) == "recent":
        return True
    return fact.get("call") == call_sid and now - fact["at"] < datetime.timedelta(seconds=KEPT)


def ask_ahead(state, offered):
    """Start asking Lookup for the call's first code while the caller hears what comes before it.

    Only where the code would be asked for anyway: a number a code can go to, in ALLOWED_COUNTRIES,
    admitted by STIR_POLICY, not locked out, by a phone channel (`offered` are the channels the
    caller may pick); and within app/calls/ahead.py's bounds, the hour's allowance being this
    worker's share of the send cap. The answer is kept with the call's CallSid (and in the lookup
    cache, for a first code answered by the other worker).
    """
    config = current_app.config
    wanted = checks(config)
    if not wanted or not state.call_sid or "email" in ([state.channel] if state.channel else offered):
        return
    try:
        destination = usable_number(state.destination)
    except Unusable:
        return
    countries = current_app.extensions["verification"]["countries"]
    if not in_countries(destination, countries) or not stir.admitted(state.attestation, config.get("STIR_POLICY", "record")):
        return
    state, app, cap = state.but(destination=destination), current_app._get_current_object(), sends.cap(config)
    _ahead.ask(state.call_sid, destination, lambda: _ask(app, state, wanted), allowance=cap and fallback.share(cap))


def _ask(app, state, wanted):
    """The answers for a call's first code, asked in the background; None for a number locked out (it gets no code)."""
    with app.app_context():
        if lockout.is_locked(records.number_hash(state.destination), state.call_sid):
            return None
        return _answers(state, wanted)


def _asked_ahead(state):
    """The answers asked ahead for this call and number, waiting for them if need be; None if none were (or none will come)."""
    future = _ahead.take(state.call_sid, state.destination)
    if future is None:
        return None
    try:
        return future.result(timeout=current_app.config.get("VERIFY_TIMEOUT", 5.0) + 1)
    except concurrent.futures.TimeoutError:
        if future.cancel():
            return None  # never started: asked now, as without asking ahead
        raise LookupFailed("network") from None


_ahead = Ahead(AHEAD_AT_ONCE, "lookup-ahead")


def _lifetime(check, hours):
    lifetime = datetime.timedelta(hours=hours)
    return min(lifetime, SIM_SWAP_FRESH) if check == "sim_swap" else lifetime
