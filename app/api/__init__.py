"""The authenticated API: systems of the contact center ask this server to verify a caller mid-call.

Off until API_TOKEN is set: without it no /api/ route exists (404). Every answer is JSON with a
one-line reason; app/api/openapi.json describes them all.
"""

from flask import request

from app.api.views import bp, http_error


def init_app(app):
    """Mount the API if API_TOKEN is set; a path or method it does not have is refused in JSON too."""
    if app.config.get("API_TOKEN"):
        app.register_blueprint(bp)
        app.register_error_handler(404, _not_here)
        app.register_error_handler(405, _not_here)


def _not_here(error):
    """Routing refusals under /api/ as one line of JSON; elsewhere as Flask renders them."""
    if request.path.startswith(bp.url_prefix + "/") or request.path == bp.url_prefix:
        return http_error(error)
    return error
