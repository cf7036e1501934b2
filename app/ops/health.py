"""Health: /healthz (the process answers), /readyz (the database answers, at the migrations' head)."""

import logging
import os

import click
from flask import Blueprint

from app.ops import metrics
from app.storage import database
from config import SettingsError

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

BANNER = "!" * 78
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
    state = schema_state(lambda: database.make_engine(database.database_url(app.config, app.instance_path), app.config))
    if state == "behind" and app.config["ENV_NAME"] == "production":
        raise SettingsError(BEHIND)
    if state == "behind":
        log.error("\n%s\n  %s\n%s", BANNER, BEHIND, BANNER)
    if state == "unreachable":
        log.error(
            "\n%s\n  The DATABASE DOES NOT ANSWER: calls go on WITHOUT RECORDS OR LOCKOUTS until it does.\n"
            "  /readyz answers 503 meanwhile.\n%s",
            BANNER,
            BANNER,
        )
        metrics.database_unreachable_at_start()


def schema_state(make_engine, dispose=True):
    """ok, behind (reachable, not at the migrations' head) or unreachable, for the engine `make_engine()` gives."""
    engine = None
    try:
        engine = make_engine()
        with engine.connect() as connection:
            return "behind" if database.behind(connection) else "ok"
    except Exception as error:  # noqa: BLE001 - whatever the failure (a bad DATABASE_URL too), it is not usable
        log.warning("database check failed: %s", type(error).__name__)
        return "unreachable"
    finally:
        if dispose and engine is not None:
            engine.dispose()


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers; nothing else is touched."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Readiness: the database answers and its schema is at the head; 503 with one reason otherwise."""
    state = schema_state(database.engine, dispose=False)
    if state != "ok":
        return {"status": "unavailable", "reason": REASONS[state]}, 503
    return {"status": "ok"}
