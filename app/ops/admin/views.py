"""The supervisor page's routes: log in, the figures for a period or dates, find a call, unlock a number, the CSV, the audit log, log out."""

import datetime
import io
import logging
import re
import traceback

import sqlalchemy
from werkzeug.exceptions import HTTPException
from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from app.calls import security
from app.ops.admin import auth
from app.ops.admin.chart import chart
from app.storage import database, lockout, records, reports, supervisors

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
# Chosen dates span at most this long.
MAX_RANGE = datetime.timedelta(days=366)
# Verifications and audit entries a page lists, and how far back one may page.
RECENT = 20
AUDIT_PAGE = 20
MAX_PAGE = 10_000
CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")

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
    if isinstance(error, sqlalchemy.exc.SQLAlchemyError):
        log.warning("admin %s: database error %s", request.path, type(error).__name__)
        return render_template("admin/base.html", error=_why(error)), 503
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
    """The login form; a POST with a supervisor's name and password starts a new session."""
    if request.method == "GET":
        return render_template("admin/login.html")
    throttle = current_app.extensions["admin_throttle"]
    username = request.form.get("username", "")
    try:
        passed = throttle.attempt(request.remote_addr, lambda: auth.check_login(username, request.form.get("password", "")))
    except auth.TooManyLogins as refusal:
        log.warning("admin login refused from %s: %s", request.remote_addr, refusal)
        return render_template("admin/login.html", error="Too many failed logins: wait 15 minutes, then try again."), 429
    if not passed:
        return render_template("admin/login.html", error="Wrong user name or password."), 401
    auth.start_session(username)
    return redirect(url_for("admin.dashboard"))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("admin.login"))


@bp.get("/")
@auth.login_required
def dashboard():
    """The figures of the period or dates asked for, the locked numbers, the verifications found (paged), the audit log (paged)."""
    when = _when()
    found = _figures(when)
    page, log_page = _page("page"), _page("log")
    search = request.args.get("q", "").strip()
    call_sid, digits, search_error = _search(search)
    listed = entries = counted = None
    if found is not None:
        try:
            with database.connect() as connection:
                counted = reports.over_time(connection, when["start"], when["end"], when["buckets"])
                listed = records.find(connection, when["start"], when["end"], call_sid, digits, page * RECENT, RECENT + 1)
                entries = supervisors.audit_entries(connection, log_page * AUDIT_PAGE, AUDIT_PAGE + 1)
        except sqlalchemy.exc.SQLAlchemyError as error:
            g.database_error = _why(error)
            found = None
    if found is None:
        return render_template("admin/dashboard.html", when=when, periods=PERIODS, error=g.database_error)
    summary, locked = found
    return render_template(
        "admin/dashboard.html",
        when=when,
        periods=PERIODS,
        summary=summary,
        chart=chart(counted, when["start"], when["end"]),
        locked=locked,
        recent=listed[:RECENT],
        page=page,
        more=len(listed) > RECENT,
        search=search,
        search_error=search_error,
        partial=bool(digits) and len(search) > 2,
        audit=entries[:AUDIT_PAGE],
        log_page=log_page,
        more_log=len(entries) > AUDIT_PAGE,
        window=datetime.timedelta(seconds=current_app.config["LOCKOUT_WINDOW"]),
    )


@bp.get("/report.csv")
@auth.login_required
def report_csv():
    """The period's (or dates') report as `flask verifications report --csv` writes it."""
    when = _when()
    found = _figures(when)
    if found is None:
        return Response(g.database_error + "\n", 503, mimetype="text/plain")
    out = io.StringIO()
    reports.write_csv(found[0], out)
    with database.connect() as connection:
        supervisors.audit(connection, session["user"], "csv_export", when["name"], address=request.remote_addr)
    filename = f"verifications-{when['name']}-{when['end']:%Y%m%dT%H%MZ}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/unlock")
@auth.login_required
def unlock():
    """Lift one number's lockout, named by its keyed hash (the page never holds the number itself)."""
    key = request.form.get("number_hash", "")
    try:
        with database.connect() as connection:
            lifted = lockout.unlock_key(connection, key)
            if lifted:
                subject = records.masked_for(connection, key) or "(account)"
                supervisors.audit(connection, session["user"], "unlock", subject, key, request.remote_addr)
    except sqlalchemy.exc.SQLAlchemyError as error:
        log.warning("admin unlock failed: database error %s", type(error).__name__)
        flash("The database did not answer: nothing was unlocked. Try again in a moment.", "error")
    else:
        log.info("admin unlock from %s: %s", request.remote_addr, "lockout lifted" if lifted else "was not locked out")
        flash("Lockout lifted." if lifted else "That number was not locked out any more.", "done")
    return redirect(url_for("admin.dashboard", **_when()["params"]))


def _when():
    """The stretch of time asked for: ?from=YYYY-MM-DD&to=YYYY-MM-DD (UTC days, both included), else ?period=24h.

    A dict: start, end, buckets for the chart, name (for the CSV's file and the audit log),
    period (the period chosen, None for dates), params (to ask for it again).
    """
    first, last = request.values.get("from", ""), request.values.get("to", "")
    if first or last:
        try:
            start = datetime.datetime.strptime(first, "%Y-%m-%d")
            end = datetime.datetime.strptime(last, "%Y-%m-%d") + datetime.timedelta(days=1)
        except (ValueError, OverflowError):  # OverflowError: the day after 9999-12-31
            flash("Dates are YYYY-MM-DD, both of them: showing the last 24h instead.", "error")
        else:
            if start < end and end - start <= MAX_RANGE:
                days = (end - start).days
                return {
                    "start": start, "end": end, "buckets": 24 * days if days <= 2 else days, "period": None,
                    "name": f"{first}-to-{last}", "params": {"from": first, "to": last}, "first": first, "last": last,
                }
            flash(f"The first date must be on or before the last, at most {MAX_RANGE.days} days apart: showing the last 24h instead.", "error")
    period = request.values.get("period", DEFAULT_PERIOD)
    period = period if period in PERIODS else DEFAULT_PERIOD
    end = records.now()
    span, buckets = PERIODS[period]
    return {"start": end - span, "end": end, "buckets": buckets, "period": period, "name": period, "params": {"period": period}}


def _page(name):
    value = request.args.get(name, "0")
    # ASCII digits only: '²' is a digit to str.isdigit, not to int().
    return min(int(value), MAX_PAGE) if value.isascii() and value.isdigit() else 0


def _search(text):
    """(CallSid, last digits, why it cannot be searched for) of the search box's text."""
    if not text:
        return None, None, None
    if CALL_SID.fullmatch(text):
        return text, None, None
    if text.isascii() and text.isdigit() and 2 <= len(text) <= 4:
        # The records keep only the last two digits in clear (the mask); the rest is a keyed hash.
        return None, text[-2:], None
    return None, None, "Search by a CallSid (CA and 32 letters or digits) or by the last 2 to 4 digits of a number."


def _figures(when):
    """(report, locked numbers) of the stretch of time, or None with g.database_error set."""
    config = current_app.config
    try:
        with database.connect() as connection:
            summary = reports.since(connection, when["start"], config, when["end"])
            locked = lockout.locked(connection, config["LOCKOUT_MAX_FAILURES"], config["LOCKOUT_WINDOW"])
    except sqlalchemy.exc.SQLAlchemyError as error:
        g.database_error = _why(error)
        log.warning("admin page: database error %s", type(error).__name__)
        return None
    return summary, locked


def _why(error):
    """What an operator should do about a query that failed: migrate, or wait for the database."""
    try:
        with database.connect() as connection:
            if database.behind(connection):
                return "The database does not have this version's tables: run `flask db upgrade`."
    except sqlalchemy.exc.SQLAlchemyError:
        pass
    return f"The database did not answer ({type(error).__name__}): the figures cannot be shown."
