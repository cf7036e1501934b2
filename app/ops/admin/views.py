"""The supervisor page's routes: log in, the figures for a period, unlock a number, the CSV, log out."""

import datetime
import io
import logging
import traceback

import sqlalchemy
from werkzeug.exceptions import HTTPException
from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from app.calls import security
from app.ops.admin import auth
from app.ops.admin.chart import chart
from app.storage import database, lockout, records, reports

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")

# The periods offered, with the bars each one's chart is cut into.
PERIODS = {
    "1h": (datetime.timedelta(hours=1), 12),
    "24h": (datetime.timedelta(hours=24), 24),
    "7d": (datetime.timedelta(days=7), 28),
    "30d": (datetime.timedelta(days=30), 30),
}
DEFAULT_PERIOD = "24h"
RECENT = 20

# No script at all, and nothing from another origin: the page is its HTML, its CSS and inline SVG.
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


# Once a browser has had the page over https in production, it asks for nothing else for a year.
HSTS = "max-age=31536000"


def _is_admin_path():
    return request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/")


def https_only():
    """In production, the page over http, or /admin without its slash, is a redirect (308: a POST stays a POST).

    Registered on the app, not the blueprint: Flask's own redirect of /admin to /admin/ would
    run first and take its host from the request. The scheme is the request's as ProxyFix
    (TRUSTED_PROXIES) restores it; the host is PUBLIC_BASE_URL's when set, as for the webhooks'
    signatures, else the request's (X-Forwarded-Host only through a trusted proxy).
    """
    if current_app.config["ENV_NAME"] != "production" or not _is_admin_path():
        return None
    path = request.path if request.path != bp.url_prefix else bp.url_prefix + "/"
    if request.scheme == "https" and path == request.path:
        return None
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base:
        if not security.plausible("https", request.host):
            abort(400)
        base = f"https://{request.host}"
    query = request.query_string.decode("latin-1")
    return redirect(base + request.script_root + path + (f"?{query}" if query else ""), 308)


@bp.before_request
def _guard_posts():
    if request.method == "POST":
        auth.check_csrf()


def headers(response):
    """The page's headers on every answer under /admin, Flask's own redirects and 404s included (registered on the app)."""
    if not _is_admin_path():
        return response
    if current_app.config["ENV_NAME"] == "production" and request.scheme == "https":
        response.headers["Strict-Transport-Security"] = HSTS
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(Exception)
def _unexpected(error):
    """A page, not the callers' TwiML apology: one line for the supervisor, the frames in the log."""
    if isinstance(error, HTTPException):
        return error
    log.error("admin %s: unexpected %s\n%s", request.path, type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
    return render_template("admin/base.html", error="Something went wrong showing this page; the server's log has the details."), 500


@bp.app_template_global()
def csrf_token():
    return auth.csrf_token()


@bp.app_template_filter()
def words(name):
    """'too_many_attempts' as a person reads it; the CSV keeps the report's names."""
    return name.replace("_", " ")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a POST with the right user name and password starts a new session."""
    if request.method == "GET":
        return render_template("admin/login.html")
    throttle = current_app.extensions["admin_throttle"]
    try:
        passed = throttle.attempt(request.remote_addr, lambda: auth.check_login(request.form.get("username", ""), request.form.get("password", "")))
    except auth.TooManyLogins as refusal:
        log.warning("admin login refused from %s: %s", request.remote_addr, refusal)
        return render_template("admin/login.html", error="Too many failed logins: wait 15 minutes, then try again."), 429
    if not passed:
        return render_template("admin/login.html", error="Wrong user name or password."), 401
    auth.start_session()
    return redirect(url_for("admin.dashboard"))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("admin.login"))


@bp.get("/")
@auth.login_required
def dashboard():
    """The figures of the period asked for (?period=24h), the locked numbers, the latest verifications."""
    period = _period()
    found = _figures(period)
    if found is None:
        return render_template("admin/dashboard.html", period=period, periods=PERIODS, error=g.database_error)
    rows, summary, locked, start, end = found
    buckets = PERIODS[period][1]
    recent = sorted(rows, key=lambda row: row["started_at"], reverse=True)[:RECENT]
    return render_template(
        "admin/dashboard.html",
        period=period,
        periods=PERIODS,
        summary=summary,
        chart=chart(rows, start, end, buckets),
        locked=locked,
        recent=recent,
        window=datetime.timedelta(seconds=current_app.config["LOCKOUT_WINDOW"]),
        start=start,
        end=end,
    )


@bp.get("/report.csv")
@auth.login_required
def report_csv():
    """The period's report as `flask verifications report --csv` writes it."""
    period = _period()
    found = _figures(period)
    if found is None:
        return Response(g.database_error + "\n", 503, mimetype="text/plain")
    out = io.StringIO()
    reports.write_csv(found[1], out)
    filename = f"verifications-{period}-{found[4]:%Y%m%dT%H%MZ}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/unlock")
@auth.login_required
def unlock():
    """Lift one number's lockout, named by its keyed hash (the page never holds the number itself)."""
    key = request.form.get("number_hash", "")
    try:
        with database.connect() as connection:
            lifted = lockout.unlock_key(connection, key)
    except sqlalchemy.exc.SQLAlchemyError as error:
        log.warning("admin unlock failed: database error %s", type(error).__name__)
        flash("The database did not answer: nothing was unlocked. Try again in a moment.", "error")
    else:
        log.info("admin unlock from %s: %s", request.remote_addr, "lockout lifted" if lifted else "was not locked out")
        flash("Lockout lifted." if lifted else "That number was not locked out any more.", "done")
    return redirect(url_for("admin.dashboard", period=_period()))


def _period():
    period = request.values.get("period", DEFAULT_PERIOD)
    return period if period in PERIODS else DEFAULT_PERIOD


def _figures(period):
    """(records, report, locked numbers, start, end) of the period, or None with g.database_error set."""
    end = records.now()
    start = end - PERIODS[period][0]
    config = current_app.config
    try:
        with database.connect() as connection:
            rows, summary = reports.since(connection, start, config)
            locked = lockout.locked(connection, config["LOCKOUT_MAX_FAILURES"], config["LOCKOUT_WINDOW"])
    except sqlalchemy.exc.SQLAlchemyError as error:
        g.database_error = _why(error)
        log.warning("admin page: database error %s", type(error).__name__)
        return None
    return rows, summary, locked, start, end


def _why(error):
    """What an operator should do about a query that failed: migrate, or wait for the database."""
    try:
        with database.connect() as connection:
            if database.behind(connection):
                return "The database does not have this version's tables: run `flask db upgrade`."
    except sqlalchemy.exc.SQLAlchemyError:
        pass
    return f"The database did not answer ({type(error).__name__}): the figures cannot be shown."
