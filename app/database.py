"""The database behind records and lockouts: one engine per app, made on first use, short waits."""

import contextlib
import logging
import math
import os
import pathlib
import threading

import sqlalchemy
from flask import current_app

log = logging.getLogger(__name__)

MIGRATIONS = pathlib.Path(__file__).resolve().parent.parent / "migrations"


def init_app(app):
    """Give the app a database; the engine is built by the first request that needs it."""
    # Lazily, because gunicorn builds the app before forking: no worker may inherit a connection.
    app.extensions["database"] = {"engine": None, "lock": threading.Lock()}


def database_url(config, instance_path):
    """The SQLAlchemy URL: DATABASE_URL (Heroku's spelling fixed), else a SQLite file in instance/."""
    url = config["DATABASE_URL"]
    if not url:
        os.makedirs(instance_path, exist_ok=True)
        return f"sqlite:///{os.path.join(instance_path, 'verifications.sqlite3')}"
    # Heroku writes postgres://, which SQLAlchemy no longer accepts; psycopg 3 is the driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url, config):
    """An engine whose every wait (connect, pool, statement) is bounded by DATABASE_TIMEOUT."""
    timeout = config["DATABASE_TIMEOUT"]
    return sqlalchemy.create_engine(
        url,
        connect_args=connect_args(url, timeout),
        pool_size=config["DATABASE_POOL_SIZE"],
        max_overflow=config["DATABASE_MAX_OVERFLOW"],
        pool_timeout=timeout,
        pool_pre_ping=True,
    )


def connect_args(url, timeout):
    """The driver's own limits on connecting and on each statement, in its units."""
    backend = sqlalchemy.make_url(url).get_backend_name()
    if backend == "postgresql":
        # libpq counts whole seconds (and treats 1 as 2); statement_timeout is in milliseconds.
        return {"connect_timeout": max(2, math.ceil(timeout)), "options": f"-c statement_timeout={int(timeout * 1000)}"}
    if backend == "sqlite":
        return {"timeout": timeout}
    return {}


def engine(app=None):
    """The app's engine, built on first use."""
    app = app or current_app._get_current_object()
    holder = app.extensions["database"]
    with holder["lock"]:
        if holder["engine"] is None:
            holder["engine"] = make_engine(database_url(app.config, app.instance_path), app.config)
        return holder["engine"]


def dispose(app):
    """Close the app's pooled connections (tests, the end of a CLI command)."""
    holder = app.extensions.get("database")
    if holder and holder["engine"] is not None:
        holder["engine"].dispose()


def execute(what, statement, call_sid="-", default=None, returning=False):
    """Run one statement for a call in its own transaction; any database failure gives `default`.

    The answer is the rowcount, or the statement's RETURNING value with `returning`. A call
    outlives any database failure (down, slow, dropped, not migrated, a bad DATABASE_URL): it is
    logged by type only. `statement` may be a function of the dialect's name, for statements each
    dialect spells its own way. An app without a database (a host IVR) gets `default`, silently.
    """
    if "database" not in current_app.extensions:
        return default
    try:
        with engine().begin() as connection:
            if callable(statement):
                statement = statement(connection.dialect.name)
            result = connection.execute(statement)
            return result.scalar_one() if returning else result.rowcount
    except Exception as error:  # noqa: BLE001 - a call outlives any database failure
        # Only the type: SQLAlchemy's messages quote the statement's parameters.
        log.warning("call %s: %s skipped, database error %s", call_sid, what, type(error).__name__)
        return default


def upgrade(bind, revision="head"):
    """Apply the Alembic migrations up to `revision` on an engine or connection."""
    # Alembic announces each of its plugins at INFO; the migrations it runs are the news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with contextlib.ExitStack() as stack:
        connection = bind if isinstance(bind, sqlalchemy.Connection) else stack.enter_context(bind.begin())
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
