"""`flask admin set-password`: the supervisor page's password, stored only as a hash."""

import pathlib
import re

import click
import dotenv
from flask import current_app
from flask.cli import AppGroup
from werkzeug.security import generate_password_hash

admin_group = AppGroup("admin", help="The supervisor page at /admin.")

SHORTEST = 12
# A name one can type at the login form, and that the start-up check accepts.
USERNAME = re.compile(r"[!-~]{1,64}")


def username_refused(name):
    """Why ADMIN_USERNAME=`name` cannot be used, in one line; None when it can."""
    if USERNAME.fullmatch(name):
        return None
    return f"ADMIN_USERNAME={name!r} is not 1 to 64 printable characters without spaces"


def _username(ctx, param, value):
    """The --username given, refused before the password is asked for if the start-up check would refuse it."""
    if value is not None and username_refused(value):
        raise click.BadParameter(username_refused(value))
    return value


@admin_group.command("set-password")
@click.option("--username", callback=_username, help="The user name to log in with (ADMIN_USERNAME); default: the current one.")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=pathlib.Path), help="The file to write (default: .env beside the app).")
@click.option("--print", "print_only", is_flag=True, help="Print the settings instead of writing them (Heroku: heroku config:set …).")
@click.password_option("--password", prompt="New password for the supervisor page", help="Asked for when not given.")
def set_password(username, env_file, print_only, password):
    """Hash a new password for /admin and write ADMIN_PASSWORD_HASH (and ADMIN_USERNAME) to .env."""
    if len(password) < SHORTEST:
        raise click.BadParameter(f"use at least {SHORTEST} characters", param_hint="password")
    settings = {"ADMIN_USERNAME": username or current_app.config["ADMIN_USERNAME"], "ADMIN_PASSWORD_HASH": generate_password_hash(password)}
    if print_only:
        for name, value in settings.items():
            click.echo(f"{name}='{value}'")
        return
    env_file = env_file or pathlib.Path(current_app.root_path).parent / ".env"
    env_file.touch(mode=0o600, exist_ok=True)
    for name, value in settings.items():
        dotenv.set_key(env_file, name, value, quote_mode="always")
    click.echo(
        f"Wrote ADMIN_USERNAME={settings['ADMIN_USERNAME']} and ADMIN_PASSWORD_HASH to {env_file}. "
        "Restart the server, then log in at /admin."
    )
