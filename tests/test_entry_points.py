"""The server and its commands run as a new user runs them: a bad setting is one line and exit status 1."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "a-long-enough-production-secret",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "production-auth-token",
    "TWILIO_VERIFY_SERVICE_SID": "VA" + "1" * 32,
    "DATABASE_URL": "sqlite://",
}
# make runs the project's commands from this virtualenv, without installing anything, and
# without echoing them: what is left is what the commands say, and make's own "Error 1".
MAKE = ["make", "--silent", f"VENV={sys.prefix}", "RUNTIME="]
ENTRY_POINTS = {
    "import wsgi": [sys.executable, "-c", "import wsgi"],
    "flask db upgrade": ["flask", "--app", "wsgi", "db", "upgrade"],
    "flask call": ["flask", "call", "--keys", "code"],
    "gunicorn": ["gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
    "the Procfile's web process": [sys.executable, "web.py", "wsgi:app"],
    "make migrate": [*MAKE, "migrate"],
    "make run": [*MAKE, "run"],
    "make serve": [*MAKE, "serve"],
}


def run(command, **settings):
    """Run a command in the repository, in `environment(**settings)`."""
    return subprocess.run(command, cwd=ROOT, env=environment(**settings), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def environment(**settings):
    """Every app setting at its default (whatever .env says) but `settings`."""
    defaults = {name: str(value) for name, value in DEFAULTS.items() if name not in {"HOST", "PORT"}}
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "LANG": "C.UTF-8", **defaults, **settings}
    for name in ("APP_ENV", "SECRET_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_VERIFY_SERVICE_SID"):
        env.setdefault(name, "")
    if not env["APP_ENV"]:
        del env["APP_ENV"]  # as on a fresh clone: production, or development for flask (.flaskenv)
    return env


def said(done):
    """What a command printed, less make's own report of a failed step."""
    return [line for line in (done.stdout + done.stderr).splitlines() if line.strip() and not line.startswith("make: ***")]


@pytest.mark.parametrize("command", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_a_bad_setting_is_one_line_at_every_entry_point(command):
    done = run(command, CODE_LENGTH="six")
    assert said(done) == ["Error: CODE_LENGTH='six' is not a whole number"]
    assert done.returncode != 0


@pytest.mark.parametrize(
    "settings, line",
    [
        ({"WEB_CONCURRENCY": "abc"}, "Error: WEB_CONCURRENCY='abc' is not a whole number of at least 1"),
        ({"GUNICORN_WORKER_CLASS": "eventlet"}, "Error: GUNICORN_WORKER_CLASS='eventlet' is not one of gevent, gthread"),
        ({"GUNICORN_THREADS": "0"}, "Error: GUNICORN_THREADS='0' is not a whole number of at least 1"),
    ],
)
def test_a_bad_gunicorn_setting_is_one_line(settings, line):
    done = run(ENTRY_POINTS["the Procfile's web process"], **PRODUCTION, **settings)
    assert (said(done), done.returncode) == ([line], 1)


@pytest.mark.parametrize(
    "settings, line",
    [
        ({"APP_ENV": "test"}, "Error: APP_ENV=test is the test suite's, with secrets anyone can read: use development or production"),
        ({**PRODUCTION, "VALIDATE_SIGNATURES": "0"}, "Error: VALIDATE_SIGNATURES cannot be switched off in production"),
        ({**PRODUCTION, "DATABASE_URL": ""}, "Error: DATABASE_URL is not set: production needs the database every server shares"),
    ],
)
def test_an_unsafe_mode_is_refused_in_one_line(settings, line):
    done = run(ENTRY_POINTS["import wsgi"], **settings)
    assert len(said(done)) == 1 and said(done)[0].startswith(line)
    assert done.returncode == 1


@pytest.mark.parametrize(
    "settings, bind",
    [
        ({"APP_ENV": "development"}, "127.0.0.1:5000"),
        ({"APP_ENV": "development", "HOST": "0.0.0.0", "PORT": "8000"}, "0.0.0.0:8000"),
        ({"APP_ENV": "development", "HOST": "::1"}, "[::1]:5000"),
        ({**PRODUCTION, "PORT": "31337"}, "0.0.0.0:31337"),
    ],
)
def test_gunicorn_listens_on_this_machine_only_unless_production_or_told(settings, bind):
    done = run(["gunicorn", "--config", "gunicorn.conf.py", "--print-config", "wsgi:app"], **settings)
    assert done.returncode == 0, done.stderr
    assert f"bind                               = ['{bind}']" in done.stdout


def test_make_serve_migrates_in_the_servers_environment_and_says_what_it_says():
    done = run(ENTRY_POINTS["make serve"])  # no APP_ENV: production, for gunicorn as for its migration
    assert said(done) == [
        "Error: Missing required setting(s): SECRET_KEY, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
        "TWILIO_VERIFY_SERVICE_SID (see .env.example)"
    ]
    assert done.returncode != 0


def test_a_commands_output_is_not_mixed_with_log_lines(database_url):
    done = run(["flask", "verifications", "report", "--csv"], APP_ENV="development", DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "section,name,value"
    assert "LOCAL VERIFY STAND-IN" in done.stderr
