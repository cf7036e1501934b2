"""Health: /healthz (the process answers), /readyz (the database answers, at the migrations' head)."""

import contextlib
import logging
import os
import threading
import time

import click
from flask import Blueprint, current_app

from app.ops import metrics
from app.storage import database
from config import SettingsError

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

BANNER = "!" * 78
# Seconds a worker keeps /readyz's answer: a flood of requests costs the database one check per worker this often.
READY_FOR = 5
REASONS = {
    "unreachable": "the database does not answer",
    "behind": "the database schema is behind this version: run flask db upgrade",
}


def init_app(app):
    """Serve the health checks; check the database when a server starts (production refuses one not migrated)."""
    app.register_blueprint(bp)
    if app.config["ENV_NAME"] in {"production", "development"} and _serving():
        check_at_start(app)


def _serving():
    """True unless a `flask` command other than `flask run` builds the app: `flask db upgrade` is the fix, so it must start."""
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        return True
    command = click.get_current_context(silent=True)  # `flask run` builds the app inside its own command
    return command is not None and command.info_name == "run"


# Said in one line by a production start, which it stops; in a banner by a development one.
BEHIND = (
    "The database's schema is behind this version (records and lockouts would be off): "
    "run flask db upgrade (the Procfile's release phase does)"
)


def check_at_start(app):
    """A database behind the code stops a production start, and is said loudly in development; one out of reach is said loudly, and counted."""
    state = schema_state(lambda: _connection_of_its_own(app))
    if state == "behind" and app.config["ENV_NAME"] == "production":
        raise SettingsError(BEHIND)
    if state == "behind":
        log.error("\n%s\n  %s\n%s", BANNER, BEHIND, BANNER)
    if state == "unreachable":
        log.error(
            "\n%s\n  The DATABASE DOES NOT ANSWER: calls go on WITHOUT RECORDS, under the IN-MEMORY LIMITS of each\n"
            "  worker (docs/security.md: The lockout ceiling), until it does. /readyz answers 503 meanwhile.\n%s",
            BANNER,
            BANNER,
        )
        metrics.database_unreachable_at_start()


def schema_state(connect):
    """ok, behind (reachable, not at the migrations' head) or unreachable, for the connection `connect()` gives."""
    try:
        with connect() as connection:
            return "behind" if database.behind(connection) else "ok"
    except Exception as error:  # noqa: BLE001 - whatever the failure (a bad DATABASE_URL too), it is not usable
        log.warning("database check failed: %s", type(error).__name__)
        return "unreachable"


@contextlib.contextmanager
def _connection_of_its_own(app):
    """A connection on an engine made for the start's check alone, closed with it: no worker inherits it."""
    url = database.database_url(app.config, app.instance_path)
    engine = database.make_engine(url, app.config)
    try:
        with engine.connect() as connection:
            yield connection
    except Exception as error:
        if unopened := database.unopened_sqlite_file(url, error):
            log.error("database %s: %s", url, unopened)  # a SQLite URL holds no password
        raise
    finally:
        engine.dispose()


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers; nothing else is touched."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Readiness: the database answers and its schema is at the head; 503 with one reason otherwise."""
    state = readiness()
    if state != "ok":
        return {"status": "unavailable", "reason": REASONS[state]}, 503
    return {"status": "ok"}


def readiness():
    """The database's state, checked on a connection of the calls' pool at most once per READY_FOR seconds."""
    cached = current_app.extensions.setdefault("readiness", {"state": None, "at": 0.0, "lock": threading.Lock()})
    if cached["state"] is not None and time.monotonic() - cached["at"] < READY_FOR:
        return cached["state"]
    # One check at a time: while it runs, the others answer with the last state, if there is one.
    if not cached["lock"].acquire(blocking=cached["state"] is None):
        return cached["state"]
    try:
        if cached["state"] is None or time.monotonic() - cached["at"] >= READY_FOR:
            cached["state"], cached["at"] = schema_state(database.connect), time.monotonic()
        return cached["state"]
    finally:
        cached["lock"].release()
