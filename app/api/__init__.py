"""The authenticated API: systems of the contact center ask this server to verify a caller mid-call.

Off until API_TOKEN is set: without it no /api/ route exists (404). Every answer is JSON with a
one-line reason; app/api/openapi.json describes them all.
"""

from app.api.views import bp


def init_app(app):
    """Mount the API if API_TOKEN is set."""
    if app.config.get("API_TOKEN"):
        app.register_blueprint(bp)
