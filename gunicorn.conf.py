"""gunicorn settings, as the Procfile runs them on Heroku and locally."""

import gc
import os
import sys

# config.py loads .env first: gunicorn reads the settings the app reads, from the same places.
from config import SettingsError, config_for

WORKER_CLASSES = ("gevent", "gthread")


def _count(name, default):
    """A whole number of at least 1 from the environment; one line and exit 1 otherwise."""
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        sys.exit(f"Error: {name}={value!r} is not a whole number of at least 1")
    return int(value)


try:
    settings = config_for()
except SettingsError as error:
    sys.exit(f"Error: {error}")
# HOST: every interface in production (Heroku's router must reach it), this machine only in
# development, where the auth token is public.
bind = f"[{settings.HOST}]:{settings.PORT}" if ":" in settings.HOST else f"{settings.HOST}:{settings.PORT}"
# gevent: every webhook waiting on Verify is a greenlet, so a burst of callers never waits for
# a free thread (BENCHMARKS.md has the figures). GUNICORN_WORKER_CLASS=gthread switches to
# threads, GUNICORN_THREADS per worker.
worker_class = (os.environ.get("GUNICORN_WORKER_CLASS") or "gevent").lower()
if worker_class not in WORKER_CLASSES:
    sys.exit(f"Error: GUNICORN_WORKER_CLASS={worker_class!r} is not one of {', '.join(WORKER_CLASSES)}")
workers = _count("WEB_CONCURRENCY", 2)
threads = _count("GUNICORN_THREADS", 128)
worker_connections = _count("GUNICORN_WORKER_CONNECTIONS", 1000)
if worker_class == "gevent":
    # The app is built before forking (preload_app below), so the standard library must be
    # made cooperative before the app imports requests, urllib3 and ssl: here, not in the worker.
    from gevent import monkey

    monkey.patch_all()
# Twilio gives up on a webhook after 15 s; a worker stuck longer than this is restarted.
timeout = 20
graceful_timeout = 20
keepalive = 5
# Build the app once before forking: a bad setting stops the server at once, naming it.
preload_app = True
# Heroku's router and ngrok terminate TLS in front of gunicorn; ProxyFix in the app decides
# how many forwarding hops to trust (TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")


def pre_fork(server, worker):
    """The app built once (preload_app) is taken out of the garbage collector's sight before each fork.

    A worker's full collection would otherwise walk the ~90,000 objects of the imported app:
    60-100 ms in which none of the worker's callers is answered, once or twice per burst of 200
    (BENCHMARKS.md), and pages shared with the master copied into the worker by the walk. The
    gc module's documentation describes gc.freeze() for this: a process that forks without exec.
    """
    gc.freeze()


def worker_exit(server, worker):
    """A worker that stops gives back the places it holds in the hour's count of sends (atexit may not run)."""
    from app.storage import sends

    sends.give_back(getattr(worker, "wsgi", None))
