"""The per-call state that travels in action URLs, encrypted and signed with SECRET_KEY.

Twilio re-sends the call's fields with every webhook, so the little the server must remember
between two of them (the verification, the counters, where to return) rides in the next
action URL instead of in server memory: a restart or a second dyno between two webhooks loses
nothing. The token is Fernet (AES + HMAC with a timestamp), not merely signed, because it
carries the destination number, and no URL may show a phone number.
"""

import base64
import dataclasses
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken


# The longest token read. The largest state a call carries (an agent's request with every field
# at its limit, an email on file, the risk checks' facts) seals to about 2,500 characters, and
# gunicorn reads no request line over 4,094 bytes: no longer token can reach a step through it.
LONGEST_TOKEN = 4000


class BadState(Exception):
    """A token that is forged, expired, garbled or issued for another call."""


@dataclasses.dataclass(frozen=True)
class CallState:
    """What the verification subflow knows about one call between two webhooks."""

    call_sid: str
    destination: str
    # How the code goes (sms, whatsapp, email); empty until the caller picks one from a menu.
    channel: str
    return_to: str
    verification_sid: str = ""
    attempts: int = 0
    silences: int = 0
    resends: int = 0
    # When the lockout counted the call (lockout.admit), while a failure not of the caller's doing
    # may still give the count back; emptied once a code goes to Verify's check.
    refundable: str = ""
    # Set once, when the subflow hands the call back: "approved" or a failure reason.
    result: str = ""
    # The STIR/SHAKEN attestation (StirVerstat) the call arrived with; Twilio sends it to /voice.
    attestation: str = ""
    # The caller's language, chosen at the greeting's menu; empty: the configured one.
    language: str = ""
    # Channels Verify refused for this call (60223, not set up on the service), comma-separated.
    tried: str = ""
    # The agent's request this verification answers (app/api), its record's key with the CallSid; empty elsewhere.
    request: str = ""
    # How the caller is verified: caller_id, or account (destination is then the phone on file).
    method: str = "caller_id"
    # The account's keyed hash (app/storage/accounts.py), and when its lockout counted the call,
    # given back as `refundable` is; empty by caller ID.
    account: str = ""
    account_refundable: str = ""
    # The email address on file, by account, if it has one: Verify's To when the channel is email.
    # Only ever in this encrypted token, never in a log or a URL in clear.
    email: str = ""
    # The key the caller's account-number entries are counted under (lockout.entries_key), and
    # when this call's was: an approval gives it back, so that holders who verify are not refused.
    entries: str = ""
    entry_counted: str = ""
    # Lookup's line type (mobile, landline, fixedVoip, nonFixedVoip, tollFree, …, unknown); "" if not looked up.
    line_type: str = ""
    # SIM swap: none, recent or unknown; "" if not looked up.
    sim_swap: str = ""
    # Call forwarding: on, off or unknown; "" if not looked up.
    forwarding: str = ""
    # The entry lets a landline's call end with the callback's promise: /voice's does. Every other
    # (an agent's, a Studio flow's, a host IVR's) expects its call back, and gets reason `landline`.
    may_call_back: bool = False

    def but(self, **changes):
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


_FIELDS = [field.name for field in dataclasses.fields(CallState)]
# Fields at their default are left out of the token, which keeps the action URLs short.
_DEFAULTS = {field.name: field.default for field in dataclasses.fields(CallState) if field.default is not dataclasses.MISSING}


class Sealer:
    """Values as a URL-safe token only this server reads: bound to one call, fresh for `max_age` seconds.

    Each `purpose` has a key of its own drawn from SECRET_KEY, so that a token sealed for one
    use (a call's state, an agent's request) is refused by the other.
    """

    def __init__(self, purpose, secret_key, max_age):
        digest = hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._max_age = max_age

    def seal(self, call_sid, values):
        """The token for `values`; ASCII letters, digits, '-' and '_' only."""
        payload = json.dumps({"call_sid": call_sid, **values}, separators=(",", ":"))
        # Padding '=' is dropped: some proxies re-encode it, and Twilio signs the exact URL.
        return self._fernet.encrypt(payload.encode()).decode().rstrip("=")

    def unseal(self, token, call_sid):
        """The values in a token, which must be fresh and sealed for this very call."""
        if not token or len(token) > LONGEST_TOKEN or not token.isascii():
            raise BadState("missing or malformed token")
        padded = token + "=" * (-len(token) % 4)
        try:
            values = json.loads(self._fernet.decrypt(padded.encode(), ttl=self._max_age))
        except (InvalidToken, ValueError) as error:
            raise BadState("token is forged, garbled or expired") from error
        if not isinstance(values, dict):
            raise BadState("token is forged, garbled or expired")
        if not call_sid or values.pop("call_sid", None) != call_sid:
            raise BadState("token belongs to another call")
        return values


class StateCodec:
    """Turns a CallState into a URL-safe token and back."""

    def __init__(self, secret_key, max_age):
        self._sealer = Sealer("call-state", secret_key, max_age)

    def dump(self, state):
        """The token for a state; ASCII letters, digits, '-' and '_' only."""
        # By name, so that a deploy that adds a field (with a default) keeps calls in flight going.
        fields = {name: value for name, value in vars(state).items() if name not in _DEFAULTS or value != _DEFAULTS[name]}
        del fields["call_sid"]
        return self._sealer.seal(state.call_sid, fields)

    def load(self, token, call_sid):
        """The state in a token, which must be fresh and issued for this very call."""
        values = self._sealer.unseal(token, call_sid)
        try:
            return CallState(call_sid=call_sid, **{name: value for name, value in values.items() if name in _FIELDS})
        except (TypeError, AttributeError) as error:
            raise BadState("token is forged, garbled or expired") from error
