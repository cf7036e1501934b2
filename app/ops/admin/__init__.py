"""The supervisor page at /admin: the verifications' figures, lockouts, a CSV, behind a login by name, with an audit log."""

from app.ops.admin import auth, commands, sessions, views


def init_app(app):
    """Add `flask admin` and the page itself; only supervisors (`flask admin add-user`, or the settings' login until then) get in."""
    app.cli.add_command(commands.admin_group)
    app.extensions["admin_throttle"] = auth.Throttle()
    app.session_interface = sessions.AdminSessions(views.bp.url_prefix)
    app.register_blueprint(views.bp)
    app.before_request(views.https_only)
    app.after_request(views.headers)
