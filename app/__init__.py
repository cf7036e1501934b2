"""The phone-verification IVR: create_app() builds the Flask app."""

import importlib
import warnings

from app.factory import create_app

__all__ = ["create_app"]


# Where the modules of the flat layout went. A host IVR importing them the old way
# (`from app import verification`) keeps working for one release, warned.
MOVED = {
    "voice": "app.calls.voice",
    "verification": "app.calls.verification",
    "callstate": "app.calls.callstate",
    "prompts": "app.calls.prompts",
    "twiml": "app.calls.twiml",
    "security": "app.calls.security",
    "verify": "app.twilio.verify",
    "twilio_http": "app.twilio.http_client",
    "verify_standin": "app.twilio.standin",
    "number_setup": "app.twilio.number_setup",
    "database": "app.storage.database",
    "tables": "app.storage.tables",
    "records": "app.storage.records",
    "lockout": "app.storage.lockout",
    "reports": "app.storage.reports",
    "records_cli": "app.cli.verifications",
}


def __getattr__(name):
    """`from app import verification` and the other old paths, with a DeprecationWarning."""
    if name not in MOVED:
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    warnings.warn(
        f"app.{name} has moved to {MOVED[name]}; the old path goes in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return importlib.import_module(MOVED[name])
