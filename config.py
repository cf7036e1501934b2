"""Settings, read from the environment (and from .env through python-dotenv)."""

import os

from dotenv import find_dotenv, load_dotenv

# Found as load_dotenv() finds it (beside this file, or above); app/settings.py reads its names too.
ENV_FILE = find_dotenv()
load_dotenv(ENV_FILE)

# Every setting's default, by name: the test suite and the benchmark run on these, whatever a
# developer's .env says.
DEFAULTS = {}
# Settings whose text is not of their kind, with a sentence naming each: the value is left at its
# default here, and create_app() refuses to start (app/settings.py). Reading never raises, so
# that every entry point can import this module and say what is wrong in one line.
UNREADABLE = {}


class SettingsError(RuntimeError):
    """A setting the server cannot run with; the message names it, in one line."""


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
        UNREADABLE[name] = f"{name}={value!r} is not a {'whole ' if kind is int else ''}number"
        return default


YES, NO = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _flag(name, default=False):
    """A yes/no setting: 1, true, yes, on or 0, false, no, off."""
    DEFAULTS[name] = default
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value not in YES | NO:
        UNREADABLE[name] = f"{name}={value!r} is neither on nor off (1/0, true/false, yes/no, on/off)"
        return default
    return value in YES


class Config:
    """Production settings; every other configuration derives from this one."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    # Rotating the auth token: webhooks signed with this one are accepted too, while it is set.
    TWILIO_AUTH_TOKEN_SECONDARY = _str("TWILIO_AUTH_TOKEN_SECONDARY", "")
    # The secret of a webhook SharedKey, for webhooks Twilio signs with it (HMAC-SHA256).
    TWILIO_WEBHOOK_SHARED_KEY = _str("TWILIO_WEBHOOK_SHARED_KEY", "")
    TWILIO_VERIFY_SERVICE_SID = os.environ.get("TWILIO_VERIFY_SERVICE_SID", "")

    # The caller's side of the verification.
    CODE_LENGTH = _int("CODE_LENGTH", 6)
    MAX_ATTEMPTS = _int("MAX_ATTEMPTS", 3)
    MAX_SILENCES = _int("MAX_SILENCES", 2)
    MAX_RESENDS = _int("MAX_RESENDS", 1)
    GATHER_TIMEOUT = _int("GATHER_TIMEOUT", 12)
    LANGUAGE = _str("LANGUAGE", "en-US")
    # The languages a caller may choose, the default first (en-US,es-MX); empty: LANGUAGE alone.
    LANGUAGES = _str("LANGUAGES", "")
    # How the code may reach the caller: sms, whatsapp, or both for a menu (the first is the default).
    CHANNELS = _str("CHANNELS", "sms")
    # on: the code can be spoken as well as keyed in.
    SPEECH_INPUT = _flag("SPEECH_INPUT", False)
    # Empty: the language's own voice (app/calls/prompts/*.toml).
    VOICE = _str("VOICE", "")
    # A folder of prompt files (en-US.toml…) whose sentences or recordings replace the built-in ones or add a language.
    PROMPTS_DIR = _str("PROMPTS_DIR", "")

    # Where the call goes after the verification, with the verdict (app/calls/handoff/).
    SUCCESS_NEXT_STEP = _str("SUCCESS_NEXT_STEP", "hangup")
    FAILURE_NEXT_STEP = _str("FAILURE_NEXT_STEP", "")
    FALLBACK_NUMBER = _str("FALLBACK_NUMBER", "")  # FAILURE_NEXT_STEP's old spelling
    # Signs the verdict token a PBX or another IVR checks; shared with them.
    VERDICT_SIGNING_KEY = _str("VERDICT_SIGNING_KEY", "")
    # record: StirVerstat is recorded and handed on; require-a: only A-attested calls are verified.
    STIR_POLICY = _str("STIR_POLICY", "record")

    # Who is verified: caller_id (the phone called from), account (the number on file for the
    # account number the caller keys in) or account_or_caller_id (account, or '#' for caller ID).
    VERIFY_BY = _str("VERIFY_BY", "caller_id")
    # Digits an account number has: from ACCOUNT_MIN_DIGITS to ACCOUNT_MAX_DIGITS.
    ACCOUNT_MIN_DIGITS = _int("ACCOUNT_MIN_DIGITS", 6)
    ACCOUNT_MAX_DIGITS = _int("ACCOUNT_MAX_DIGITS", 12)
    # Where accounts are looked up: empty, this app's accounts table (`flask accounts import`);
    # https://…, a CRM answering signed POSTs (docs/by-account.md).
    ACCOUNT_LOOKUP_URL = _str("ACCOUNT_LOOKUP_URL", "")
    ACCOUNT_LOOKUP_SECRET = _str("ACCOUNT_LOOKUP_SECRET", "")
    ACCOUNT_LOOKUP_TIMEOUT = _float("ACCOUNT_LOOKUP_TIMEOUT", 2.0)

    # Talking to Twilio Verify; Twilio waits 15 s for each webhook.
    VERIFY_TIMEOUT = _float("VERIFY_TIMEOUT", 5.0)
    CALL_STATE_MAX_AGE = _int("CALL_STATE_MAX_AGE", 900)
    # on: a caller on a landline is called back at that number (docs/risk-checks.md: Calling landlines back).
    CALLBACK = _flag("CALLBACK", False)

    # Webhook security; production refuses VALIDATE_SIGNATURES=off (app/settings.py).
    VALIDATE_SIGNATURES = _flag("VALIDATE_SIGNATURES", True)
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

    # Sends: the countries codes may go to (empty: all), and the codes sent per clock hour by every
    # worker and dyno together: 1000 lets five 200-caller bursts through in one hour, and is all
    # that SMS pumping can cost in one.
    ALLOWED_COUNTRIES = _str("ALLOWED_COUNTRIES", "")
    MAX_SENDS_PER_HOUR = _int("MAX_SENDS_PER_HOUR", 1000)

    # Risk checks before the first code (Twilio Lookup v2): any of line_type, sim_swap,
    # call_forwarding; empty, none. docs/risk-checks.md.
    RISK_CHECKS = _str("RISK_CHECKS", "")
    # A SIM swap this many hours old or newer is recent; refuse sends it no code, flag marks the verdict.
    SIM_SWAP_MAX_AGE = _int("SIM_SWAP_MAX_AGE", 168)
    SIM_SWAP_POLICY = _str("SIM_SWAP_POLICY", "refuse")
    # When Lookup fails: allow (the facts are unknown) or refuse.
    RISK_ON_LOOKUP_ERROR = _str("RISK_ON_LOOKUP_ERROR", "allow")
    # Hours a number's Lookup answer is kept (SIM-swap facts one hour at most); 0, none.
    LOOKUP_CACHE_HOURS = _int("LOOKUP_CACHE_HOURS", 24)

    # The single login of earlier versions: it logs in to /admin until `flask admin add-user` stores the first supervisor.
    ADMIN_USERNAME = _str("ADMIN_USERNAME", "admin")
    ADMIN_PASSWORD_HASH = _str("ADMIN_PASSWORD_HASH", "")

    LOG_LEVEL = _str("LOG_LEVEL", "INFO")
    # text, or json: one object per line for log drains (app/ops/logs.py).
    LOG_FORMAT = _str("LOG_FORMAT", "text")
    # Bearer token (or basic-auth password) for GET /metrics; empty: no metrics endpoint.
    METRICS_TOKEN = _str("METRICS_TOKEN", "")
    # Bearer token of the API an agent's desktop calls to verify a caller mid-call; empty: no /api/.
    API_TOKEN = _str("API_TOKEN", "")
    # The TaskRouter workspace whose tasks get an agent-requested verdict (the API's `task`).
    TWILIO_WORKSPACE_SID = _str("TWILIO_WORKSPACE_SID", "")
    # Let the API's `notify` post to loopback and private addresses (development, tests); production refuses it.
    NOTIFY_ALLOW_PRIVATE = _flag("NOTIFY_ALLOW_PRIVATE", False)
    USE_LOCAL_VERIFY = False

    # Where gunicorn listens (gunicorn.conf.py): every interface, as Heroku's router needs.
    HOST = _str("HOST", "0.0.0.0")
    PORT = _int("PORT", 5000)

    REQUIRED = (
        "SECRET_KEY",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_VERIFY_SERVICE_SID",
    )
    UNREADABLE = dict(UNREADABLE)


# Anyone can read it here: fit for the local Verify stand-in only (app/settings.py refuses it with a real account).
DEVELOPMENT_SECRET_KEY = "development-only-secret-key"


class DevelopmentConfig(Config):
    """Local development: runs without a Twilio account on the local Verify stand-in."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
    # This machine only: the stand-in's auth token and secret key are public.
    HOST = os.environ.get("HOST") or "127.0.0.1"
    REQUIRED = ()


class TestConfig(DevelopmentConfig):
    """The test suite: fixed secrets, every setting at its default, a fake Twilio from the tests."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    TWILIO_AUTH_TOKEN = "test-auth-token"
    TWILIO_VERIFY_SERVICE_SID = "VA" + "0" * 32
    UNREADABLE = {}


# Tests must not depend on the developer's .env: every setting read above takes its default here.
for _name, _default in DEFAULTS.items():
    setattr(TestConfig, _name, _default)

# What APP_ENV may name. The test suite's configuration is not among them: its secrets are in
# this file for anyone to read, so a server running on it would accept anyone's webhooks.
CONFIGS = {
    "production": Config,
    "development": DevelopmentConfig,
}


def config_for(env_name=None):
    """The configuration class that APP_ENV names (production when unset)."""
    name = (env_name or os.environ.get("APP_ENV") or "production").strip().lower()
    if name == TestConfig.ENV_NAME:
        raise SettingsError("APP_ENV=test is the test suite's, with secrets anyone can read: use development or production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise SettingsError(f"APP_ENV={name!r} is not a known environment; use one of {sorted(CONFIGS)}") from None
