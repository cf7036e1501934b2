"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`, and for `flask` commands."""

import sys

from config import SettingsError

try:
    from app import create_app

    app = create_app()
except SettingsError as error:
    # One line naming the setting, not a traceback: gunicorn, `flask` commands and make alike.
    sys.exit(f"Error: {error}")
