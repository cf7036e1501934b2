"""create_app(): the app assembled from its parts, after its settings are checked."""

import logging
import sys
import traceback

from flask import Flask, request
from flask.sessions import SessionInterface
from twilio.rest import Client
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app import api, cli, outbound, settings
from app.calls import account, agent, security, studio, verification, voice
from app.calls.twiml import fallback
from app.ops import admin, health, logs, metrics
from app.storage import database, sends
from app.twilio.http_client import TwilioHttp
from config import config_for

log = logging.getLogger(__name__)


def create_app(config_class=None, http_client=None, account_source=None, **overrides):
    """Build the app; `http_client` replaces twilio-python's HTTP layer (tests, benchmarks), `account_source` the accounts'."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class or config_for())
    app.config.update(overrides)
    app.session_interface = NoSessions()
    settings.normalise(app.config)
    _configure_logging(app)
    settings.check(app.config)
    settings.warn_of_misspelt_settings()
    if http_client is None and settings.wants_local_verify(app.config):
        http_client = settings.use_local_verify(app.config)
    elif not app.config["USE_LOCAL_VERIFY"]:
        log.info(sends.cap_in_force(app.config))

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    app.before_request(outbound.open_webhook_budget)
    app.teardown_request(outbound.close_webhook_budget)
    security.init_app(app)
    database.init_app(app)
    metrics.init_app(app)
    health.init_app(app)
    logs.init_app(app)
    app.extensions["twilio_client"] = _twilio_client(app.config, http_client)
    verification.init_app(app, app.extensions["twilio_client"])
    account.init_app(app, account_source)
    app.register_blueprint(voice.bp)
    app.register_blueprint(studio.bp)
    agent.init_app(app)
    api.init_app(app)
    app.register_error_handler(Exception, _unexpected_error)
    cli.init_app(app)
    admin.init_app(app)
    return app


class NoSessions(SessionInterface):
    """No Flask session cookie: Twilio keeps no cookies, and the call's state travels in its URLs.

    Flask would otherwise build a signing serializer on every request to look for one.
    """

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        pass


def _twilio_client(config, http_client):
    """A twilio-python client whose requests give up well inside Twilio's 15 s webhook limit."""
    if http_client is None:
        http_client = TwilioHttp()
    http_client.timeout = config["VERIFY_TIMEOUT"]
    return Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client)


def _unexpected_error(error):
    """Never a 5xx or a traceback to Twilio: apologise to the caller and follow the fallback."""
    if isinstance(error, HTTPException):
        return error
    # The exception's message can hold caller data, so only its type and frames are logged.
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("unexpected %s on %s\n%s", type(error).__name__, request.path, frames)
    # Only a request Twilio signed may close a call's record: anyone can post a CallSid.
    if security.signed():
        verification.broken_off(request.form.get("CallSid", ""))
    return fallback("error")


def _configure_logging(app):
    """Log lines to stderr, beside gunicorn's own, where Heroku collects them.

    stdout is left to what a command prints: `flask verifications report --csv > f.csv`.
    """
    level = app.config["LOG_LEVEL"]
    if level not in settings.LOG_LEVELS:
        raise settings.SettingsError(f"LOG_LEVEL={level!r} is not one of {', '.join(settings.LOG_LEVELS)}")
    if app.config["LOG_FORMAT"] not in logs.FORMATS:
        raise settings.SettingsError(f"LOG_FORMAT={app.config['LOG_FORMAT']!r} is not one of {', '.join(logs.FORMATS)}")
    logging.basicConfig(handlers=[logs.handler(sys.stderr, app.config["LOG_FORMAT"])], level=level)
    # twilio-python logs every request it makes at INFO; its URLs and headers are noise here.
    logging.getLogger("twilio").setLevel(logging.WARNING)
