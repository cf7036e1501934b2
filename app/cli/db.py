"""`flask db upgrade`, and the connection every database command goes through."""

import contextlib

import click
import sqlalchemy
from flask import current_app
from flask.cli import AppGroup

from app.storage import database

db = AppGroup("db", help="The database of verification records.")


UPGRADE = "run `flask db upgrade` (or `make migrate`)"


@contextlib.contextmanager
def connected(transaction=False, migrated=True):
    """A connection to the app's database, migrated unless told; a failure is one line, not a traceback."""
    try:
        engine = database.engine()
        with engine.begin() if transaction else engine.connect() as connection:
            if migrated and database.behind(connection):
                raise click.ClickException(f"database {_shown_url()} does not have this version's tables: {UPGRADE}")
            yield connection
    except sqlalchemy.exc.SQLAlchemyError as error:
        cause = str(getattr(error, "orig", None) or error).splitlines()[0]
        url = database.database_url(current_app.config, current_app.instance_path)
        said = database.unopened_sqlite_file(url, cause) or f"{type(error).__name__}: {cause}"
        raise click.ClickException(f"database {_shown_url()}: {said}") from None
    finally:
        database.dispose(current_app)


def _shown_url():
    """The database URL, its password hidden."""
    url = database.database_url(current_app.config, current_app.instance_path)
    try:
        return sqlalchemy.make_url(url).render_as_string(hide_password=True)
    except sqlalchemy.exc.ArgumentError:
        return "(DATABASE_URL is not a database URL)"


@db.command("upgrade")
def upgrade():
    """Create or update the tables (Alembic migrations); Heroku's release phase runs this."""
    with connected(transaction=True, migrated=False) as connection:
        database.upgrade(connection)
    click.echo("Database is up to date.")
