"""Who may see the supervisor page: the login, its rate limit, the session's age and CSRF tokens."""

import collections
import functools
import hashlib
import hmac
import logging
import secrets
import threading
import time

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from app.storage import database, supervisors

log = logging.getLogger(__name__)

# A session lasts a working shift at most; then the supervisor logs in again.
SESSION_HOURS = 12
# Failed logins per client address, and from everywhere together, within WINDOW seconds. Past an
# address's limit its logins are refused until the oldest failure ages out; past the limit in all
# they are only slowed (one at a time, a wrong one holding its turn SLOW_FAILURE seconds more), so
# guessers from many addresses cannot keep the right password out. Counted per worker process.
FAILURES_PER_ADDRESS = 5
FAILURES_IN_ALL = 50
WINDOW = 15 * 60
SLOW_FAILURE = 1.0
# Password hashes (scrypt, some 32 MB each) worked out at once in a worker process, and how long
# a login waits for its turn before it is refused like one past the failures' limit.
HASHES_AT_ONCE = 2
HASH_WAIT = 1.0

# How a wrong login past FAILURES_IN_ALL keeps its turn (tests count the pauses instead).
pause = time.sleep


class TooManyLogins(Exception):
    """A login refused before its password is hashed."""


class Throttle:
    """Recent failed logins, per client address and in all, and the hashes under way, in this process's memory."""

    def __init__(self, clock=time.monotonic, hashes_at_once=HASHES_AT_ONCE):
        self.clock = clock
        self.lock = threading.Lock()
        self.failures = collections.defaultdict(collections.deque)
        self.every = collections.deque()
        self.hashing = threading.BoundedSemaphore(hashes_at_once)
        self.one_lane = threading.BoundedSemaphore(1)

    def attempt(self, address, check):
        """check()'s answer, counted as a failure of `address` before it runs and given back if it passes.

        Raises TooManyLogins, without calling check(), while `address` has failed too often, or
        while the hashes this process allows are all under way. Past FAILURES_IN_ALL, logins
        take one lane, and a wrong one keeps it SLOW_FAILURE seconds more.
        """
        moment, crowded = self._take(address)
        lanes = [self.one_lane, self.hashing] if crowded else [self.hashing]
        taken = []
        try:
            for lane in lanes:
                if not lane.acquire(timeout=HASH_WAIT):
                    self._give_back(address, moment)
                    raise TooManyLogins("too many logins being checked at once")
                taken.append(lane)
            passed = check()
            if passed:
                self._give_back(address, moment)
            elif crowded:
                self.hashing.release()
                taken.remove(self.hashing)
                pause(SLOW_FAILURE)
            return passed
        finally:
            for lane in taken:
                lane.release()

    def _take(self, address):
        """Count a failure now, unless the address's limit is reached (TooManyLogins): one step, so parallel logins cannot all pass.

        Also says whether everyone together is past FAILURES_IN_ALL.
        """
        with self.lock:
            self._forget()
            if len(self.failures.get(address, ())) >= FAILURES_PER_ADDRESS:
                raise TooManyLogins("too many failed logins")
            crowded = len(self.every) >= FAILURES_IN_ALL
            moment = self.clock()
            self.failures[address].append(moment)
            self.every.append(moment)
            return moment, crowded

    def _give_back(self, address, moment):
        with self.lock:
            for times in (self.failures.get(address), self.every):
                if times is not None and moment in times:
                    times.remove(moment)

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


def account_hash(connection, name):
    """The password hash `name` logs in with, or None.

    The supervisors stored by `flask admin add-user`; until there is one, the settings' login
    (ADMIN_USERNAME and ADMIN_PASSWORD_HASH) counts as the first.
    """
    if supervisors.any_named(connection):
        return supervisors.password_hash(connection, name)
    config = current_app.config
    if config["ADMIN_PASSWORD_HASH"] and hmac.compare_digest(name.encode(), config["ADMIN_USERNAME"].encode()):
        return config["ADMIN_PASSWORD_HASH"]
    return None


@functools.cache
def _decoy():
    """A hash to check a password against when the name is unknown, so that it takes as long as a wrong password."""
    return generate_password_hash(secrets.token_urlsafe(16))


def check_login(username, password):
    """True for a supervisor's name and password; either way noted in the audit log, never with the password."""
    with database.connect() as connection:
        hashed = account_hash(connection, username)
        password_ok = check_password_hash(hashed or _decoy(), password)
        if hashed and password_ok:
            log.info("admin login from %s", request.remote_addr)
            supervisors.audit(connection, username, "login", address=request.remote_addr)
            g.account_hash = hashed
            return True
        # An unknown name is not logged: people type their password into the wrong field. The
        # audit log keeps the name tried, on the page only supervisors see.
        log.warning("admin login refused from %s: %s", request.remote_addr, "wrong password" if hashed else "unknown user name")
        supervisors.audit(connection, username, "login_failed", address=request.remote_addr)
        return False


def _key(hashed):
    """A session's tie to the password it logged in with: a new password, or a removed supervisor, ends it."""
    return hmac.new(current_app.secret_key.encode(), hashed.encode(), hashlib.sha256).hexdigest()[:32]


def start_session(username):
    """A fresh session for a supervisor who has just logged in: nothing from before the login survives."""
    session.clear()
    session["user"] = username
    session["key"] = _key(g.account_hash)
    session["since"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(32)


def logged_in():
    """A session within its hours, of a supervisor who still logs in with the password it began with."""
    if not session.get("user") or time.time() - session.get("since", 0) >= SESSION_HOURS * 3600:
        return False
    with database.connect() as connection:
        hashed = account_hash(connection, session["user"])
    return hashed is not None and hmac.compare_digest(session.get("key", ""), _key(hashed))


def login_required(view):
    """Send a visitor who is not logged in (or whose session has run out) to the login form."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not logged_in():
            session.pop("user", None)  # a session past its hours, or its password, is logged out
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
