"""Start-up checks on the configuration: refuse to run rather than fail mid-call."""

import logging

from app.calls import stir
from app.calls.handoff import destinations
from app.calls.prompts import PROMPTS
from app.twilio.standin import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, LocalVerify

log = logging.getLogger(__name__)

BANNER = "!" * 78

RANGES = {
    "CODE_LENGTH": (4, 10),
    "MAX_ATTEMPTS": (1, 10),
    "MAX_SILENCES": (0, 10),
    "MAX_RESENDS": (0, 4),
    "GATHER_TIMEOUT": (3, 60),
    # Twilio gives a webhook 15 s; a Verify call must end well before that.
    "VERIFY_TIMEOUT": (0.5, 10),
    "CALL_STATE_MAX_AGE": (60, 3600),
    "TRUSTED_PROXIES": (0, 5),
    # A call waits on the database at most a few times; each wait must stay short.
    "DATABASE_TIMEOUT": (0.5, 5),
    "DATABASE_POOL_SIZE": (1, 100),
    "DATABASE_MAX_OVERFLOW": (0, 100),
    "LOCKOUT_MAX_FAILURES": (1, 100),
    "LOCKOUT_WINDOW": (60, 30 * 86400),
}


class SettingsError(RuntimeError):
    """The configuration cannot run a call; the message names the setting."""


def wants_local_verify(config):
    """True for a non-production app with no Twilio Verify credentials."""
    credentials = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_VERIFY_SERVICE_SID")
    return config["ENV_NAME"] != "production" and not all(config[name] for name in credentials)


def use_local_verify(config):
    """Switch the app to the local Verify stand-in, and say so where nobody can miss it."""
    config["USE_LOCAL_VERIFY"] = True
    # A real account SID is kept: `flask twilio configure` needs it even without a Verify service.
    config["TWILIO_ACCOUNT_SID"] = config["TWILIO_ACCOUNT_SID"] or LOCAL_ACCOUNT_SID
    config["TWILIO_VERIFY_SERVICE_SID"] = "VA" + "0" * 32
    config["TWILIO_AUTH_TOKEN"] = config["TWILIO_AUTH_TOKEN"] or LOCAL_AUTH_TOKEN
    log.warning(
        "\n%s\n  No Twilio Verify credentials: using the LOCAL VERIFY STAND-IN.\n"
        "  No text message is sent; each code is printed on this console instead.\n"
        "  Webhooks are checked against the auth token %r.\n%s",
        BANNER,
        config["TWILIO_AUTH_TOKEN"] if config["TWILIO_AUTH_TOKEN"] == LOCAL_AUTH_TOKEN else "from TWILIO_AUTH_TOKEN",
        BANNER,
    )
    return LocalVerify(code_length=config["CODE_LENGTH"])


def check(config):
    """Raise SettingsError naming the first problem with the configuration."""
    missing = [name for name in config["REQUIRED"] if not config.get(name)]
    if missing:
        raise SettingsError(f"Missing required setting(s): {', '.join(missing)} (see .env.example)")
    production = config["ENV_NAME"] == "production"
    if production and config["USE_LOCAL_VERIFY"]:
        raise SettingsError("The local Verify stand-in cannot be used in production")
    if production and not config["VALIDATE_SIGNATURES"]:
        raise SettingsError("VALIDATE_SIGNATURES cannot be switched off in production")
    if production and len(config["SECRET_KEY"]) < 16:
        raise SettingsError("SECRET_KEY is too short: use at least 16 random characters")
    for name, (low, high) in RANGES.items():
        if not low <= config[name] <= high:
            raise SettingsError(f"{name}={config[name]} is out of range ({low} to {high})")
    if config["LANGUAGE"] not in PROMPTS:
        raise SettingsError(f"LANGUAGE={config['LANGUAGE']!r} has no prompts; use one of {sorted(PROMPTS)}")
    if config["STIR_POLICY"] not in stir.POLICIES:
        raise SettingsError(f"STIR_POLICY={config['STIR_POLICY']!r} is not one of {', '.join(stir.POLICIES)}")
    _check_next_steps(config, production)
    if not config["VALIDATE_SIGNATURES"]:
        log.warning("\n%s\n  VALIDATE_SIGNATURES is off: ANYONE can drive calls on this server.\n%s", BANNER, BANNER)


def _check_next_steps(config, production):
    """SUCCESS_NEXT_STEP and FAILURE_NEXT_STEP name destinations, and those checking the verdict can."""
    try:
        steps = [destinations.parse("SUCCESS_NEXT_STEP", config["SUCCESS_NEXT_STEP"]), destinations.failure_step(config)]
    except destinations.BadDestination as error:
        raise SettingsError(str(error)) from None
    key = config["VERDICT_SIGNING_KEY"]
    if key and len(key.encode()) < 32:
        raise SettingsError("VERDICT_SIGNING_KEY is too short: use at least 32 random characters")
    if production and not key and any(step.carries_token for step in steps):
        raise SettingsError("VERDICT_SIGNING_KEY is required for a sip: or URL next step: the receiving system checks the verdict with it")
