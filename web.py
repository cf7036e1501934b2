"""The web process, as the Procfile and `make serve` start it: gunicorn on gunicorn.conf.py.

    python web.py wsgi:app

gunicorn reads WEB_CONCURRENCY as soon as it is imported, before gunicorn.conf.py, and ends in
a traceback on a value that is not a number: it is checked here first, and said in one line
like every other setting (gunicorn.conf.py checks the rest).
"""

import os
import sys

if __name__ == "__main__":
    workers = os.environ.get("WEB_CONCURRENCY", "")
    if workers and not workers.isdigit():
        sys.exit(f"Error: WEB_CONCURRENCY={workers!r} is not a whole number of at least 1")
    from gunicorn.app.wsgiapp import run

    sys.argv = ["gunicorn", "--config", "gunicorn.conf.py", *sys.argv[1:]]
    run()
