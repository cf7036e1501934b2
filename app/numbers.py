"""Caller numbers: which ones can receive a code, and how to show one without revealing it."""

import functools
import hashlib
import hmac

import phonenumbers

# Withheld caller IDs as Twilio presents them: words, or keypad spellings of those words
# (ANONYMOUS, RESTRICTED, UNKNOWN, BLOCKED, UNAVAILABLE) that look like real numbers.
WITHHELD_WORDS = {"", "anonymous", "unknown", "restricted", "private", "blocked", "unavailable"}
WITHHELD_SPELLINGS = {"+266696687", "+7378742833", "+8656696", "+2562533", "+86282452253"}

MASK = "•" * 7


class Unusable(Exception):
    """A caller ID that no code can be sent to; `reason` says why."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# Twilio's Direction of a call the caller placed. On the others (one the API placed to them, a
# <Dial>'s leg) Twilio's From is the service's number and the caller is the To.
CALLED_IN = {"inbound", "trunking-originating"}


def own_number(fields):
    """The caller's own number in a call's fields (a webhook's form, say): From when they called in, To when the call went out to them."""
    return fields.get("From", "") if fields.get("Direction", "inbound") in CALLED_IN else fields.get("To", "")


def same_number(one, other):
    """True if both are the same usable number, however written."""
    try:
        return usable_number(one) == usable_number(other)
    except Unusable:
        return False


# One call asks about its number at several steps (sending, recording, the lockout count, the
# risk checks, the logs), and parsing with phonenumbers is the costly part (25-40 µs); only
# usable numbers are kept (an exception is not cached).
@functools.lru_cache(maxsize=1024)
def usable_number(raw):
    """The E.164 form of a caller ID a code can be sent to, or raise Unusable."""
    text = (raw or "").strip()
    if text.lower() in WITHHELD_WORDS or text in WITHHELD_SPELLINGS:
        raise Unusable("withheld")
    if not text.startswith("+") or not text[1:].isascii() or not text[1:].isdigit():
        raise Unusable("invalid_number")
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise Unusable("invalid_number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise Unusable("invalid_number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=1024)
def mask(number):
    """A number safe for logs and screens: country code and last two digits, '+1•••••••06'."""
    text = (number or "").strip()
    if not text:
        return "(none)"
    try:
        country = phonenumbers.parse(text, None).country_code
    except phonenumbers.NumberParseException:
        return MASK
    return f"+{country}{MASK}{text[-2:]}"


def fingerprint(number, secret_key):
    """A keyed hash of a number (HMAC-SHA256 with SECRET_KEY): it finds the number's rows, never shows it."""
    return hmac.new(secret_key.encode(), number.encode(), hashlib.sha256).hexdigest()


def countries(text):
    """The allow-list in ALLOWED_COUNTRIES ("US,CA,+44"): region codes and calling codes; ValueError names a bad one."""
    allowed = set()
    for entry in filter(None, (part.strip().upper() for part in (text or "").split(","))):
        digits = entry[1:]
        if entry.startswith("+") and digits.isascii() and digits.isdigit():
            entry = f"+{int(digits)}"
            known = int(digits) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
        else:
            known = entry in phonenumbers.SUPPORTED_REGIONS
        if not known:
            raise ValueError(f"{entry!r} is neither a region code like US nor a calling code like +44")
        allowed.add(entry)
    return frozenset(allowed)


@functools.lru_cache(maxsize=1024)
def country_of(number):
    """The region and calling code of a usable number: ('US', '+1')."""
    parsed = phonenumbers.parse(number, None)
    return phonenumbers.region_code_for_number(parsed), f"+{parsed.country_code}"


def in_countries(number, allowed):
    """True if a usable number is in one of the `allowed` countries; an empty allow-list allows all."""
    return not allowed or not allowed.isdisjoint(country_of(number))
