"""A WSGI app that answers with its worker's count of objects frozen out of the garbage collector (tests/test_settings.py)."""

import gc


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(gc.get_freeze_count()).encode()]
