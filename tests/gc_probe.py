"""A WSGI app that says whether what it built on import was frozen out of the garbage collector (tests/test_settings.py).

Built before the fork (gunicorn's preload_app) and frozen, the marker is no longer among the
objects the worker's collector tracks; built in the worker, or never frozen, it is.
"""

import gc


class Marker:
    """An object the collector tracks (a dict of strings alone it would not)."""


MARKER = Marker()


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    tracked = any(found is MARKER for found in gc.get_objects())
    return [b"collected" if tracked else b"frozen"]
