"""The verdict on a call, and the token it travels as: a JWT (HS256) signed with VERDICT_SIGNING_KEY."""

import dataclasses
import hashlib
import hmac
import time

from app.numbers import Unusable, fingerprint, mask, usable_number

ALGORITHM = "HS256"
# Long enough for an agent to answer or another IVR to pick the call up; useless soon after.
LIFETIME = 300
STATUSES = ("approved", "failed")
LONGEST_TOKEN = 4096
# The risk facts' known values (Lookup's line types, the risk checks' words); any other is handed on
# as "other", which keeps the SIP header part within its measured bound.
RISK_VALUES = {
    "line_type": ("mobile", "landline", "fixedVoip", "nonFixedVoip", "personal", "tollFree", "premium", "sharedCost", "uan",
                  "voicemail", "pager", "unknown"),
    "sim_swap": ("none", "recent", "unknown"),
    "forwarding": ("on", "off", "unknown"),
}
OTHER = "other"


class BadVerdict(Exception):
    """A token that is forged, expired, garbled or issued for another call."""


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What the verification concluded about one call: its claims, never a full number or a code."""

    call_sid: str
    status: str  # approved or failed
    reason: str  # approved, or why not: too_many_attempts, unattested, ...
    method: str  # how the caller was verified: caller_id, account, callback or named_number (not the caller's own)
    number: str  # masked: +1•••••••71
    number_hash: str  # the records' keyed hash of the number; empty for a number no code can reach
    attestation: str  # StirVerstat as the call arrived with it; empty when Twilio sent none
    account: str = ""  # by account, the account's keyed hash; left out of the token when empty
    # The risk checks' facts (Lookup), each left out of the token when empty: not looked up.
    line_type: str = ""  # mobile, landline, fixedVoip, nonFixedVoip, tollFree, …, unknown
    sim_swap: str = ""  # none, recent or unknown
    forwarding: str = ""  # on, off or unknown

    @property
    def approved(self):
        return self.status == "approved"

    def token(self, key, now=None):
        """The verdict as a JWT that expires LIFETIME seconds after it is issued."""
        issued = int(time.time() if now is None else now)
        # Tokens ride in SIP headers, under Twilio's 1,024 characters: no empty optional claim.
        claims = {name: value for name, value in dataclasses.asdict(self).items() if value or name not in OPTIONAL}
        claims |= {"iat": issued, "exp": issued + LIFETIME}
        # Imported on first use: PyJWT brings some 2 MB that a server handing calls to hangup or flex: never uses.
        import jwt

        return jwt.encode(claims, key, algorithm=ALGORITHM)


# Claims a token has only when they have a value: `account` by account, the risks once looked up.
# Not required when reading, either: a token issued before the risk checks existed (up to LIFETIME
# seconds before a deploy) lacks them, and a missing one says what an empty one would: not looked up.
OPTIONAL = ("account", "line_type", "sim_swap", "forwarding")
# The claims every token has.
CLAIMS = tuple(field.name for field in dataclasses.fields(Verdict) if field.name not in OPTIONAL)


def issued(call_sid, approved, reason, method, number, attestation, secret_key, account="", **risks):
    """The verdict on a call about `number`: the verified one, or the caller ID a failed call showed.

    `risks` are the facts the risk checks found: line_type, sim_swap, forwarding.
    """
    risks = {name: value if not value or value in RISK_VALUES[name] else OTHER for name, value in risks.items()}
    try:
        number_hash = fingerprint(usable_number(number), secret_key)
    except Unusable:
        number_hash = ""
    status = "approved" if approved else "failed"
    return Verdict(call_sid, status, "approved" if approved else reason, method, mask(number), number_hash, attestation, account, **risks)


def read(token, key, call_sid):
    """The verdict in a token signed with `key`, unexpired and issued for `call_sid`; else BadVerdict."""
    claims = check(token, key)
    if not call_sid or claims["call_sid"] != call_sid:
        raise BadVerdict("issued for another call")
    return Verdict(**{name: claims[name] for name in CLAIMS}, **{name: claims.get(name, "") for name in OPTIONAL})


def check(token, key):
    """The claims of a token whose signature and expiry hold, with every claim present; else BadVerdict."""
    if not token or len(token) > LONGEST_TOKEN or not token.isascii():
        raise BadVerdict("missing or malformed")
    import jwt

    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["iat", "exp", *CLAIMS]})
    except jwt.ExpiredSignatureError:
        raise BadVerdict("expired") from None
    except jwt.InvalidSignatureError:
        raise BadVerdict("forged: not signed with this key") from None
    except jwt.InvalidTokenError as error:
        raise BadVerdict(f"garbled: {type(error).__name__}") from None
    shapes = [claims[name] for name in CLAIMS] + [claims.get(name, "") for name in OPTIONAL]
    # PyJWT takes "exp": "9999999999" (it only needs int() to work); this server writes whole seconds.
    times = [claims["iat"], claims["exp"]]
    if claims["status"] not in STATUSES or not all(isinstance(value, str) for value in shapes) or not all(type(value) is int for value in times):
        raise BadVerdict("garbled: claims of the wrong shape")
    # This server issues no verdict for longer: one that claims to live longer was made elsewhere.
    if claims["exp"] - claims["iat"] > LIFETIME:
        raise BadVerdict(f"forged: made to live longer than {LIFETIME} s")
    return claims


def signing_key(config):
    """VERDICT_SIGNING_KEY, or, where no other system checks the tokens, a key derived from SECRET_KEY."""
    key = config.get("VERDICT_SIGNING_KEY")
    if key:
        return key
    return hmac.new(config["SECRET_KEY"].encode(), b"verdict-signing-key", hashlib.sha256).hexdigest()


def whisper_key(config):
    """The key of the whisper's token, which only this server reads: never the one a PBX or IVR shares."""
    return hmac.new(config["SECRET_KEY"].encode(), b"verdict-whisper-key", hashlib.sha256).hexdigest()
