"""Settings, read from the environment (and from .env through python-dotenv)."""

import os

from dotenv import load_dotenv

load_dotenv()


def _int(name, default):
    """An integer setting, or the default when unset."""
    return int(os.environ.get(name) or default)


def _float(name, default):
    """A number setting, or the default when unset."""
    return float(os.environ.get(name) or default)


def _flag(name, default=False):
    """A yes/no setting: 1, true, yes and on mean yes."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Production settings; every other configuration derives from this one."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_VERIFY_SERVICE_SID = os.environ.get("TWILIO_VERIFY_SERVICE_SID", "")

    # The caller's side of the verification.
    CODE_LENGTH = _int("CODE_LENGTH", 6)
    MAX_ATTEMPTS = _int("MAX_ATTEMPTS", 3)
    MAX_SILENCES = _int("MAX_SILENCES", 2)
    MAX_RESENDS = _int("MAX_RESENDS", 1)
    GATHER_TIMEOUT = _int("GATHER_TIMEOUT", 12)
    LANGUAGE = os.environ.get("LANGUAGE", "en-US")
    VOICE = os.environ.get("VOICE", "Polly.Joanna")

    # Where the call goes after the verification.
    SUCCESS_NEXT_STEP = os.environ.get("SUCCESS_NEXT_STEP", "hangup")
    FALLBACK_NUMBER = os.environ.get("FALLBACK_NUMBER", "")

    # Talking to Twilio Verify; Twilio waits 15 s for each webhook.
    VERIFY_TIMEOUT = _float("VERIFY_TIMEOUT", 5.0)
    CALL_STATE_MAX_AGE = _int("CALL_STATE_MAX_AGE", 900)

    # Webhook security.
    VALIDATE_SIGNATURES = True
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 1)
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024)

    # Verification records and lockouts; empty DATABASE_URL means a SQLite file in instance/.
    DATABASE_URL = os.environ.get("DATABASE_URL", "")
    DATABASE_TIMEOUT = _float("DATABASE_TIMEOUT", 2.0)
    DATABASE_POOL_SIZE = _int("DATABASE_POOL_SIZE", 5)
    DATABASE_MAX_OVERFLOW = _int("DATABASE_MAX_OVERFLOW", 10)
    LOCKOUT_MAX_FAILURES = _int("LOCKOUT_MAX_FAILURES", 3)
    LOCKOUT_WINDOW = _int("LOCKOUT_WINDOW", 3600)

    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    USE_LOCAL_VERIFY = False

    REQUIRED = (
        "SECRET_KEY",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_VERIFY_SERVICE_SID",
    )


class DevelopmentConfig(Config):
    """Local development: runs without a Twilio account on the local Verify stand-in."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "development-only-secret-key"
    # Switching signature checks off is allowed here only, and said loudly at start-up.
    VALIDATE_SIGNATURES = _flag("VALIDATE_SIGNATURES", True)
    REQUIRED = ()


class TestConfig(DevelopmentConfig):
    """The test suite: fixed secrets and a fake Twilio supplied by the tests."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    TWILIO_AUTH_TOKEN = "test-auth-token"
    TWILIO_VERIFY_SERVICE_SID = "VA" + "0" * 32
    VALIDATE_SIGNATURES = True
    PUBLIC_BASE_URL = ""
    SUCCESS_NEXT_STEP = "hangup"
    FALLBACK_NUMBER = ""


CONFIGS = {
    "production": Config,
    "development": DevelopmentConfig,
    "test": TestConfig,
}


def config_for(env_name=None):
    """The configuration class that APP_ENV names (production when unset)."""
    name = env_name or os.environ.get("APP_ENV") or "production"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"APP_ENV={name!r} is not a known environment; use one of {sorted(CONFIGS)}"
        ) from None
