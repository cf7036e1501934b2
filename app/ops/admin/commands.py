"""`flask admin add-user`, `remove-user`, `set-password`, `audit`: the supervisors by name, and what they did."""

import re
import sys

import click
import sqlalchemy
from flask import current_app
from flask.cli import AppGroup
from werkzeug.security import generate_password_hash

from app.storage import database, reports, supervisors

admin_group = AppGroup("admin", help="The supervisor page at /admin.")

SHORTEST = 12
# A name one can type at the login form, and that the start-up check accepts.
USERNAME = re.compile(r"[!-~]{1,64}")
AUDIT_COLUMNS = ("at", "actor", "action", "subject", "subject_hash", "address")


def username_refused(name):
    """Why ADMIN_USERNAME=`name` cannot be used, in one line; None when it can."""
    if USERNAME.fullmatch(name):
        return None
    return f"ADMIN_USERNAME={name!r} is not 1 to 64 printable characters without spaces"


def _name(ctx, param, value):
    """The supervisor's name, refused before the password is asked for if one cannot type it at the login form."""
    if not USERNAME.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not 1 to 64 printable characters without spaces")
    return value


def _hashed(password):
    if len(password) < SHORTEST:
        raise click.BadParameter(f"use at least {SHORTEST} characters", param_hint="password")
    return generate_password_hash(password)


def _connect():
    """A connection that commits as it goes; a database that does not answer is one line."""
    try:
        return database.connect()
    except sqlalchemy.exc.SQLAlchemyError as error:
        raise click.ClickException(f"The database did not answer ({type(error).__name__}): nothing was changed.") from error


@admin_group.command("add-user")
@click.argument("name", callback=_name)
@click.password_option("--password", prompt="Password for the new supervisor", help="Asked for when not given.")
def add_user(name, password):
    """Let NAME log in to /admin with a password of their own."""
    with _connect() as connection:
        _keep_the_settings_login(connection)
        if not supervisors.add(connection, name, _hashed(password)):
            raise click.ClickException(f"{name} is a supervisor already: `flask admin set-password {name}` changes the password.")
        supervisors.audit(connection, supervisors.COMMAND_LINE, "user_added", name)
    click.echo(f"Added {name}: they log in at /admin with that password.")


def _keep_the_settings_login(connection):
    """Before the first supervisor is stored, the settings' login (which stops counting then) is stored as the first."""
    config = current_app.config
    if not config["ADMIN_PASSWORD_HASH"] or supervisors.any_named(connection):
        return
    supervisors.add(connection, config["ADMIN_USERNAME"], config["ADMIN_PASSWORD_HASH"])
    supervisors.audit(connection, supervisors.COMMAND_LINE, "user_added", config["ADMIN_USERNAME"])
    click.echo(f"Kept the login from the settings as the supervisor {config['ADMIN_USERNAME']}: ADMIN_PASSWORD_HASH may now be removed.")


@admin_group.command("remove-user")
@click.argument("name", callback=_name)
def remove_user(name):
    """Stop NAME from logging in; their open sessions end at their next click."""
    with _connect() as connection:
        if not supervisors.remove(connection, name):
            raise click.ClickException(f"{name} is not a supervisor. They are: {', '.join(supervisors.names(connection)) or 'nobody yet'}.")
        supervisors.audit(connection, supervisors.COMMAND_LINE, "user_removed", name)
    click.echo(f"Removed {name}.")


@admin_group.command("set-password")
@click.argument("name", callback=_name)
@click.password_option("--password", prompt="New password", help="Asked for when not given.")
def set_password(name, password):
    """Give NAME a new password; their open sessions end."""
    with _connect() as connection:
        if not supervisors.set_password(connection, name, _hashed(password)):
            raise click.ClickException(f"{name} is not a supervisor: `flask admin add-user {name}` adds them.")
        supervisors.audit(connection, supervisors.COMMAND_LINE, "password_changed", name)
    click.echo(f"Changed {name}'s password.")


@admin_group.command("audit")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV (every cell safe to open in a spreadsheet).")
def audit(as_csv):
    """The audit log, latest first: logins, failed logins, unlocks, CSV exports, supervisors added or removed, passwords changed."""
    with _connect() as connection:
        entries = supervisors.audit_entries(connection)
    rows = ([_text(entry[column]) for column in AUDIT_COLUMNS] for entry in entries)
    if as_csv:
        reports.write_rows(AUDIT_COLUMNS, rows, sys.stdout)
        return
    for row in rows:
        click.echo("  ".join(row[:4] + row[5:]).rstrip())


def _text(value):
    if value is None:
        return ""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else str(value)
