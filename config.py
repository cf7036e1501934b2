"""Settings, read from the environment (and from .env through python-dotenv)."""

import os
import re
import signal
import textwrap
from typing import NamedTuple

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
# Every setting with its meaning, in the order of the settings page: docs/hooks/settings_table.py
# writes them as its table into docs/settings.md, `python -m config` prints them.
REFERENCE = []
# A setting's doc that shares the row above: names and defaults side by side, one meaning.
SAME_ROW = "the row above's"


class SettingsError(RuntimeError):
    """A setting the server cannot run with; the message names it, in one line."""


class Setting(NamedTuple):
    """A setting as the reference shows it; `shown` words its default, {} standing for the code's value."""

    name: str
    default: object
    doc: str
    shown: str = "{}"


def _listed(name, default, doc, shown="{}"):
    """Add a setting to the reference; doc=None leaves it out (an old spelling its new name's meaning names)."""
    if doc is not None:
        REFERENCE.append(Setting(name, default, doc, shown))


def _str(name, default="", *, doc, shown="{}"):
    """A text setting, or the default when unset."""
    DEFAULTS[name] = default
    _listed(name, default, doc, shown)
    return os.environ.get(name, default)


def _int(name, default, *, doc, shown="{}"):
    """An integer setting, or the default when unset."""
    return _number(int, name, default, doc, shown)


def _float(name, default, *, doc, shown="{}"):
    """A number setting, or the default when unset."""
    return _number(float, name, default, doc, shown)


def _number(kind, name, default, doc, shown):
    DEFAULTS[name] = default
    _listed(name, default, doc, shown)
    value = os.environ.get(name) or default
    try:
        return kind(value)
    except ValueError:
        UNREADABLE[name] = f"{name}={value!r} is not a {'whole ' if kind is int else ''}number"
        return default


YES, NO = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _flag(name, default=False, *, doc, shown="{}"):
    """A yes/no setting: 1, true, yes, on or 0, false, no, off."""
    DEFAULTS[name] = default
    _listed(name, default, doc, shown)
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value not in YES | NO:
        UNREADABLE[name] = f"{name}={value!r} is neither on nor off (1/0, true/false, yes/no, on/off)"
        return default
    return value in YES


def _required(name, *, doc):
    """A setting production refuses to start without (Config.REQUIRED); empty when unset, and no default for the tests."""
    _listed(name, None, doc, "– (required)")
    return os.environ.get(name, "")


# Read by config_for() below.
_listed(
    "APP_ENV",
    "production",
    doc="`production` or `development`; production refuses to start on what "
    "[Security > Refused at start-up](security.md#refused-at-start-up) lists",
    shown="{} (`development` for `flask` commands, via `.flaskenv`)",
)


class Config:
    """Production settings; every other configuration derives from this one."""

    ENV_NAME = "production"
    SECRET_KEY = _required("SECRET_KEY", doc="encrypts and signs the per-call state in webhook URLs")
    TWILIO_ACCOUNT_SID = _required("TWILIO_ACCOUNT_SID", doc="your account; the token also checks `X-Twilio-Signature`")
    TWILIO_AUTH_TOKEN = _required("TWILIO_AUTH_TOKEN", doc=SAME_ROW)
    TWILIO_AUTH_TOKEN_SECONDARY = _str(
        "TWILIO_AUTH_TOKEN_SECONDARY",
        doc="while rotating the auth token, the other one: webhooks signed with either are accepted "
        "(see [Operating it](operating.md#rotating-the-twilio-auth-token))",
    )
    TWILIO_WEBHOOK_SHARED_KEY = _str(
        "TWILIO_WEBHOOK_SHARED_KEY",
        doc="the secret of a webhook SharedKey: webhooks Twilio signs with it (HMAC-SHA256) are accepted",
    )
    TWILIO_VERIFY_SERVICE_SID = _required("TWILIO_VERIFY_SERVICE_SID", doc="the Verify service (VA…) that sends the codes")

    # The caller's side of the verification.
    CODE_LENGTH = _int("CODE_LENGTH", 6, doc="digits asked for; match the Verify service")
    MAX_ATTEMPTS = _int("MAX_ATTEMPTS", 3, doc="wrong codes before the fallback")
    MAX_SILENCES = _int("MAX_SILENCES", 2, doc="times the caller is asked again after silence")
    MAX_RESENDS = _int("MAX_RESENDS", 1, doc="new codes a caller may ask for with `*`")
    GATHER_TIMEOUT = _int("GATHER_TIMEOUT", 12, doc="seconds to key in the code")
    LANGUAGE = _str("LANGUAGE", "en-US", doc="the prompts' language: `en-US`, `es-MX`, `fr-CA` or `pt-BR`")
    LANGUAGES = _str(
        "LANGUAGES",
        doc="the languages a caller may choose, the default first: `en-US,es-MX,fr-CA,pt-BR` makes the greeting offer "
        '"Para español, oprima 2. Pour le français, appuyez sur 3. Para português, tecle 4.", each in its own voice, '
        "and every later prompt, the voice and the text message's language (Verify's `Locale`) follow the choice "
        "through the call. Replaces `LANGUAGE`; empty: `LANGUAGE` alone, no menu, and Verify picks the text's "
        "language from the number's country",
    )
    CHANNELS = _str(
        "CHANNELS",
        "sms",
        doc="how the code reaches the caller: `sms`, `whatsapp`, or `sms,whatsapp` for a menu "
        '("For a text message, press 1. For WhatsApp, press 2."; silence takes the first). A channel Verify refuses '
        "(60223, not set up on the service) falls back to offering the others. `email` is offered by account only, "
        "to an address on file ([Verification by account › By email](by-account.md))",
    )
    SPEECH_INPUT = _flag(
        "SPEECH_INPUT",
        doc='`on`: the code may be said as well as keyed ("one two three four five six", "six eight oh", "double five"); '
        'speech that is not digits counts as a wrong entry ("Sorry, we did not understand that as a number.")',
    )
    VOICE = _str(
        "VOICE",
        doc="the `<Say>` voice: one of Twilio's that speaks `LANGUAGE` (`Polly.Matthew-Neural`, `Google.en-US-Neural2-C`…)",
        # Each language's own, in app/calls/prompts/*.toml.
        shown="the language's: `Polly.Joanna` (en-US), `Polly.Mia` (es-MX), `Polly.Chantal` (fr-CA), `Polly.Camila` (pt-BR)",
    )
    PROMPTS_DIR = _str(
        "PROMPTS_DIR",
        doc="a folder of prompt files (`en-US.toml`…) whose sentences or recordings replace the built-in ones, "
        "or add a language ([Changing what callers hear](how-a-call-goes.md#changing-what-callers-hear))",
    )

    # Where the call goes after the verification, with the verdict (app/calls/handoff/).
    SUCCESS_NEXT_STEP = _str(
        "SUCCESS_NEXT_STEP",
        "hangup",
        doc="where a verified call goes: `hangup`, `+E.164`, `sip:user@host`, `client:identity`, `flex:WW…` or a URL, "
        "`https://…` or a `/path` (taken with a warning at start: this server answers no such path, another IVR that "
        "mounts the subflow must; see [Handing the call on](handing-on.md))",
    )
    FAILURE_NEXT_STEP = _str(
        "FAILURE_NEXT_STEP",
        doc="where a call that failed verification goes, same forms; `FALLBACK_NUMBER` is its old spelling, still read",
        shown="{} (hang up)",
    )
    FALLBACK_NUMBER = _str("FALLBACK_NUMBER", doc=None)  # FAILURE_NEXT_STEP's old spelling
    VERDICT_SIGNING_KEY = _str(
        "VERDICT_SIGNING_KEY",
        doc="signs the verdict token, shared with the receiving PBX or IVR; at least 32 characters; required in "
        "production for a `sip:`, `client:` or URL next step",
        shown="{} (derived from `SECRET_KEY`)",
    )
    STIR_POLICY = _str(
        "STIR_POLICY",
        "record",
        doc="`record`: the STIR/SHAKEN attestation is recorded and handed on; `require-a`: only A-attested calls are "
        "verified by caller ID",
    )

    VERIFY_BY = _str(
        "VERIFY_BY",
        "caller_id",
        doc="who is verified: `caller_id` (the phone called from), `account` (the phone on file for the account number "
        "keyed in) or `account_or_caller_id` (`#` alone: by caller ID); see [Verification by account](by-account.md)",
    )
    ACCOUNT_MIN_DIGITS = _int("ACCOUNT_MIN_DIGITS", 6, doc="digits an account number has (1–30)")
    ACCOUNT_MAX_DIGITS = _int("ACCOUNT_MAX_DIGITS", 12, doc=SAME_ROW)
    ACCOUNT_LOOKUP_URL = _str(
        "ACCOUNT_LOOKUP_URL",
        doc="a CRM answering signed lookups, `https://…` (`http://` only to this machine, in development)",
        shown="{}: the `accounts` table",
    )
    ACCOUNT_LOOKUP_SECRET = _str(
        "ACCOUNT_LOOKUP_SECRET",
        doc="signs each CRM lookup (HMAC-SHA256), 32+ characters; required with `ACCOUNT_LOOKUP_URL`",
        shown="–",
    )
    ACCOUNT_LOOKUP_TIMEOUT = _float(
        "ACCOUNT_LOOKUP_TIMEOUT", 2.0, doc="seconds a CRM lookup may take, from connecting to the answer's last byte (0.2–5)"
    )

    # Talking to Twilio Verify; Twilio waits 15 s for each webhook.
    VERIFY_TIMEOUT = _float(
        "VERIFY_TIMEOUT",
        5.0,
        doc="seconds a request to Twilio (Verify, any REST call) may take, from connecting to the answer's last byte, "
        "however slowly it arrives; Twilio waits 15 s per webhook, so all the requests of one webhook (a check that "
        "finds the code expired, then a new send) end within 12 s together",
    )
    CALL_STATE_MAX_AGE = _int(
        "CALL_STATE_MAX_AGE",
        900,
        doc="seconds a call's webhook state stays valid; no shorter than the slowest code entry, or the server refuses "
        "to start: the three longest sentences a Gather says at 10 characters a second, plus 10 s, plus "
        "(`CODE_LENGTH` + 1) × `GATHER_TIMEOUT` (Twilio restarts the timeout at each key): 124 with the other "
        "defaults in `en-US`; with `CALLBACK`, also no shorter than a callback may take to be answered (25 s of "
        "ringing, up to 30 s of answering-machine detection, its question, 8 s to press 1, 10 s more: 87 in `en-US`); "
        "the refusal names the least for the languages and prompts in use",
    )
    CALLBACK = _flag(
        "CALLBACK",
        doc="`on`: a caller on a landline (Lookup's line type) is called back at that number and presses 1 to be "
        "verified; needs the number's status callback, `line_type` in `RISK_CHECKS` and `ALLOWED_COUNTRIES` "
        "(see [Calling landlines back](risk-checks.md#calling-landlines-back))",
    )

    # Webhook security; production refuses VALIDATE_SIGNATURES=off (app/settings.py).
    VALIDATE_SIGNATURES = _flag(
        "VALIDATE_SIGNATURES", True, doc="development only: `0` (or `off`) switches checks off, with a warning"
    )
    PUBLIC_BASE_URL = _str(
        "PUBLIC_BASE_URL", doc="`https://host` Twilio calls, when forwarded headers do not tell it"
    ).rstrip("/")
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 1, doc="proxies whose `X-Forwarded-*` headers are trusted")
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024, doc="largest webhook body, bytes (larger: 413)")

    # Verification records and lockouts.
    DATABASE_URL = _str(
        "DATABASE_URL",
        doc="records and lockouts: `sqlite:///relative.db` (a path from the current folder), "
        "`sqlite:////absolute/path.db` (four slashes), `postgresql://…` or `postgres://…` (Heroku); any other is "
        "refused at start. Production needs it: the database every dyno shares, or a SQLite file for a single server",
        shown="{}: in development, the SQLite file `instance/verifications.sqlite3`",
    )
    DATABASE_TIMEOUT = _float(
        "DATABASE_TIMEOUT",
        2.0,
        doc="seconds a call waits on the database (connect, pool, each statement) before going on unrecorded",
    )
    # 8 per worker, none extra: two workers stay within the 20 connections of Heroku's smallest
    # Postgres plan, and a burst waits a moment for a pooled connection instead of opening and
    # closing connections by the dozen (BENCHMARKS.md).
    DATABASE_POOL_SIZE = _int(
        "DATABASE_POOL_SIZE",
        8,
        doc="database connections kept per worker process, and extra ones allowed at peaks: a worker has this one "
        "pool, shared by the calls, `/readyz` and the supervisor page. Per dyno, `WEB_CONCURRENCY` × (both), plus one "
        "while a server starts (its schema check, closed before the workers start) and one or two per `flask` "
        "command running (the release phase, `heroku run`), must fit your database's connection limit: 2 × 8 = 16 "
        "of the 20 of Heroku's smallest Postgres plan",
    )
    DATABASE_MAX_OVERFLOW = _int("DATABASE_MAX_OVERFLOW", 0, doc=SAME_ROW)
    LOCKOUT_MAX_FAILURES = _int(
        "LOCKOUT_MAX_FAILURES",
        3,
        doc="failed verifications of one number, within the window, before its calls go to an agent",
    )
    LOCKOUT_WINDOW = _int("LOCKOUT_WINDOW", 3600, doc="seconds over which those failures are counted")

    # Sends: the codes sent per clock hour by every worker and dyno together are all that SMS pumping
    # can cost in one. The cap is drawn from the callers of the busiest hour, PEAK_CALLS_PER_HOUR ×
    # (1 + MAX_RESENDS) × 1.25, 2500 by default (app/storage/sends.py); MAX_SENDS_PER_HOUR, when set
    # (not 0), is the cap instead.
    ALLOWED_COUNTRIES = _str(
        "ALLOWED_COUNTRIES",
        doc="countries a code may be sent to: region codes (`US,CA`) and/or calling codes (`+44`); "
        "see [Security](security.md#sends-countries-and-a-global-cap)",
        shown="{} (every country)",
    )
    PEAK_CALLS_PER_HOUR = _int(
        "PEAK_CALLS_PER_HOUR",
        1000,
        doc="callers in your busiest hour (1–100000): the cap on codes sent per clock hour is this × "
        "(1 + `MAX_RESENDS`) × 1.25, 2500 by default; the start-up log says the cap in force and where it comes "
        "from. See [Security](security.md#sends-countries-and-a-global-cap) for sizing it and what it lets pumping cost",
    )
    MAX_SENDS_PER_HOUR = _int(
        "MAX_SENDS_PER_HOUR",
        0,
        doc="the cap itself (1–1000000), when set (0 or empty: drawn from `PEAK_CALLS_PER_HOUR`): codes sent per clock hour by every worker and dyno together "
        "(first codes and resends; not those of the local stand-in); past it, callers go to the fallback",
        shown="{}: drawn from `PEAK_CALLS_PER_HOUR`",
    )

    # Risk checks before the first code (Twilio Lookup v2).
    RISK_CHECKS = _str(
        "RISK_CHECKS",
        doc="Lookup's checks before a call's first code: any of `line_type`, `sim_swap`, `call_forwarding`, "
        "comma-separated; see [Risk checks and landlines](risk-checks.md)",
        shown="{} (none)",
    )
    SIM_SWAP_MAX_AGE = _int("SIM_SWAP_MAX_AGE", 168, doc="hours within which a SIM swap is recent (1–8760)")
    SIM_SWAP_POLICY = _str(
        "SIM_SWAP_POLICY",
        "refuse",
        doc="a recent SIM swap: `refuse` sends no code (reason `sim_swapped`); `flag` verifies as usual and marks the verdict",
    )
    RISK_ON_LOOKUP_ERROR = _str(
        "RISK_ON_LOOKUP_ERROR",
        "allow",
        doc="when Lookup fails: `allow` goes on with the risks `unknown`; `refuse` sends no code (reason `lookup_unavailable`)",
    )
    LOOKUP_CACHE_HOURS = _int(
        "LOOKUP_CACHE_HOURS",
        24,
        doc="hours a number's Lookup answers are kept in the database, SIM-swap answers one hour at most "
        "(0–720; 0: none kept)",
    )

    # The supervisor page (/admin).
    ADMIN_PASSWORD_HASH = _str(
        "ADMIN_PASSWORD_HASH",
        doc="the single login of earlier versions, as a password hash: it logs in until the first supervisor is added "
        "(who keeps it as one); a value that is not such a hash stops the start",
        shown="{} (nobody logs in until `flask admin add-user NAME`)",
    )
    ADMIN_USERNAME = _str(
        "ADMIN_USERNAME", "admin", doc="the user name of that single login (1–64 printable characters, no spaces)"
    )

    # Logs, metrics and the API of the agents' desktops.
    LOG_LEVEL = _str("LOG_LEVEL", "INFO", doc="`DEBUG`, `INFO`, `WARNING` or `ERROR`; log lines go to stderr")
    LOG_FORMAT = _str(
        "LOG_FORMAT",
        "text",
        doc="`text`, or `json`: one JSON object per line, for log drains "
        "(see [Operating it](operating.md#logs-for-machines))",
    )
    METRICS_TOKEN = _str(
        "METRICS_TOKEN",
        doc="the bearer token, or basic-auth password, that `GET /metrics` asks for; at least 16 characters",
        shown="{} (no `/metrics`)",
    )
    API_TOKEN = _str(
        "API_TOKEN",
        doc="the bearer token the API asks for (see [From an agent, mid-call](studio-and-agent.md#from-an-agent-mid-call)); "
        "at least 16 characters",
        shown="{} (no `/api/`: every route of it is a 404)",
    )
    TWILIO_WORKSPACE_SID = _str(
        "TWILIO_WORKSPACE_SID", doc="the TaskRouter workspace (`WS…`) of the tasks the API's `task` names"
    )
    NOTIFY_ALLOW_PRIVATE = _flag(
        "NOTIFY_ALLOW_PRIVATE",
        doc="`on` lets the API's `notify` post to loopback and private addresses (development, tests); production "
        "refuses to start with it",
    )
    USE_LOCAL_VERIFY = False

    # Where gunicorn listens (gunicorn.conf.py).
    HOST = _str(
        "HOST",
        "0.0.0.0",
        doc="the address gunicorn listens on: every interface for Heroku's router, this machine only where the auth "
        "token is the stand-in's public one (`make run` reads it from the environment, not `.env`)",
        shown="{} in production, `127.0.0.1` in development",
    )
    PORT = _int(
        "PORT",
        5000,
        doc="the port gunicorn listens on; Heroku sets it (`make run` too reads it from the environment)",
    )

    REQUIRED = (
        "SECRET_KEY",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_VERIFY_SERVICE_SID",
    )
    UNREADABLE = dict(UNREADABLE)


# Read by the metrics (app/ops/metrics.py), gunicorn.conf.py and requests, not by the app's configuration.
_listed(
    "PROMETHEUS_MULTIPROC_DIR",
    None,
    doc="where the workers write their figures for `/metrics` (empty it before each start if you set it)",
    shown="a new temporary folder per start",
)
_listed("WEB_CONCURRENCY", 2, doc="gunicorn worker processes")
_listed("GUNICORN_WORKER_CLASS", "gevent", doc="`gevent`, or `gthread` for threads")
_listed(
    "GUNICORN_WORKER_CONNECTIONS", 1000, doc="webhooks a gevent worker serves at once; threads per gthread worker"
)
_listed("GUNICORN_THREADS", 128, doc=SAME_ROW)
_listed(
    "FORWARDED_ALLOW_IPS",
    "*",
    doc="addresses gunicorn takes `X-Forwarded-*` headers from (Heroku's router is the only way in)",
)
_listed(
    "HTTPS_PROXY",
    "",
    doc="an outbound proxy for Twilio's API (`http://user:password@host:port`), read once at start; "
    "`NO_PROXY` is not consulted",
)


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


def reference():
    """(names, default, meaning) of each row of the settings page, in markdown: the names of a row share its meaning."""
    rows = []
    for setting in REFERENCE:
        if setting.doc is SAME_ROW:
            rows[-1].append(setting)
        else:
            rows.append([setting])
    for row in rows:
        defaults = [setting.shown.replace("{}", _default_text(setting.default)) for setting in row]
        yield [setting.name for setting in row], ", ".join(dict.fromkeys(defaults)), row[0].doc


def _default_text(value):
    """A default as the page words it: `on`/`off`, empty, a word in code, a number as written."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "`on`" if value else "`off`"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value == "":
        return "empty"
    return f"`{value}`" if isinstance(value, str) else str(value)


if __name__ == "__main__":
    # `python -m config`: the reference as text, to read without building the site.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `python -m config | head` ends quietly, as other commands do
    for names, default, meaning in reference():
        print(f"{', '.join(names)}  (default: {default})")
        print(textwrap.fill(re.sub(r"\[([^]]+)\]\(([^)#]+)[^)]*\)", r"\1 (docs/\2)", meaning), 100, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False))
