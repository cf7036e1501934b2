"""Settings, read from the environment (and from .env through python-dotenv)."""

import os

from dotenv import load_dotenv

load_dotenv()

# Every setting's default, by name: the test suite and the benchmark run on these, whatever a
# developer's .env says.
DEFAULTS = {}


def _str(name, default=""):
    """A text setting, or the default when unset."""
    DEFAULTS[name] = default
    return os.environ.get(name, default)


def _int(name, default):
    """An integer setting, or the default when unset."""
    return _number(int, name, default)


def _float(name, default):
    """A number setting, or the default when unset."""
    return _number(float, name, default)


def _number(kind, name, default):
    DEFAULTS[name] = default
    value = os.environ.get(name) or default
    try:
        return kind(value)
    except ValueError:
        raise RuntimeError(f"{name}={value!r} is not a {'whole ' if kind is int else ''}number") from None


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
    LANGUAGE = _str("LANGUAGE", "en-US")
    VOICE = _str("VOICE", "Polly.Joanna")

    # Where the call goes after the verification, with the verdict (app/calls/handoff/).
    SUCCESS_NEXT_STEP = _str("SUCCESS_NEXT_STEP", "hangup")
    FAILURE_NEXT_STEP = _str("FAILURE_NEXT_STEP", "")
    FALLBACK_NUMBER = _str("FALLBACK_NUMBER", "")  # FAILURE_NEXT_STEP's old spelling
    # Signs the verdict token a PBX or another IVR checks; shared with them.
    VERDICT_SIGNING_KEY = _str("VERDICT_SIGNING_KEY", "")
    # record: StirVerstat is recorded and handed on; require-a: only A-attested calls are verified.
    STIR_POLICY = _str("STIR_POLICY", "record")

    # Talking to Twilio Verify; Twilio waits 15 s for each webhook.
    VERIFY_TIMEOUT = _float("VERIFY_TIMEOUT", 5.0)
    CALL_STATE_MAX_AGE = _int("CALL_STATE_MAX_AGE", 900)

    # Webhook security.
    VALIDATE_SIGNATURES = True
    PUBLIC_BASE_URL = _str("PUBLIC_BASE_URL").rstrip("/")
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 1)
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024)

    # Verification records and lockouts; empty DATABASE_URL means a SQLite file in instance/.
    DATABASE_URL = _str("DATABASE_URL", "")
    DATABASE_TIMEOUT = _float("DATABASE_TIMEOUT", 2.0)
    # 8 per worker, none extra: two workers stay within the 20 connections of Heroku's smallest
    # Postgres plan, and a burst waits a moment for a pooled connection instead of opening and
    # closing connections by the dozen (BENCHMARKS.md).
    DATABASE_POOL_SIZE = _int("DATABASE_POOL_SIZE", 8)
    DATABASE_MAX_OVERFLOW = _int("DATABASE_MAX_OVERFLOW", 0)
    LOCKOUT_MAX_FAILURES = _int("LOCKOUT_MAX_FAILURES", 3)
    LOCKOUT_WINDOW = _int("LOCKOUT_WINDOW", 3600)

    LOG_LEVEL = _str("LOG_LEVEL", "INFO")
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
    """The test suite: fixed secrets, every setting at its default, a fake Twilio from the tests."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    TWILIO_AUTH_TOKEN = "test-auth-token"
    TWILIO_VERIFY_SERVICE_SID = "VA" + "0" * 32
    VALIDATE_SIGNATURES = True


# Tests must not depend on the developer's .env: every setting read above takes its default here.
for _name, _default in DEFAULTS.items():
    setattr(TestConfig, _name, _default)

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
