"""Point a Twilio phone number's webhooks at this server, as `flask twilio configure` does."""

import contextlib
import dataclasses
import json
from urllib.parse import urlsplit

from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from urllib3 import exceptions as http_errors

from app.numbers import Unusable, mask, usable_number
from app.twilio.standin import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN

VOICE_PATH = "/voice"
# What each webhook of the number is set to: (Twilio's field, twilio-python's argument, value),
# where a value starting with "/" is a path on this server.
WEBHOOKS = (
    ("VoiceUrl", "voice_url", VOICE_PATH),
    ("VoiceMethod", "voice_method", "POST"),
    ("VoiceFallbackUrl", "voice_fallback_url", "/voice/fallback"),
    ("VoiceFallbackMethod", "voice_fallback_method", "POST"),
    ("StatusCallback", "status_callback", "/voice/status"),
    ("StatusCallbackMethod", "status_callback_method", "POST"),
)


class SetupError(Exception):
    """The number cannot be configured; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Change:
    """One webhook setting of the number, before and after."""

    field: str
    argument: str
    old: str
    new: str

    @property
    def changed(self):
        return self.old != self.new


def credentials(config):
    """The account's (SID, auth token), or SetupError when none are configured."""
    sid, token = config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"]
    if sid in {"", LOCAL_ACCOUNT_SID} or token in {"", LOCAL_AUTH_TOKEN}:
        raise SetupError("No Twilio credentials: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (in .env or the environment)")
    return sid, token


def targets(base_url):
    """The value of each webhook setting for a server at `base_url` (https only).

    The voice URL itself (…/voice, as the Twilio console shows it) is read as its base URL.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise SetupError(f"--url must be an https:// URL (Twilio signs and calls it), not {base_url!r}")
    if parts.query or parts.fragment:
        raise SetupError("--url is the server's URL: no query string or fragment")
    base = f"https://{parts.netloc}{parts.path.rstrip('/').removesuffix(VOICE_PATH)}"
    return {argument: base + value if value.startswith("/") else value for _, argument, value in WEBHOOKS}


def plan(client, number, base_url):
    """The number's IncomingPhoneNumber, and the Changes that point it at `base_url`; nothing is changed."""
    wanted = targets(base_url)
    try:
        number = usable_number(number)
    except Unusable:
        raise SetupError("--number must be a phone number in +E.164 form, like +14155550100") from None
    with _twilio_errors():
        instance = _find(client, number)
    return instance, [Change(field, arg, getattr(instance, arg) or "", wanted[arg]) for field, arg, _ in WEBHOOKS]


def lacks_status_callback(changes):
    """True if the number's status callback (which places callbacks, app/calls/callback) is not yet this server's."""
    return any(change.field == "StatusCallback" and change.changed for change in changes)


def apply(client, instance, changes):
    """Set the number's webhooks as `changes` say."""
    with _twilio_errors():
        client.incoming_phone_numbers(instance.sid).update(**{change.argument: change.new for change in changes})


@contextlib.contextmanager
def _twilio_errors():
    """A failed request to Twilio as a SetupError saying what to do."""
    try:
        yield
    except TwilioException as error:
        raise SetupError(_explain(*_status_and_code(error))) from None
    except http_errors.HTTPError as error:
        raise SetupError(f"Could not reach Twilio ({type(error).__name__}); check the network and try again") from None


def _find(client, number):
    """The account's IncomingPhoneNumber for `number`."""
    # PhoneNumber filters by pattern, so only an exact match counts.
    matches = [found for found in client.incoming_phone_numbers.list(phone_number=number) if found.phone_number == number]
    if not matches:
        raise SetupError(f"{mask(number)} is not a phone number of this Twilio account (Phone Numbers > Active numbers)")
    return matches[0]


def _status_and_code(error):
    """HTTP status and Twilio error code of a failed request."""
    if isinstance(error, (TwilioRestException, TwilioServiceException)):
        return error.status, error.code
    # A failed list page raises a plain TwilioException carrying the raw response.
    response = error.args[1] if len(error.args) > 1 else None
    try:
        code = json.loads(response.text).get("code")
    except (AttributeError, TypeError, ValueError):
        code = None
    return getattr(response, "status_code", "?"), code


def _explain(status, code):
    """A sentence for a Twilio error, saying what to do."""
    if code == 20003:
        return "Twilio refused the credentials (error 20003): check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
    if code:
        return f"Twilio answered HTTP {status}, error {code}: see https://www.twilio.com/docs/errors/{code}"
    return f"Twilio answered HTTP {status}; try again, or check status.twilio.com"
