"""The server refuses to start on settings that would fail a caller, and says which."""

import re
import subprocess
import urllib.request

import pytest

from app import create_app
from app import settings as app_settings
from app.twilio.standin import LocalVerify
from bench.server import Server, free_port
import config
from config import Config, DevelopmentConfig, TestConfig
from tests.fakes import ScriptedVerify
from tests.test_entry_points import ENTRY_POINTS, PRODUCTION as ENTRY_PRODUCTION, ROOT, environment, run, said

BEHIND = "The database's schema is behind this version (records and lockouts would be off): run flask db upgrade"
PRODUCTION = {
    "SECRET_KEY": "a-long-enough-production-secret",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_VERIFY_SERVICE_SID": "VA" + "1" * 32,
    "DATABASE_URL": "postgresql://ivr@db.example.com/ivr",
}


@pytest.mark.parametrize("missing", sorted(PRODUCTION))
def test_production_names_a_missing_setting(missing):
    settings = {**PRODUCTION, missing: ""}
    with pytest.raises(RuntimeError, match=missing):
        create_app(Config, **settings)


def test_production_starts_with_its_settings_and_a_timeout_on_verify():
    app = create_app(Config, **PRODUCTION)
    http_client = app.extensions["twilio_client"].http_client
    assert not isinstance(http_client, LocalVerify)
    assert http_client.timeout == 5.0


def test_production_never_falls_back_to_the_local_stand_in():
    with pytest.raises(RuntimeError, match="TWILIO_VERIFY_SERVICE_SID"):
        create_app(Config, **{**PRODUCTION, "TWILIO_VERIFY_SERVICE_SID": ""})


def test_production_refuses_a_short_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Config, **{**PRODUCTION, "SECRET_KEY": "short"})


def test_production_refuses_a_database_of_its_own_per_server():
    with pytest.raises(RuntimeError, match="DATABASE_URL is not set: production needs the database every server shares") as refused:
        create_app(Config, **{**PRODUCTION, "DATABASE_URL": ""})
    assert str(refused.value).endswith("for a single server a SQLite file: sqlite:///relative.db or sqlite:////absolute/path.db")


def test_production_runs_on_sqlite_when_told_so(database_url):
    app = create_app(Config, **{**PRODUCTION, "DATABASE_URL": database_url})
    assert app.config["DATABASE_URL"].startswith("sqlite:///")


def test_development_without_credentials_runs_on_the_stand_in(caplog):
    app = create_app(DevelopmentConfig, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", TWILIO_VERIFY_SERVICE_SID="")
    assert isinstance(app.extensions["twilio_client"].http_client, LocalVerify)
    assert "LOCAL VERIFY STAND-IN" in caplog.text


def test_development_with_credentials_uses_twilio():
    app = create_app(DevelopmentConfig, **PRODUCTION)
    assert not isinstance(app.extensions["twilio_client"].http_client, LocalVerify)


@pytest.mark.parametrize(
    "name, value",
    [
        ("CODE_LENGTH", 3),
        ("CODE_LENGTH", 11),
        ("MAX_ATTEMPTS", 0),
        ("GATHER_TIMEOUT", 1),
        ("VERIFY_TIMEOUT", 15),
        ("LANGUAGE", "xx-XX"),
        ("FALLBACK_NUMBER", "555-0100"),
        ("SUCCESS_NEXT_STEP", "dance"),
        ("SUCCESS_NEXT_STEP", "+1"),
        ("SUCCESS_NEXT_STEP", "http://menu.example.com/main"),
        ("SUCCESS_NEXT_STEP", "//menu.example.com/main"),
        ("SUCCESS_NEXT_STEP", "/\\menu.example.com/main"),
        ("SUCCESS_NEXT_STEP", "https:///main"),
        ("VOICE", "Nonsense.Voice"),
        ("VOICE", "Polly.Celine"),
        ("VOICE", "Google.es-US-Neural2-A"),
        ("VOICE", "man"),
        ("HOST", "my laptop"),
        ("PORT", 0),
        ("DATABASE_TIMEOUT", 30),
        ("LOCKOUT_MAX_FAILURES", 0),
        ("LOCKOUT_WINDOW", 10),
        ("MAX_SENDS_PER_HOUR", -1),
        ("PEAK_CALLS_PER_HOUR", 0),
        ("ALLOWED_COUNTRIES", "US,XX"),
        ("ALLOWED_COUNTRIES", "+999"),
        ("LOG_LEVEL", "verbose"),
    ],
)
def test_a_setting_out_of_range_is_named(name, value):
    with pytest.raises(RuntimeError, match=name):
        create_app(TestConfig, http_client=ScriptedVerify(), **{name: value})


@pytest.mark.parametrize("language, shortest", [("en-US", 124), ("es-MX", 126)])
def test_a_state_max_age_shorter_than_the_slowest_code_entry_is_refused(language, shortest):
    # The three longest sentences a Gather says at 10 characters a second, 10 s more, then 7 keys of up to 12 s each.
    with pytest.raises(RuntimeError) as refused:
        create_app(TestConfig, http_client=ScriptedVerify(), LANGUAGE=language, CALL_STATE_MAX_AGE=shortest - 1)
    assert str(refused.value) == (
        f"CALL_STATE_MAX_AGE={shortest - 1} is shorter than a slow caller may take to key in the code: "
        f"at least {shortest} for CODE_LENGTH=6, GATHER_TIMEOUT=12, LANGUAGE={language}"
    )
    assert create_app(TestConfig, http_client=ScriptedVerify(), LANGUAGE=language, CALL_STATE_MAX_AGE=shortest)


def test_the_state_max_age_minimum_follows_the_code_length_and_the_gather_timeout():
    slowest = {"CODE_LENGTH": 10, "GATHER_TIMEOUT": 60, "LANGUAGE": "es-MX"}
    with pytest.raises(RuntimeError, match="at least 702 for CODE_LENGTH=10, GATHER_TIMEOUT=60"):
        create_app(TestConfig, http_client=ScriptedVerify(), CALL_STATE_MAX_AGE=700, **slowest)


@pytest.mark.parametrize("language", ["en-US", "es-MX"])
def test_the_default_settings_start_in_every_language(language):
    assert create_app(Config, **PRODUCTION, LANGUAGE=language)


@pytest.mark.parametrize("step", ["hangup", "+14155550100", "https://menu.example.com/main", "/after"])
def test_a_next_step_on_this_server_or_over_https_is_taken(step):
    app = create_app(TestConfig, http_client=ScriptedVerify(), SUCCESS_NEXT_STEP=step)
    assert app.config["SUCCESS_NEXT_STEP"] == step


@pytest.mark.parametrize(
    "language, voice",
    [("en-US", "Polly.Matthew-Neural"), ("en-US", "Google.en-US-Neural2-C"), ("es-MX", "Polly.Andres-Neural"), ("es-MX", "alice"),
     ("fr-CA", "Polly.Gabrielle-Neural"), ("fr-CA", "Polly.Liam-Neural"), ("pt-BR", "Polly.Vitoria"), ("pt-BR", "Polly.Thiago-Neural")],
)
def test_a_voice_that_speaks_the_language_is_taken(language, voice):
    app = create_app(TestConfig, http_client=ScriptedVerify(), LANGUAGE=language, VOICE=voice)
    assert app.config["VOICE"] == voice


def test_a_voice_of_another_language_is_refused_saying_which_fits():
    with pytest.raises(RuntimeError, match="VOICE='Polly.Joanna' does not speak LANGUAGE=es-MX \\(for es-MX: Polly.Mia\\)"):
        create_app(TestConfig, http_client=ScriptedVerify(), LANGUAGE="es-MX", VOICE="Polly.Joanna")
    with pytest.raises(RuntimeError, match="VOICE='Polly.Camila' does not speak LANGUAGE=fr-CA \\(for fr-CA: Polly.Chantal\\)"):
        create_app(TestConfig, http_client=ScriptedVerify(), LANGUAGE="fr-CA", VOICE="Polly.Camila")


def test_test_settings_are_not_an_app_env(monkeypatch):
    monkeypatch.setenv("APP_ENV", "test")
    with pytest.raises(RuntimeError, match="APP_ENV=test is the test suite's"):
        create_app()


def test_an_unknown_app_env_is_named(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(RuntimeError, match="staging"):
        create_app()


@pytest.mark.parametrize(
    "reader, name, value, problem",
    [
        (config._int, "CODE_LENGTH", "six", "CODE_LENGTH='six' is not a whole number"),
        (config._float, "VERIFY_TIMEOUT", "5s", "VERIFY_TIMEOUT='5s' is not a number"),
        (config._flag, "VALIDATE_SIGNATURES", "of", "VALIDATE_SIGNATURES='of' is neither on nor off"),
    ],
)
def test_a_setting_that_cannot_be_read_is_named_at_start_up(monkeypatch, reader, name, value, problem):
    monkeypatch.setenv(name, value)
    monkeypatch.setattr(config, "UNREADABLE", {})
    monkeypatch.setattr(config, "DEFAULTS", {})  # the reader records its default there
    reader(name, 1, doc=None)
    with pytest.raises(RuntimeError, match=problem):
        create_app(TestConfig, http_client=ScriptedVerify(), UNREADABLE=config.UNREADABLE)


def test_allowed_countries_names_the_entry_it_cannot_read():
    with pytest.raises(RuntimeError, match=r"^ALLOWED_COUNTRIES: 'UK' is neither a region code like US nor a calling code like \+44$"):
        create_app(TestConfig, http_client=ScriptedVerify(), ALLOWED_COUNTRIES="US, uk")


def test_development_with_a_real_account_refuses_the_published_secret_key():
    from config import DEVELOPMENT_SECRET_KEY, DevelopmentConfig

    account = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token", "TWILIO_VERIFY_SERVICE_SID": "VA" + "1" * 32}
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set: with real Twilio credentials, set one in .env"):
        create_app(DevelopmentConfig, SECRET_KEY=DEVELOPMENT_SECRET_KEY, **account)
    assert create_app(DevelopmentConfig, SECRET_KEY=DEVELOPMENT_SECRET_KEY, **{**account, "TWILIO_VERIFY_SERVICE_SID": ""})


@pytest.mark.parametrize(
    "setting, value, problem",
    [
        ("PUBLIC_BASE_URL", "ftp://ivr.example.com", "PUBLIC_BASE_URL='ftp://ivr.example.com' must be the https://host Twilio calls"),
        ("PUBLIC_BASE_URL", "https://", "must be the https://host Twilio calls"),
        ("MAX_CONTENT_LENGTH", 0, "MAX_CONTENT_LENGTH=0 is out of range"),
        ("MAX_CONTENT_LENGTH", -5, "MAX_CONTENT_LENGTH=-5 is out of range"),
    ],
)
def test_a_setting_that_would_refuse_every_webhook_is_refused_at_start_up(setting, value, problem):
    with pytest.raises(RuntimeError, match=re.escape(problem)):
        create_app(TestConfig, http_client=ScriptedVerify(), **{setting: value})


def test_production_takes_only_an_https_public_base_url():
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL must be https:// in production"):
        create_app(Config, **PRODUCTION, PUBLIC_BASE_URL="http://ivr.example.com")
    assert create_app(Config, **PRODUCTION, PUBLIC_BASE_URL="https://ivr.example.com")


@pytest.mark.parametrize("command", ["import wsgi", "flask db upgrade", "flask run", "the Procfile's web process"])
def test_a_database_this_server_has_no_driver_for_is_one_line_saying_which_work(command):
    settings = {**ENTRY_PRODUCTION, "DATABASE_URL": "mysql://ivr:hunter2@db.example.com/ivr"}
    done = run({**ENTRY_POINTS, "flask run": ["flask", "run"]}[command], **settings)
    assert said(done) == ["Error: DATABASE_URL=mysql://… is not a database this server can use: use sqlite:///relative.db, sqlite:////absolute/path.db, postgresql://… or postgres://…"]
    assert done.returncode == 1


@pytest.mark.parametrize(
    "url, line",
    [
        ("postgress://ivr:hunter2@db.example.com/ivr", "DATABASE_URL=postgress://… is not a database this server can use"),
        ("postgresql+psycopg2://ivr:hunter2@db.example.com/ivr", "DATABASE_URL=postgresql+psycopg2://… is not a database"),
        ("db.example.com:5432/ivr?password=hunter2", "DATABASE_URL is not a database this server can use"),
    ],
)
def test_a_misspelt_database_url_is_refused_saying_which_work_and_no_password(url, line):
    with pytest.raises(RuntimeError) as refused:
        create_app(Config, **{**PRODUCTION, "DATABASE_URL": url})
    assert str(refused.value).startswith(line)
    assert str(refused.value).endswith("use sqlite:///relative.db, sqlite:////absolute/path.db, postgresql://… or postgres://…")
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize("url", ["sqlite://", "postgres://ivr@db.example.com/ivr", "postgresql+psycopg://ivr@db.example.com/ivr"])
def test_the_database_urls_that_work_are_taken(url):
    assert create_app(TestConfig, http_client=ScriptedVerify(), DATABASE_URL=url)


@pytest.mark.parametrize(
    "name, written, read",
    [
        ("CHANNELS", "SMS, WhatsApp", "sms,whatsapp"),
        ("CHANNELS", "SMS, Email", "sms,email"),
        ("LOG_FORMAT", "JSON", "json"),
        ("LOG_LEVEL", "debug", "DEBUG"),
        ("STIR_POLICY", "require-A", "require-a"),
        ("VERIFY_BY", "Account", "account"),
        ("LANGUAGE", "es-mx", "es-MX"),
        ("LANGUAGES", "EN-us, es-MX", "en-US,es-MX"),
        ("VOICE", "polly.joanna-neural", "Polly.Joanna-Neural"),
    ],
)
def test_a_setting_whose_values_are_words_is_read_in_any_case(name, written, read):
    app = create_app(TestConfig, http_client=ScriptedVerify(), **{name: written})
    assert app.config[name] == read


@pytest.mark.parametrize(
    "name, written, read",
    [("APP_ENV", "Development", DevelopmentConfig), ("SPEECH_INPUT", "ON", True), ("VALIDATE_SIGNATURES", "Off", False)],
)
def test_a_setting_read_before_the_app_is_read_in_any_case_too(monkeypatch, name, written, read):
    monkeypatch.setenv(name, written)
    monkeypatch.setattr(config, "DEFAULTS", {})  # the reader records its default there
    assert (config.config_for() if name == "APP_ENV" else config._flag(name, doc=None)) == read


def test_gunicorn_reads_its_worker_class_in_any_case():
    done = run(["gunicorn", "--config", "gunicorn.conf.py", "--print-config", "wsgi:app"], **ENTRY_PRODUCTION, GUNICORN_WORKER_CLASS="GThread")
    assert done.returncode == 0, done.stderr
    assert "worker_class                       = gthread" in done.stdout


def test_the_procfile_s_workers_start_with_the_preloaded_app_frozen_out_of_the_collector(tmp_path):
    # Their collections never walk the objects built before the fork (gunicorn.conf.py's pre_fork, preload_app).
    server = Server("tests.gc_probe:app", free_port(), tmp_path / "server.log", env=ENTRY_PRODUCTION)
    server.start(timeout=60)
    try:
        answered = urllib.request.urlopen(f"{server.url}/", timeout=30).read()
    finally:
        server.stop()
    assert answered == b"frozen"


def test_a_near_miss_of_a_setting_in_the_environment_or_env_is_warned_about_naming_it(monkeypatch, tmp_path, caplog):
    env_file = tmp_path / ".env"
    env_file.write_text("MAX_ATTEMPT=5\nLANGUAGE=es-MX\nsuccess_next_step=hangup\n")
    monkeypatch.setattr(app_settings, "ENV_FILE", str(env_file))
    monkeypatch.setenv("SUCESS_NEXT_STEP", "+14155550100")
    monkeypatch.setenv("GUNICORN_THREDS", "64")
    monkeypatch.setenv("max_attempts", "5")
    monkeypatch.setenv("https_proxy", "http://proxy.example.com:3128")
    create_app(TestConfig, http_client=ScriptedVerify())
    assert [record.message for record in caplog.records if "(in the environment or .env)" in record.message] == [
        "GUNICORN_THREDS (in the environment or .env) is no setting of this server's: did you mean GUNICORN_THREADS?",
        "MAX_ATTEMPT (in the environment or .env) is no setting of this server's: did you mean MAX_ATTEMPTS?",
        "SUCESS_NEXT_STEP (in the environment or .env) is no setting of this server's: did you mean SUCCESS_NEXT_STEP?",
        "max_attempts (in the environment or .env) is not read: names are read in capitals, MAX_ATTEMPTS",
        "success_next_step (in the environment or .env) is not read: names are read in capitals, SUCCESS_NEXT_STEP",
    ]


@pytest.mark.parametrize(
    "names, warned",
    [
        ({"SUCESS_NEXT_STEP"}, [("SUCESS_NEXT_STEP", "SUCCESS_NEXT_STEP")]),
        ({"TWILIO_AUTH_TOKN", "DATABSE_URL"}, [("DATABSE_URL", "DATABASE_URL"), ("TWILIO_AUTH_TOKN", "TWILIO_AUTH_TOKEN")]),
        ({"WEB_CONCURENCY"}, [("WEB_CONCURENCY", "WEB_CONCURRENCY")]),
        ({"GUNICORN_WORKER_CLAS", "GUNICORN_THREAD"}, [("GUNICORN_THREAD", "GUNICORN_THREADS"), ("GUNICORN_WORKER_CLAS", "GUNICORN_WORKER_CLASS")]),
        ({"SUCESS_NEXT_STEP", "SUCCESS_NEXT_STEP"}, []),  # the real one is set: a leftover, not a misspelling
        ({"LANGUAGE"}, []),  # a setting, near another one (LANGUAGES)
        ({"success_next_step"}, []),  # not written as a setting is: warned about as such
        ({"PATH", "HOME", "PYTHONPATH", "PORT", "DYNO", "FLASK_APP", "FLASK_RUN_FROM_CLI", "GUNICORN_CMD_ARGS", "HOSTNAME"}, []),
    ],
)
def test_only_a_close_match_of_a_setting_not_set_is_taken_for_a_misspelling(names, warned):
    assert list(app_settings.misspelt(names, {*config.DEFAULTS, *app_settings.OTHER_SETTINGS})) == warned


def test_development_warns_once_at_start_on_a_database_behind_the_code_and_starts(tmp_path, caplog):
    app = create_app(DevelopmentConfig, DATABASE_URL=f"sqlite:///{tmp_path / 'not-migrated.sqlite3'}")
    warned = [record for record in caplog.records if BEHIND in record.message]
    assert [record.levelname for record in warned] == ["ERROR"]
    assert app.test_client().get("/healthz").status_code == 200


def test_flask_run_warns_of_an_unmigrated_database_and_flask_db_upgrade_does_not(tmp_path):
    url = f"sqlite:///{tmp_path / 'not-migrated.sqlite3'}"
    upgrade = run(["flask", "db", "upgrade"], APP_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}")
    assert upgrade.returncode == 0, upgrade.stderr
    assert BEHIND not in upgrade.stderr
    server = serve(["flask", "run", "--port", "0"], APP_ENV="development", DATABASE_URL=url)
    assert sum(BEHIND in line for line in server) == 1


def serve(command, **settings):
    """Start a server in `environment(**settings)`; the lines it logs until it says it is running."""
    server = subprocess.Popen(
        command, cwd=ROOT, env=environment(**settings), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    with server:
        lines = []
        for line in server.stderr:
            lines.append(line)
            if "Running on" in line:
                server.terminate()
                return lines
        raise AssertionError("".join(lines))
