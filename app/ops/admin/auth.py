"""Who may see the supervisor page: the login, its rate limit, the session's age and CSRF tokens."""

import collections
import functools
import hmac
import logging
import secrets
import threading
import time

from flask import abort, current_app, redirect, request, session, url_for
from werkzeug.security import check_password_hash

log = logging.getLogger(__name__)

# A session lasts a working shift at most; then the supervisor logs in again.
SESSION_HOURS = 12
# Failed logins per client address, and from everywhere together, within WINDOW seconds; past
# either, logins are refused until the oldest failure ages out. Counted per worker process.
FAILURES_PER_ADDRESS = 5
FAILURES_IN_ALL = 50
WINDOW = 15 * 60


class Throttle:
    """Recent failed logins, per client address and in all, in this process's memory."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.failures = collections.defaultdict(collections.deque)
        self.every = collections.deque()

    def refused(self, address):
        """True while `address`, or everyone together, has failed too often."""
        with self.lock:
            self._forget()
            return len(self.failures.get(address, ())) >= FAILURES_PER_ADDRESS or len(self.every) >= FAILURES_IN_ALL

    def failed(self, address):
        with self.lock:
            moment = self.clock()
            self.failures[address].append(moment)
            self.every.append(moment)

    def _forget(self):
        oldest = self.clock() - WINDOW
        while self.every and self.every[0] < oldest:
            self.every.popleft()
        for address in list(self.failures):
            times = self.failures[address]
            while times and times[0] < oldest:
                times.popleft()
            if not times:
                del self.failures[address]


def check_login(username, password):
    """True for the configured user name and password; a refusal is logged without the password."""
    config = current_app.config
    # The hash is checked whatever the name, so that a wrong name takes as long as a wrong password.
    password_ok = check_password_hash(config["ADMIN_PASSWORD_HASH"], password)
    name_ok = hmac.compare_digest(username.encode(), config["ADMIN_USERNAME"].encode())
    if name_ok and password_ok:
        log.info("admin login from %s", request.remote_addr)
        return True
    # An unknown name is not repeated: people type their password into the wrong field.
    log.warning("admin login refused from %s: %s", request.remote_addr, "wrong password" if name_ok else "unknown user name")
    return False


def start_session():
    """A fresh session for a supervisor who has just logged in: nothing from before the login survives."""
    session.clear()
    session["user"] = current_app.config["ADMIN_USERNAME"]
    session["since"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)


def logged_in():
    return bool(session.get("user")) and time.time() - session.get("since", 0) < SESSION_HOURS * 3600


def login_required(view):
    """Send a visitor who is not logged in (or whose session has run out) to the login form."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not logged_in():
            session.pop("user", None)  # a session past its hours is logged out
            return redirect(url_for("admin.login"))
        return view(*args, **kwargs)

    return guarded


def csrf_token():
    """The session's CSRF token, made on first use; every form posts it back."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf():
    """Refuse a POST whose form does not carry this session's CSRF token (400)."""
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        log.warning("admin %s refused from %s: missing or wrong CSRF token", request.path, request.remote_addr)
        abort(400, "This form has expired or did not come from this page: reload the page and try again.")
