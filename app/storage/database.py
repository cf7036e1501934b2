"""The database behind records and lockouts: one engine per app, made on first use, short waits."""

import ast
import contextlib
import functools
import logging
import math
import os
import pathlib
import threading

import sqlalchemy
from blinker import Namespace
from flask import current_app, g
from sqlalchemy.dialects import postgresql, sqlite
from app import outbound

log = logging.getLogger(__name__)

MIGRATIONS = pathlib.Path(__file__).resolve().parent / "migrations"

# INSERT with ON CONFLICT, in each supported dialect's spelling.
UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
# What DATABASE_URL may name: those dialects, through the drivers this server installs.
URL_FORMS = "sqlite:///relative.db, sqlite:////absolute/path.db, postgresql://… or postgres://…"

# Sent with `what` (a few words: "record start") each time a call goes on without the database.
failed = Namespace().signal("database-failed")


def init_app(app):
    """Give the app a database; the engine is built by the first request that needs it."""
    # Lazily, because gunicorn builds the app before forking: no worker may inherit a connection.
    app.extensions["database"] = {"engine": None, "autocommit": None, "lock": threading.Lock()}
    # The driver, though, is imported now, once before forking, not by each worker's first call.
    with contextlib.suppress(Exception):  # a bad DATABASE_URL is reported when it is first used
        sqlalchemy.make_url(database_url(app.config, app.instance_path)).get_dialect().import_dbapi()


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


def check_url(url):
    """ValueError, in a sentence that shows no password, unless DATABASE_URL (empty: SQLite) names a database this server can use."""
    if not url:
        return
    try:
        parsed = sqlalchemy.make_url(database_url({"DATABASE_URL": url}, ""))
        parsed.get_dialect().import_dbapi()
        usable = parsed.get_backend_name() in UPSERTS
    except (sqlalchemy.exc.ArgumentError, ImportError):  # an unknown dialect, a driver not installed
        usable = False
    if not usable:
        scheme = url.partition("://")[0]
        named = f"DATABASE_URL={scheme}://…" if "://" in url and scheme.replace("+", "").isalnum() else "DATABASE_URL"
        raise ValueError(f"{named} is not a database this server can use: use {URL_FORMS}")


def unopened_sqlite_file(url, error):
    """For a SQLite file that cannot be opened, one line: the path tried and, for a relative one, the absolute form; else None."""
    if "unable to open database file" not in str(error):
        return None
    parsed = sqlalchemy.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    path = parsed.database or ""
    line = f"cannot open the SQLite file {os.path.abspath(path)}"
    if os.path.isabs(path):
        return f"{line}: its folder must exist and this user be able to write there"
    return f"{line}: three slashes start a path relative to the current folder; an absolute path takes four, sqlite:////{path}"


def make_engine(url, config, **options):
    """An engine whose every wait (connect, pool, statement) is bounded by DATABASE_TIMEOUT."""
    timeout = config["DATABASE_TIMEOUT"]
    engine = sqlalchemy.create_engine(
        url,
        connect_args=connect_args(url, timeout),
        pool_size=config["DATABASE_POOL_SIZE"],
        max_overflow=config["DATABASE_MAX_OVERFLOW"],
        pool_timeout=timeout,
        **options,
    )
    if engine.dialect.name == "sqlite":
        sqlalchemy.event.listen(engine, "connect", _sqlite_write_ahead_log)
    return engine


def _sqlite_write_ahead_log(connection, _record):
    """Readers never wait for the writer, and a commit does not wait for the disk.

    A gevent worker waits on SQLite without serving its other callers, so every write must be
    short; with write-ahead logging a commit is an append, synced at checkpoints only.
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def connect_args(url, timeout):
    """The driver's own limits on connecting and on each statement, in its units."""
    backend = sqlalchemy.make_url(url).get_backend_name()
    if backend == "postgresql":
        # libpq counts whole seconds (and treats 1 as 2); statement_timeout is in milliseconds.
        # tcp_user_timeout and keepalives end a connection whose server has vanished from the network.
        return {
            "connect_timeout": max(2, math.ceil(timeout)),
            "options": f"-c statement_timeout={int(timeout * 1000)}",
            "tcp_user_timeout": int(timeout * 1000),
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        }
    if backend == "sqlite":
        return {"timeout": timeout}
    return {}


def engine(app=None):
    """The app's engine for transactions (commands, reports, migrations), built on first use."""
    return _built("engine", app)


def connect():
    """A connection from the calls' engine, each statement committing on its own: for a web page that reads.

    A page served by a web worker shares the calls' pool rather than opening a second one.
    """
    return _autocommit_engine().connect()


def _autocommit_engine():
    """The calls' engine, built on first use: each statement commits on its own, no BEGIN or COMMIT.

    An engine and pool of its own, its connections in autocommit from the start: switching a
    shared pool's connection to autocommit and back at every checkout cost some 60 µs each time.
    Web workers use only this one; commands use only the other.
    """
    return _built("autocommit")


def _built(kind, app=None):
    app = app or current_app._get_current_object()
    holder = app.extensions["database"]
    with holder["lock"]:
        if holder[kind] is None:
            options = {"isolation_level": "AUTOCOMMIT"} if kind == "autocommit" else {}
            holder[kind] = make_engine(database_url(app.config, app.instance_path), app.config, **options)
        return holder[kind]


def dispose(app):
    """Close the app's pooled connections (tests, the end of a CLI command)."""
    holder = app.extensions.get("database", {})
    for kind in ("engine", "autocommit"):
        if holder.get(kind) is not None:
            holder[kind].dispose()


def execute(what, statement, call_sid="-", default=None, returning=False, values=None):
    """Run one statement for a call; any database failure gives `default`.

    `values` are the statement's parameters. The answer is the rowcount, or the statement's
    RETURNING value with `returning`. A call outlives any database failure (down, slow, dropped,
    not migrated, a bad DATABASE_URL): it is logged by type only. `statement` may be a function
    of the dialect's name, for statements each dialect spells its own way. An app without a
    database (a host IVR) gets `default`, silently. Each statement commits on its own; inside
    `one_connection()` it shares that connection.
    """
    if "database" not in current_app.extensions:
        return default
    shared = g.get("database_connection")
    if shared is not None and not shared["ok"]:
        return default
    try:
        with _deadline():
            return _run(statement, values, returning, shared)
    except Exception as error:  # noqa: BLE001 - a call outlives any database failure
        if shared:
            shared["ok"] = False  # the rest of the block skips a database that has just failed
        _log_failure(what, call_sid, error)
        return default


def _run(statement, values, returning, shared):
    """Execute on the block's connection or a new one; once more if that connection had been dropped."""
    for last_try in (False, True):
        connection = shared["connection"] if shared else _autocommit_engine().connect()
        try:
            if callable(statement):
                statement = statement(connection.dialect.name)
            result = connection.execute(statement, values)
            return result.scalar_one() if returning else result.rowcount
        except sqlalchemy.exc.DBAPIError as error:
            # Connections are not pinged before use: one the database has dropped since (a
            # restart, a failover) fails here, and SQLAlchemy discards it and every pooled
            # connection as old. The statement did not run; it runs again on a new connection.
            if last_try or not error.connection_invalidated:
                raise
            if shared:
                connection.close()
                shared["connection"] = _autocommit_engine().connect()
        finally:
            if not shared:
                connection.close()


@contextlib.contextmanager
def one_connection(what, call_sid="-"):
    """Run the `execute()` calls of the block on one connection; a failure skips the rest.

    A call step writes its record and its lockout count, two statements that need no common
    transaction: on one autocommit connection they cost two round trips, against five for a
    transaction (ping, BEGIN, the two, COMMIT). A database that fails once is not asked again.
    """
    if "database" not in current_app.extensions or g.get("database_connection") is not None:
        yield
        return
    shared = {"connection": None, "ok": False}
    try:
        with _deadline():
            shared["connection"] = _autocommit_engine().connect()
        shared["ok"] = True
    except Exception as error:  # noqa: BLE001 - a call outlives any database failure
        _log_failure(what, call_sid, error)
    g.database_connection = shared
    try:
        yield
    finally:
        g.database_connection = None
        if shared["connection"] is not None:
            with contextlib.suppress(Exception):
                shared["connection"].close()


class DatabaseTimeout(Exception):
    """The database did not answer within DATABASE_TIMEOUT."""


def _deadline():
    """Bound database work on the client side as well, under gevent (the Procfile's workers).

    statement_timeout is enforced by the server: it cannot end a wait on a server, or a proxy in
    front of it, that has stopped answering. gevent's Timeout interrupts psycopg's cooperative
    wait, and SQLAlchemy then drops the connection instead of reusing it. Threads have no such
    interrupt; there tcp_user_timeout and keepalives are the limit.
    """
    return outbound.interrupted_after(current_app.config["DATABASE_TIMEOUT"], DatabaseTimeout)


def _log_failure(what, call_sid, error):
    # Only the type: SQLAlchemy's messages quote the statement's parameters.
    log.warning("call %s: %s skipped, database error %s", call_sid, what, type(error).__name__)
    failed.send(what=what)


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


def behind(connection):
    """True when the database lacks the tables of the latest migration (none yet, or older ones).

    Asked at every production start and by /readyz, so without Alembic: importing it (with Mako
    and Pygments) would add some 10 MB to every worker. The heads are read from the migrations'
    own `revision` and `down_revision` lines, the applied ones from Alembic's table.
    """
    if not sqlalchemy.inspect(connection).has_table("alembic_version"):
        return True
    applied = set(connection.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalars())
    return applied != migration_heads()


@functools.cache
def migration_heads():
    """The revisions no other migration builds on."""
    revisions, built_on = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name, value = node.targets[0].id, node.value
                if name == "revision":
                    revisions.add(ast.literal_eval(value))
                elif name == "down_revision" and ast.literal_eval(value):
                    earlier = ast.literal_eval(value)
                    built_on.update(earlier if isinstance(earlier, (tuple, list)) else [earlier])
    return revisions - built_on
