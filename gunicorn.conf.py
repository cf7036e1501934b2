"""gunicorn settings, as the Procfile runs them on Heroku and locally."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# Threads, so that a caller whose webhook waits on Verify never holds up another caller.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
# Twilio gives up on a webhook after 15 s; a worker stuck longer than this is restarted.
timeout = 20
graceful_timeout = 20
keepalive = 5
# Build the app once before forking: a bad setting stops the server at once, naming it.
preload_app = True
# Heroku's router and ngrok terminate TLS in front of gunicorn; ProxyFix in the app decides
# how many forwarding hops to trust (TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
