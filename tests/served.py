"""gunicorn as the Procfile runs it, for the tests that need a real server: production settings, Verify simulated."""

import contextlib
import secrets

from bench.acceptance import _start_in_thread
from bench.fake_verify import FakeVerifyServer
from bench.server import Server, free_port

CODE = "123456"


@contextlib.contextmanager
def production_server(database_url, folder, verify_latency, **settings):
    """The server started, with made-up credentials and `settings` on top; (server, auth token)."""
    verify_port = _start_in_thread(FakeVerifyServer(verify_latency, CODE))
    token = secrets.token_hex(16)
    env = {
        "APP_ENV": "production",
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": token,
        "TWILIO_VERIFY_SERVICE_SID": "VA" + secrets.token_hex(16),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": database_url,
        "BENCH_VERIFY_URL": f"http://127.0.0.1:{verify_port}",
        # The most these settings allow: on a loaded machine the database and Verify are slow, not down.
        "DATABASE_TIMEOUT": "5",
        "VERIFY_TIMEOUT": "10",
        **settings,
    }
    server = Server("bench.served_wsgi:app", free_port(), folder / "server.log", env=env)
    server.start(timeout=120)
    try:
        yield server, token
    finally:
        server.stop()
