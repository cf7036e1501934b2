"""The account step: ask for the account number, look it up, hand the subflow the phone on file."""

import logging

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from app import emails
from app.calls import stir, verification
from app.calls.account.entry import DIGITS, bad_format_prompt, entered, gather
from app.calls.callstate import BadState, CallState
from app.calls.security import logged_sid, twilio_request
from app.calls.twiml import fallback, twiml
from app.numbers import own_number
from app.storage import database, lockout, records
from app.storage.accounts import AccountLookupFailed, DatabaseAccounts, account_hash
from app.storage.crm import CrmAccounts

log = logging.getLogger(__name__)

bp = Blueprint("account", __name__, url_prefix="/account")


def init_app(app, source=None):
    """Mount the step, looking accounts up in `source`, else the CRM ACCOUNT_LOOKUP_URL names, else the table."""
    config = app.config
    if source is None and config.get("ACCOUNT_LOOKUP_URL"):
        source = CrmAccounts(config["ACCOUNT_LOOKUP_URL"], config["ACCOUNT_LOOKUP_SECRET"], config["ACCOUNT_LOOKUP_TIMEOUT"])
    app.extensions["accounts"] = source or DatabaseAccounts()
    app.register_blueprint(bp)


def greet(response, return_to, language="", may_call_back=False, **fields):
    """Add to `response` the greeting and the account number's Gather; the subflow then returns to `return_to`.

    `language` is the caller's, when the entry knows it already; else a menu offers LANGUAGES if there are several.
    `may_call_back`: the call may end with a callback's promise (only where this server answered it, /voice).
    `fields` are more of the CallState's (a Studio flow's request).
    """
    state = CallState(
        call_sid=request.form.get("CallSid", ""),
        destination="",
        channel="sms",
        return_to=return_to,
        attestation=stir.attestation(request.form),
        method="account",
        may_call_back=may_call_back,
        language=language,
        **fields,
    )
    if language or len(current_app.extensions["verification"]["languages"]) == 1:
        return _ask(state, "greeting_account", response=response)
    # Several languages: the greeting, then the offer of the others, before the account number.
    action = verification.state_url("account.choose_language", state)
    return twiml(verification.language_menu(response, action, "greeting_account"))


@bp.post("/language")
@twilio_request
def choose_language():
    """The language menu's answer (a key, or silence for the default); then the account number."""
    state = verification.load_state()
    language = verification.chosen(current_app.extensions["verification"]["languages"])
    return _ask(state.but(language=language))


@bp.post("/entered")
@twilio_request
def account_entered():
    """The caller's account number, or the silence or '#' where it should be."""
    state = verification.load_state()
    entry = entered(request.form)
    if entry.kind == "silence":
        state = state.but(silences=state.silences + 1)
        if state.silences > current_app.config["MAX_SILENCES"]:
            return _fail(state, "no_account_number")
        return _ask(state, "no_input")
    if entry.kind == "none" and current_app.config["VERIFY_BY"] == "account_or_caller_id":
        log.info("call %s: no account number, verified by caller ID", state.call_sid)
        response = VoiceResponse()
        return twiml(verification.hand_over(response, own_number(request.form), state.return_to, **_carried(state)))
    if entry.kind != "digits":
        return _wrong(state, bad_format_prompt())
    return _look_up(state, entry.digits)


class Refused(Exception):
    """No phone on file to verify: `reason` says why (account_unknown, account_locked, ...)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _look_up(state, digits):
    """Hand the subflow the phone on file; an unknown account is one more try, any other refusal ends the call."""
    try:
        found = look_up(state.call_sid, digits)
    except Refused as refusal:
        if refusal.reason == "account_unknown":
            return _wrong(state, "account_unknown")
        return _fail(state, refusal.reason)
    response = VoiceResponse()
    verification.hand_over(response, found.pop("destination"), state.return_to, **_carried(state), **found)
    return twiml(response)


def hand_over_known(response, digits, return_to, language=None, **fields):
    """Verify the holder of an account number an entry already has (a Studio flow's, an agent's).

    The number is looked up and counted as one keyed here. Adds the subflow's first step to
    `response` and gives None, or gives the failed Result (malformed or unknown: account_not_found).
    `fields` are more of the CallState's (an agent's request).
    """
    state = CallState(
        call_sid=request.form.get("CallSid", ""),
        destination="",
        channel=current_app.extensions["verification"]["channels"][0],
        return_to=return_to,
        attestation=stir.attestation(request.form),
        language=language or "",
        method="account",
        **fields,
    )
    config = current_app.config
    if not (DIGITS.fullmatch(digits) and config["ACCOUNT_MIN_DIGITS"] <= len(digits) <= config["ACCOUNT_MAX_DIGITS"]):
        return failed(state, "account_not_found")
    try:
        found = look_up(state.call_sid, digits)
    except Refused as refusal:
        return failed(state, "account_not_found" if refusal.reason == "account_unknown" else refusal.reason)
    destination = found.pop("destination")
    verification.hand_over(response, destination, return_to, language=language, attestation=state.attestation, **fields, **found)
    return None


def look_up(call_sid, digits):
    """The subflow's destination and fields for the account `digits` names, or Refused.

    Each entry is counted before its lookup, so racing calls look up no more than the count admits.
    """
    # The caller's own number pays for guessing, under a key of its own that no approval clears;
    # callers who withhold their number share one, in a shorter window.
    caller = own_number(request.form)
    counted = lockout.admit_entry(caller, call_sid)
    if counted is None:
        raise Refused("unknown_accounts" if records.number_hash(caller) else "withheld_entries")
    try:
        found = current_app.extensions["accounts"].on_file(digits, call_sid)
    except AccountLookupFailed as failure:
        log.warning("call %s: account lookup failed: %s", call_sid, failure.reason)
        raise Refused("account_unavailable") from None
    key = account_hash(digits, current_app.config["SECRET_KEY"])
    if found is None:
        # A known account's count is one more statement: an unknown one's is read, so both answers take as long.
        lockout.is_locked(key, call_sid)
        log.info("call %s: no such account", call_sid)
        raise Refused("account_unknown")
    # The account pays too: a caller cycling phones cannot get unlimited tries on one account.
    account_counted = lockout.admit_key(key, call_sid)
    if account_counted is None:
        raise Refused("account_locked")
    log.info("call %s: account found, verifying the phone on file", call_sid)
    return {
        "destination": found.phone,
        "method": "account",
        "account": key,
        "account_refundable": account_counted,
        "entries": lockout.entries_key(caller) if counted else "",
        "entry_counted": counted,
        "email": _email(call_sid, found.email),
    }


def _email(call_sid, text):
    """The account's email address, if it has one a code can be sent to; "" otherwise."""
    try:
        return emails.usable(text) if text else ""
    except ValueError:
        log.warning("call %s: the email on file is not an address; not offered", call_sid)
        return ""


def _wrong(state, prompt):
    """An entry that is no account (malformed or unknown): ask again, or give up after MAX_ATTEMPTS."""
    state = state.but(attempts=state.attempts + 1)
    if state.attempts >= current_app.config["MAX_ATTEMPTS"]:
        return _fail(state, "account_not_found")
    return _ask(state, prompt)


def _ask(state, *prompt, response=None):
    response = response or VoiceResponse()
    gather(response, verification.state_url("account.account_entered", state), _language(state), *prompt)
    return twiml(response)


def _carried(state):
    """What the subflow takes on from the account step: the attestation /voice carried, the language chosen, the callback's leave, the request.

    No language chosen is "", not LANGUAGE: the subflow then speaks LANGUAGE, offers no second
    menu, and lets Verify pick the text's language from the number's country.
    """
    return {"attestation": state.attestation, "language": state.language, "may_call_back": state.may_call_back, "request": state.request}


def _language(state):
    """The language the step speaks: chosen at the menu, or the configured one."""
    return state.language or current_app.config["LANGUAGE"]


def _fail(state, reason):
    """The account step ends the call's verification: recorded, then handed back as the subflow hands back a failure."""
    failed(state, reason)
    return verification.hand_back(state.but(result=reason))


def failed(state, reason):
    """The verdict on a call whose account step ended its verification, recorded under the caller's number."""
    log.info("call %s: verification by account failed: %s", state.call_sid, reason)
    record = state.but(destination=own_number(request.form))
    with database.one_connection("record account step", state.call_sid):
        if records.started(record):
            verification.started.send()
            records.finished(record, reason)
            verification.finished.send(outcome="failed", reason=reason)
    return verification.Result(False, reason, attestation=state.attestation, method="account", language=state.language)


@bp.errorhandler(BadState)
def _broken_state(error):
    """A forged, stale or foreign state at the account step: apologise, fall back."""
    log.warning("call %s: %s on %s", logged_sid(), error, request.path)
    return fallback("error")
