"""gunicorn settings, as the Procfile runs them on Heroku and locally."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# gevent: every webhook waiting on Verify is a greenlet, so a burst of callers never waits for
# a free thread (BENCHMARKS.md has the figures). GUNICORN_WORKER_CLASS=gthread switches to
# threads, GUNICORN_THREADS per worker.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "128"))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
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
