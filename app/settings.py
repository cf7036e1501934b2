"""Start-up checks on the configuration: refuse to run rather than fail mid-call."""

import difflib
import ipaddress
import logging
import math
import os
import posixpath
import re
from urllib.parse import unquote, urlsplit

from dotenv import dotenv_values

from app.calls import prompts, stir
from app.calls.callback.answer import KEY_TIMEOUT
from app.calls.handoff import destinations
from app.numbers import countries
from app.ops import logs
from app.ops.admin.commands import username_refused
from app.simulator import twiml_model
from app.storage import database
from app.twilio.calls import MACHINE_DETECTION_SECONDS, RING_SECONDS
from app.twilio.standin import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN, LocalVerify
from config import DEFAULTS, DEVELOPMENT_SECRET_KEY, ENV_FILE, REFERENCE, SettingsError

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
    # 0: the cap is drawn from PEAK_CALLS_PER_HOUR, whose most gives 100,000 × 5 × 1.25 = 625,000.
    "MAX_SENDS_PER_HOUR": (0, 1_000_000),
    "PEAK_CALLS_PER_HOUR": (1, 100_000),
    "PORT": (1, 65535),
    # A webhook's form is a few hundred bytes; under 1 KiB Twilio's own requests would get a 413.
    "MAX_CONTENT_LENGTH": (1024, 1024 * 1024),
    "ACCOUNT_MIN_DIGITS": (1, 30),
    "ACCOUNT_MAX_DIGITS": (1, 30),
    # A CRM slower than this keeps the caller in silence; Verify's wait comes on top of it.
    "ACCOUNT_LOOKUP_TIMEOUT": (0.2, 5),
    "SIM_SWAP_MAX_AGE": (1, 24 * 365),
    "LOOKUP_CACHE_HOURS": (0, 24 * 30),
}
VERIFY_BY = ("caller_id", "account", "account_or_caller_id")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# The ways a code may reach the caller (Verify's channels that make sense during a call); email
# only by account, to the address on file, so CHANNELS names one of the others too.
CHANNELS = ("sms", "whatsapp", "email")
# The risk checks Lookup may make before the first code, and what to do with a recent SIM swap or a failed Lookup.
RISK_CHECKS = ("line_type", "sim_swap", "call_forwarding")
SIM_SWAP_POLICIES = ("refuse", "flag")
LOOKUP_ERROR_POLICIES = ("allow", "refuse")
# A menu's choices are the keys 1 to 9.
MAX_MENU_CHOICES = 9

# Amazon Polly's voices by the language they speak; Twilio's model lists each one's variants
# (Polly.Joanna-Neural, Polly.Mia-Generative). Google's voices name theirs: Google.en-US-….
POLLY_VOICES = {
    "en-US": {"Danielle", "Gregory", "Ivy", "Joanna", "Joey", "Justin", "Kendra", "Kevin", "Kimberly", "Matthew", "Ruth", "Salli", "Stephen"},
    "es-MX": {"Mia", "Andres"},
    "fr-CA": {"Chantal", "Gabrielle", "Liam"},
    "pt-BR": {"Camila", "Vitoria", "Ricardo", "Thiago"},
}
# Twilio's own voices: alice speaks every one; man and woman speak none of these locales.
BASIC_VOICES = {language: {"alice"} for language in POLLY_VOICES}
# The first segment of this server's webhook paths: a next step there would start the call over.
OWN_PATHS = {"voice", "verification", "handoff", "account"}
# Settings with no default of config.py's: the required ones, and those config_for(), gunicorn.conf.py, the metrics read.
OTHER_SETTINGS = tuple(setting.name for setting in REFERENCE if setting.name not in DEFAULTS)
# Names in the environment that are not this server's settings, though some are near one: never taken for a misspelling.
# gunicorn reads GUNICORN_CMD_ARGS itself; the proxy is read in either case, as requests reads it.
NOT_SETTINGS = {"PATH", "HOME", "PYTHONPATH", "DYNO", "LANG", "TERM", "USER", "SHELL", "PWD", "TZ", "GUNICORN_CMD_ARGS", "https_proxy"}
NOT_SETTINGS_PREFIXES = ("FLASK_", "WERKZEUG_", "PYTHON", "HEROKU_", "LC_", "PIP_", "XDG_", "SSH_")
SETTING_NAME = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*")
# Werkzeug's password hashes: method (scrypt or pbkdf2, with parameters), salt, hex digest.
ADMIN_HASH = re.compile(r"(scrypt|pbkdf2):[\w:]+\$[^$\s]+\$[0-9a-f]+")
HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")

# Characters of a prompt heard per second: Twilio's voices speak some 15; 10 leaves room for slower ones.
SPOKEN_CHARACTERS_PER_SECOND = 10
# Seconds more, fixed: Twilio fetching our answer and starting to speak, Fernet's whole-second timestamps.
STATE_AGE_MARGIN = 10


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
        "  Webhooks are checked against %s.\n%s",
        BANNER,
        f"the auth token {LOCAL_AUTH_TOKEN!r}" if config["TWILIO_AUTH_TOKEN"] == LOCAL_AUTH_TOKEN else "TWILIO_AUTH_TOKEN",
        BANNER,
    )
    return LocalVerify(code_length=config["CODE_LENGTH"])


def normalise(config):
    """Settings whose values are words are read in any case (CHANNELS=SMS), and spelt as the code spells them from here on."""
    # The flags are read in any case by config.py, APP_ENV by config_for(), a next step's keyword by destinations.parse().
    words = {
        "LOG_LEVEL": LOG_LEVELS,
        "LOG_FORMAT": logs.FORMATS,
        "STIR_POLICY": stir.POLICIES,
        "VERIFY_BY": VERIFY_BY,
        "CHANNELS": CHANNELS,
        "LANGUAGE": prompts.PROMPTS,
        "LANGUAGES": prompts.PROMPTS,
        "VOICE": twiml_model.allowed("Say", "voice"),
        "RISK_CHECKS": RISK_CHECKS,
        "SIM_SWAP_POLICY": SIM_SWAP_POLICIES,
        "RISK_ON_LOOKUP_ERROR": LOOKUP_ERROR_POLICIES,
    }
    for name, known in words.items():
        value = config.get(name)
        if isinstance(value, str):
            spelling = {word.lower(): word for word in known}
            parts = [part.strip() for part in value.split(",")] if name in {"CHANNELS", "LANGUAGES", "RISK_CHECKS"} else [value.strip()]
            config[name] = ",".join(spelling.get(part.lower(), part) for part in parts)


def warn_of_misspelt_settings():
    """Log one line for each name in the environment or .env that is a near miss of a setting not set, or one in small letters."""
    names = set(os.environ) | set(dotenv_values(ENV_FILE) if ENV_FILE else ())
    settings = {*DEFAULTS, *OTHER_SETTINGS}
    for name, setting in misspelt(names, settings):
        log.warning("%s (in the environment or .env) is no setting of this server's: did you mean %s?", name, setting)
    for name in sorted(set(names) - NOT_SETTINGS):
        if name != name.upper() and name.upper() in settings:
            log.warning("%s (in the environment or .env) is not read: names are read in capitals, %s", name, name.upper())


def misspelt(names, settings):
    """(name, setting) for each of `names` that looks like a misspelling of one of `settings` not among `names`."""
    unset = sorted(set(settings) - set(names))
    for name in sorted(set(names) - set(settings) - NOT_SETTINGS):
        if SETTING_NAME.fullmatch(name) and not name.startswith(NOT_SETTINGS_PREFIXES):
            for setting in difflib.get_close_matches(name, unset, n=1, cutoff=0.85):
                yield name, setting


def check(config):
    """Raise SettingsError naming the first problem with the configuration."""
    for problem in config.get("UNREADABLE", {}).values():
        raise SettingsError(problem)
    missing = [name for name in config["REQUIRED"] if not config.get(name)]
    if missing:
        raise SettingsError(f"Missing required setting(s): {', '.join(missing)} (see .env.example)")
    if config["ENV_NAME"] == "production":
        _check_production(config)
    elif config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY and not wants_local_verify(config):
        # With a real account the call state and verdicts would be signed with a published key.
        raise SettingsError("SECRET_KEY is not set: with real Twilio credentials, set one in .env (see .env.example)")
    try:
        database.check_url(config["DATABASE_URL"])
    except ValueError as error:
        raise SettingsError(str(error)) from None
    for name, (low, high) in RANGES.items():
        if not low <= config[name] <= high:
            raise SettingsError(f"{name}={config[name]} is out of range ({low} to {high})")
    _check_languages(config)
    _check_voice(config)
    _check_channels(config)
    _check_risk(config)
    shortest = shortest_state_max_age(config)
    if config["CALL_STATE_MAX_AGE"] < shortest:
        raise SettingsError(
            f"CALL_STATE_MAX_AGE={config['CALL_STATE_MAX_AGE']} is shorter than a slow caller may take to key in "
            f"the code{' or to answer a callback' if config.get('CALLBACK') else ''}: at least {shortest} for "
            f"CODE_LENGTH={config['CODE_LENGTH']}, GATHER_TIMEOUT={config['GATHER_TIMEOUT']}, LANGUAGE={config['LANGUAGE']}"
            f"{', CALLBACK=on' if config.get('CALLBACK') else ''}"
        )
    try:
        countries(config["ALLOWED_COUNTRIES"])
    except ValueError as error:
        raise SettingsError(f"ALLOWED_COUNTRIES: {error}") from None
    if config["STIR_POLICY"] not in stir.POLICIES:
        raise SettingsError(f"STIR_POLICY={config['STIR_POLICY']!r} is not one of {', '.join(stir.POLICIES)}")
    _check_next_steps(config, config["ENV_NAME"] == "production")
    _check_accounts(config, config["ENV_NAME"] == "production")
    _check_host(config["HOST"])
    _check_public_base_url(config["PUBLIC_BASE_URL"])
    _check_secrets(config)
    _check_admin(config)
    if not config["VALIDATE_SIGNATURES"]:
        log.warning("\n%s\n  VALIDATE_SIGNATURES is off: ANYONE can drive calls on this server.\n%s", BANNER, BANNER)


def _check_admin(config):
    """The supervisor page's login from the settings (until `flask admin add-user`): a password hash, a user name one can type."""
    if config["ADMIN_PASSWORD_HASH"] and not ADMIN_HASH.fullmatch(config["ADMIN_PASSWORD_HASH"]):
        raise SettingsError("ADMIN_PASSWORD_HASH is not a password hash: leave it empty and add supervisors with `flask admin add-user NAME`")
    if refused := username_refused(config["ADMIN_USERNAME"]):
        raise SettingsError(refused)


def shortest_state_max_age(config):
    """Seconds from a code prompt's start to the caller's last key, at the slowest: a step's state must outlive them."""
    # A <Gather> says at most three sentences (a lead-in, how to key the code, how to have it sent
    # again); measure the longest three. A failure's sentence ("failed:…") comes after the last Gather, never inside one.
    by_account = config.get("VERIFY_BY", "caller_id") != "caller_id"
    prompt = max(_longest_prompt(config, language, by_account) for language in prompts.languages(config))
    # Twilio restarts the Gather's timeout at each key, so each of them may take all of it.
    keys = config["CODE_LENGTH"]
    if config.get("VERIFY_BY", "caller_id") != "caller_id":
        keys = max(keys, config["ACCOUNT_MAX_DIGITS"])
    slowest = prompt + STATE_AGE_MARGIN + (keys + 1) * config["GATHER_TIMEOUT"]
    if config.get("CALLBACK"):
        slowest = max(slowest, _callback_answer_seconds(config))
    return slowest


def _callback_answer_seconds(config):
    """Seconds from a callback's placing to the callee's key, at the slowest: its answer step's state is sealed as it is placed."""
    # Twilio rings for RING_SECONDS, answering-machine detection listens for up to
    # MACHINE_DETECTION_SECONDS before the answer step is fetched, then the question is said
    # and the callee has KEY_TIMEOUT to press 1.
    books = config.get("PROMPT_BOOKS") or prompts.load(config)
    question = prompts.PROMPTS["en-US"]["callback_answered"]
    said = max(
        len(question if prompts.is_recording(sentence) else sentence)
        for sentence in (books[language]["sentences"].get("callback_answered", question) for language in prompts.languages(config))
    )
    return RING_SECONDS + MACHINE_DETECTION_SECONDS + math.ceil(said / SPOKEN_CHARACTERS_PER_SECOND) + KEY_TIMEOUT + STATE_AGE_MARGIN


def _longest_prompt(config, language, by_account):
    """Seconds the longest three sentences of a language a Gather may say take to say."""
    # A recording is measured as long as the built-in sentence it replaces.
    books = config.get("PROMPT_BOOKS") or prompts.load(config)
    sentences = [(key, prompts.PROMPTS["en-US"][key] if prompts.is_recording(sentence) else sentence) for key, sentence in books[language]["sentences"].items()]
    # The account step's sentences ("…account…") and the email's ("…email…", the address on file)
    # are said only by account; the callback's ("callback_…") never with the code's Gathers.
    only_by_account = ("account", "email")
    said = [
        sentence
        for key, sentence in sentences
        if not key.startswith(("failed:", "callback_")) and (by_account or not any(word in key for word in only_by_account))
    ]
    lengths = sorted(len(sentence) for sentence in said)
    return math.ceil(sum(lengths[-3:]) / SPOKEN_CHARACTERS_PER_SECOND)


def _check_languages(config):
    """LANGUAGES (or LANGUAGE) names languages with every sentence; the first becomes LANGUAGE, the default."""
    name = "LANGUAGES" if config.get("LANGUAGES", "").strip() else "LANGUAGE"
    languages = prompts.languages(config)
    try:
        books = prompts.load(config)
    except prompts.PromptsError as error:
        raise SettingsError(f"PROMPTS_DIR: {error}") from None
    for language in languages:
        if language not in books:
            raise SettingsError(f"{name}: {language!r} has no prompts; use one of {sorted(books)}")
        lacking = prompts.missing(language) if language in prompts.PROMPTS and "override" not in books[language] else []
        if lacking:
            raise SettingsError(f"{name}: {language} has no sentence for {', '.join(lacking)} (app/calls/prompts/)")
    for problem in prompts.check(books, config, languages):
        raise SettingsError(f"PROMPTS_DIR: {problem}")
    for language in languages:
        if books[language]["voice"] not in twiml_model.allowed("Say", "voice"):
            raise SettingsError(f"PROMPTS_DIR: {books[language]['override']}: voice: {books[language]['voice']!r} is not a <Say> voice Twilio knows")
    config["PROMPT_BOOKS"] = books
    if len(set(languages)) != len(languages):
        raise SettingsError(f"LANGUAGES={config['LANGUAGES']!r} names a language twice")
    if len(languages) > MAX_MENU_CHOICES:
        raise SettingsError(f"LANGUAGES names {len(languages)} languages; a keypad menu offers at most {MAX_MENU_CHOICES}")
    config["LANGUAGE"] = languages[0]


def _check_channels(config):
    """CHANNELS names the ways Verify may send a code, each once."""
    channels = [part.strip() for part in config.get("CHANNELS", "").split(",")]
    unknown = [channel for channel in channels if channel not in CHANNELS]
    if unknown or len(set(channels)) != len(channels):
        raise SettingsError(f"CHANNELS={config['CHANNELS']!r} must name each of {', '.join(CHANNELS)} at most once, separated by commas")
    if channels == ["email"]:
        raise SettingsError("CHANNELS=email names no channel to a phone: email goes only to account holders with an address on file; add sms or whatsapp")


def _check_risk(config):
    """RISK_CHECKS names Lookup's checks, each once; the policies are known words."""
    checks = [part.strip() for part in config.get("RISK_CHECKS", "").split(",") if part.strip()]
    if any(check not in RISK_CHECKS for check in checks) or len(set(checks)) != len(checks):
        raise SettingsError(f"RISK_CHECKS={config['RISK_CHECKS']!r} must name each of {', '.join(RISK_CHECKS)} at most once, separated by commas (empty: none)")
    for name, known in (("SIM_SWAP_POLICY", SIM_SWAP_POLICIES), ("RISK_ON_LOOKUP_ERROR", LOOKUP_ERROR_POLICIES)):
        if config[name] not in known:
            raise SettingsError(f"{name}={config[name]!r} is not one of {', '.join(known)}")
    if config.get("CALLBACK") and "line_type" not in checks:
        raise SettingsError("CALLBACK=on calls back the landlines Lookup finds, but RISK_CHECKS does not ask the line type: add line_type to RISK_CHECKS")
    if config.get("CALLBACK") and not config.get("ALLOWED_COUNTRIES", "").strip():
        raise SettingsError("CALLBACK=on needs ALLOWED_COUNTRIES (such as US,CA): without it the server would place calls to landlines in any country, a toll-fraud target")


def _check_production(config):
    """What production refuses (docs/security.md: Refused at start-up)."""
    if config["USE_LOCAL_VERIFY"]:
        raise SettingsError("The local Verify stand-in cannot be used in production")
    if not config["VALIDATE_SIGNATURES"]:
        raise SettingsError("VALIDATE_SIGNATURES cannot be switched off in production")
    if config["NOTIFY_ALLOW_PRIVATE"]:
        raise SettingsError("NOTIFY_ALLOW_PRIVATE cannot be on in production: the API's notify could then reach this server's own network")
    if config["PUBLIC_BASE_URL"].startswith("http://"):
        raise SettingsError("PUBLIC_BASE_URL must be https:// in production: Twilio signs the https:// URL it calls")
    if len(config["SECRET_KEY"]) < 16:
        raise SettingsError("SECRET_KEY is too short: use at least 16 random characters")
    if not config["DATABASE_URL"]:
        # A SQLite file of its own per dyno would keep lockouts from counting across dynos.
        raise SettingsError(
            "DATABASE_URL is not set: production needs the database every server shares "
            "(postgresql://…), or for a single server a SQLite file: sqlite:///relative.db or sqlite:////absolute/path.db"
        )


def _check_secrets(config):
    """The optional secrets, when set, are long enough not to be guessed."""
    for name in ("TWILIO_AUTH_TOKEN_SECONDARY", "TWILIO_WEBHOOK_SHARED_KEY", "METRICS_TOKEN", "API_TOKEN"):
        if config.get(name) and len(config[name]) < 16:
            raise SettingsError(f"{name} is too short: use at least 16 characters")


def _check_voice(config):
    """VOICE (or the default language's own) must be a <Say> voice of Twilio's model that speaks LANGUAGE."""
    voice, language = prompts.voice(config), config["LANGUAGE"]
    if voice not in twiml_model.allowed("Say", "voice"):
        raise SettingsError(f"VOICE={voice!r} is not a <Say> voice Twilio knows (for {language}: {prompts.voice(dict(config, VOICE=''))})")
    if language in POLLY_VOICES and not _speaks(voice, language):
        raise SettingsError(f"VOICE={voice!r} does not speak LANGUAGE={language} (for {language}: {prompts.voice(dict(config, VOICE=''))})")


def _speaks(voice, language):
    """True when a <Say> voice speaks the language: Polly.Mia-Neural es-MX, Google.en-US-Neural2-A en-US."""
    if voice.startswith("Google."):
        return voice.startswith(f"Google.{language}-")
    if voice.startswith("Polly."):
        return voice.removeprefix("Polly.").split("-")[0] in POLLY_VOICES.get(language, ())
    return voice in BASIC_VOICES.get(language, ())


def _first_segment(path):
    """The first segment of a path as the server routes it: /./voice and /%76oice are /voice."""
    routed = posixpath.normpath(unquote(path.split("?", 1)[0]))
    return routed.lstrip("/").split("/", 1)[0]


def _check_public_base_url(url):
    """PUBLIC_BASE_URL, when set, is the https:// (or, for a local test, http://) origin Twilio calls."""
    parts = urlsplit(url)
    if url and (parts.scheme not in {"https", "http"} or not parts.hostname or parts.query or parts.fragment):
        raise SettingsError(f"PUBLIC_BASE_URL={url!r} must be the https://host Twilio calls (no query or fragment)")


def _check_accounts(config, production):
    """VERIFY_BY is known, account numbers have a sane length, and a CRM is reached signed, over HTTPS."""
    if config["VERIFY_BY"] not in VERIFY_BY:
        raise SettingsError(f"VERIFY_BY={config['VERIFY_BY']!r} is not one of {', '.join(VERIFY_BY)}")
    if config["ACCOUNT_MIN_DIGITS"] > config["ACCOUNT_MAX_DIGITS"]:
        raise SettingsError(
            f"ACCOUNT_MIN_DIGITS={config['ACCOUNT_MIN_DIGITS']} is more than ACCOUNT_MAX_DIGITS={config['ACCOUNT_MAX_DIGITS']}"
        )
    url = config["ACCOUNT_LOOKUP_URL"]
    if not url:
        return
    try:
        parts = urlsplit(url)
        hostname, _ = parts.hostname, parts.port
    except ValueError:
        hostname = None
    local = hostname in {"localhost", "127.0.0.1", "::1"}
    if not hostname or parts.scheme != "https" and not (parts.scheme == "http" and local and not production):
        raise SettingsError(f"ACCOUNT_LOOKUP_URL={url!r} is not an https:// URL (http:// only to this machine, in development)")
    if len(config["ACCOUNT_LOOKUP_SECRET"].encode()) < 32:
        raise SettingsError("ACCOUNT_LOOKUP_SECRET is too short or missing: the CRM checks each lookup with it (at least 32 characters)")


def _check_host(host):
    """HOST is an IP address or a host name."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not HOST_NAME.fullmatch(host):
            raise SettingsError(f"HOST={host!r} is not an IP address or a host name") from None


def _check_next_steps(config, production):
    """SUCCESS_NEXT_STEP and FAILURE_NEXT_STEP name destinations, and those checking the verdict can."""
    try:
        steps = [destinations.parse("SUCCESS_NEXT_STEP", config["SUCCESS_NEXT_STEP"]), destinations.failure_step(config)]
    except destinations.BadDestination as error:
        raise SettingsError(str(error)) from None
    for name, step in zip(("SUCCESS_NEXT_STEP", "FAILURE_NEXT_STEP"), steps):
        if step.kind == "url" and step.target.startswith("/"):
            if _first_segment(step.target) in OWN_PATHS:
                raise SettingsError(f"{name}={step.target!r} is one of this server's own webhooks: the call would go round in a loop")
            log.warning(
                "%s=%r is a path this server does not answer: it works only in another IVR that mounts the subflow and serves it",
                name,
                step.target,
            )
    key = config["VERDICT_SIGNING_KEY"]
    if key and len(key.encode()) < 32:
        raise SettingsError("VERDICT_SIGNING_KEY is too short: use at least 32 random characters")
    if production and not key and any(step.carries_token for step in steps):
        raise SettingsError("VERDICT_SIGNING_KEY is required for a sip:, client: or URL next step: the receiving system checks the verdict with it")
