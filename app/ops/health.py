"""Health: /healthz (the process answers), /readyz (the database answers, at the migrations' head)."""

import logging
import os

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
    """Serve the health checks; in production, refuse to start on a database that has not been migrated."""
    app.register_blueprint(bp)
    # `flask db upgrade` (the release phase) builds the app too: it is the fix, so it must start.
    if app.config["ENV_NAME"] == "production" and os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        check_at_start(app)


def check_at_start(app):
    """A database behind the code stops the start; one out of reach is said loudly once, and counted."""
    state = schema_state(lambda: database.make_engine(database.database_url(app.config, app.instance_path), app.config))
    if state == "behind":
        raise SettingsError(
            "The database's schema is behind this version (records and lockouts would be off): "
            "run flask db upgrade (the Procfile's release phase does)"
        )
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
