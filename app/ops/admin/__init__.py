"""The supervisor page at /admin: the verifications' figures, lockouts, a CSV, behind a login."""

from app.ops.admin import auth, commands, sessions, views


def init_app(app):
    """Add `flask admin`, and the page itself when ADMIN_PASSWORD_HASH is set (otherwise /admin is a 404)."""
    app.cli.add_command(commands.admin_group)
    if not app.config["ADMIN_PASSWORD_HASH"]:
        return
    app.extensions["admin_throttle"] = auth.Throttle()
    app.session_interface = sessions.AdminSessions(views.bp.url_prefix)
    app.register_blueprint(views.bp)
    app.before_request(views.https_only)
    app.after_request(views.headers)
