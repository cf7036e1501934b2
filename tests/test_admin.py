"""The supervisor page: off until configured, a login that resists guessing, CSRF and fixation, the figures."""

import csv
import datetime
import io
import logging
import re
import threading

import pytest
import sqlalchemy
from werkzeug.security import check_password_hash, generate_password_hash

from app.ops.admin import auth
from app.ops.admin.chart import chart
from app.storage import database, lockout
from app.storage.tables import verifications
from config import SettingsError
from tests.conftest import BACKENDS, CALLER
from tests.metering import statements

PASSWORD = "correct horse battery"
HASH = generate_password_hash(PASSWORD)
BASE = "https://ivr.example.com"


@pytest.fixture
def admin_app(make_app):
    return make_app(ADMIN_PASSWORD_HASH=HASH, LOCKOUT_MAX_FAILURES=1)


@pytest.fixture
def browser(admin_app):
    return admin_app.test_client()


def csrf(client, path="/admin/login"):
    """The CSRF token in the form at `path`."""
    page = client.get(BASE + path).get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def log_in(client, username="admin", password=PASSWORD, token=None):
    token = csrf(client) if token is None else token
    return client.post(BASE + "/admin/login", data={"username": username, "password": password, "csrf_token": token})


def fail_verification(call, app, from_=CALLER):
    caller = call(from_=from_, target=app)
    for _ in range(3):
        caller.press("000000")
    assert caller.heard("not right too many times")


def test_without_a_supervisor_nobody_logs_in(app):
    client = app.test_client()
    assert client.get(BASE + "/admin/").headers["Location"].endswith("/admin/login")
    assert log_in(client, "admin", "").status_code == 401
    assert log_in(client, "admin", PASSWORD).status_code == 401


def test_a_visitor_is_sent_to_the_login_form(browser):
    answer = browser.get(BASE + "/admin/")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/admin/login")


def test_the_right_password_opens_the_page(browser):
    assert log_in(browser).headers["Location"].endswith("/admin/")
    page = browser.get(BASE + "/admin/")
    assert page.status_code == 200
    assert "Locked out now" in page.get_data(as_text=True)


OPEN = {"/admin/login", "/admin/static/<path:filename>"}


def test_every_other_admin_route_needs_the_login(admin_app, browser):
    """Even with a valid CSRF token from the login form, a visitor who has not logged in gets the form, nothing else."""
    token = csrf(browser)
    rules = [rule for rule in admin_app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    assert {rule.rule for rule in rules} >= OPEN | {"/admin/", "/admin/unlock", "/admin/report.csv", "/admin/logout"}
    for rule in sorted(rules, key=lambda rule: rule.rule == "/admin/logout"):
        if rule.rule in OPEN:
            continue
        if "GET" in rule.methods:
            answer = browser.get(BASE + rule.rule)
        else:
            answer = browser.post(BASE + rule.rule, data={"csrf_token": token, "number_hash": "x"})
        # Logging out needs no login: it clears whatever session there is.
        assert (rule.rule, answer.status_code, answer.headers.get("Location")) == (rule.rule, 302, "/admin/login")


def test_a_wrong_password_is_refused_and_logged_without_it(browser, caplog):
    caplog.set_level(logging.INFO)
    answer = log_in(browser, password="guess-one-two-three")
    assert answer.status_code == 401
    assert "Wrong user name or password" in answer.get_data(as_text=True)
    assert "admin login refused from 127.0.0.1: wrong password" in caplog.text
    assert "guess-one-two-three" not in caplog.text
    assert browser.get(BASE + "/admin/").status_code == 302


def test_a_password_typed_as_the_user_name_is_not_logged(browser, caplog):
    log_in(browser, username=PASSWORD, password="")
    assert "unknown user name" in caplog.text
    assert PASSWORD not in caplog.text


def test_failed_logins_are_rate_limited(browser, caplog):
    for _ in range(5):
        assert log_in(browser, password="wrong password").status_code == 401
    answer = log_in(browser)  # even the right password, until the failures age out
    assert answer.status_code == 429
    assert "Too many failed logins" in answer.get_data(as_text=True)
    assert "too many failed logins" in caplog.text


class Hashes:
    """The password hash check, counted: each call held until every login has reached a hash or been refused."""

    def __init__(self, logins):
        self.logins, self.calls, self.now, self.most, self.refused = logins, 0, 0, 0, 0
        self.changed = threading.Condition()

    def check(self, pwhash, password):
        with self.changed:
            self.calls += 1
            self.now += 1
            self.most = max(self.most, self.now)
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.calls + self.refused >= self.logins, timeout=60)
        try:
            return check_password_hash(pwhash, password)
        finally:
            with self.changed:
                self.now -= 1

    def answered(self, status):
        if status == 429:
            with self.changed:
                self.refused += 1
                self.changed.notify_all()


def parallel_logins(admin_app, monkeypatch, addresses):
    """One wrong password from each of `addresses`, all posted at once: (the answers' statuses, the hashes)."""
    hashes = Hashes(len(addresses))
    monkeypatch.setattr(auth, "check_password_hash", hashes.check)
    clients = [admin_app.test_client() for _ in addresses]
    tokens = [csrf(client) for client in clients]
    start = threading.Barrier(len(addresses))
    statuses = []

    def post(client, token, address):
        start.wait()
        form = {"username": "admin", "password": "wrong password", "csrf_token": token}
        status = client.post(BASE + "/admin/login", data=form, environ_base={"REMOTE_ADDR": address}).status_code
        statuses.append(status)
        hashes.answered(status)

    threads = [threading.Thread(target=post, args=args) for args in zip(clients, tokens, addresses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses), hashes


def test_parallel_wrong_passwords_from_one_address_are_hashed_at_most_the_limit(admin_app, monkeypatch):
    # Hashes at once are not the bound here: every login may hash, as far as the failures allow.
    admin_app.extensions["admin_throttle"] = auth.Throttle(hashes_at_once=20)
    statuses, hashes = parallel_logins(admin_app, monkeypatch, ["203.0.113.7"] * 20)
    assert hashes.calls == auth.FAILURES_PER_ADDRESS
    assert statuses == [401] * auth.FAILURES_PER_ADDRESS + [429] * (20 - auth.FAILURES_PER_ADDRESS)


def test_parallel_logins_hash_no_more_than_the_bound_at_once(admin_app, monkeypatch):
    monkeypatch.setattr(auth, "HASH_WAIT", 0.01)  # how long a refused login waits for its turn
    statuses, hashes = parallel_logins(admin_app, monkeypatch, [f"203.0.113.{host}" for host in range(10)])
    assert hashes.most == hashes.calls == auth.HASHES_AT_ONCE
    assert statuses == [401] * auth.HASHES_AT_ONCE + [429] * (10 - auth.HASHES_AT_ONCE)


def test_the_right_password_gives_its_place_back(browser):
    for _ in range(auth.FAILURES_PER_ADDRESS - 1):
        assert log_in(browser, password="wrong password").status_code == 401
    for _ in range(3):
        assert log_in(browser).status_code == 302
    assert log_in(browser, password="wrong password").status_code == 401
    assert log_in(browser).status_code == 429


def test_a_login_without_the_forms_csrf_token_is_refused(browser):
    assert log_in(browser, token="").status_code == 400
    assert log_in(browser, token="forged").status_code == 400
    assert browser.get(BASE + "/admin/").status_code == 302


def test_an_unlock_without_the_csrf_token_changes_nothing(admin_app, browser, call, db):
    fail_verification(call, admin_app)
    log_in(browser)
    key = _locked(admin_app)[0]["number_hash"]
    answer = browser.post(BASE + "/admin/unlock", data={"number_hash": key})
    assert answer.status_code == 400
    assert "reload the page" in answer.get_data(as_text=True)
    assert len(_locked(admin_app)) == 1


def test_a_session_from_before_the_login_is_not_logged_in_after_it(browser, admin_app):
    """Session fixation: a session planted before the login never becomes the logged-in one."""
    token = csrf(browser)
    planted = browser.get_cookie("admin_session", domain="ivr.example.com", path="/admin").value
    log_in(browser, token=token)
    logged_in = browser.get_cookie("admin_session", domain="ivr.example.com", path="/admin").value
    assert logged_in != planted

    victim = admin_app.test_client()
    victim.set_cookie("admin_session", planted, domain="ivr.example.com", path="/admin")
    assert victim.get(BASE + "/admin/").status_code == 302
    # Its CSRF token does not work in the new session either.
    assert browser.post(BASE + "/admin/logout", data={"csrf_token": token}).status_code == 400


def test_the_session_cookie_is_secure_httponly_samesite(browser):
    log_in(browser)
    cookie = browser.get_cookie("admin_session", domain="ivr.example.com", path="/admin")
    assert cookie.secure and cookie.http_only and cookie.same_site == "Strict"


def test_logging_out_ends_the_session(browser):
    log_in(browser)
    token = csrf(browser, "/admin/")
    assert browser.post(BASE + "/admin/logout", data={"csrf_token": token}).headers["Location"].endswith("/admin/login")
    assert browser.get(BASE + "/admin/").status_code == 302


def test_a_new_password_ends_every_session(make_app):
    client = make_app(ADMIN_PASSWORD_HASH=HASH).test_client()
    log_in(client)
    cookie = client.get_cookie("admin_session", domain="ivr.example.com", path="/admin").value
    other = make_app(ADMIN_PASSWORD_HASH=generate_password_hash("another long password")).test_client()
    other.set_cookie("admin_session", cookie, domain="ivr.example.com", path="/admin")
    assert other.get(BASE + "/admin/").status_code == 302


def test_the_page_sets_a_strict_content_security_policy(browser):
    policy = browser.get(BASE + "/admin/login").headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy


def test_webhooks_open_no_session_and_set_no_cookie(admin_app, call, browser):
    log_in(browser)
    answer = admin_app.test_client().post(BASE + "/voice", data={"CallSid": "CA" + "1" * 32})
    assert answer.status_code == 403
    assert "Set-Cookie" not in answer.headers
    assert call(target=admin_app).heard("sent a text message")


def test_the_page_shows_the_reports_figures_masked(admin_app, browser, call):
    fail_verification(call, admin_app)
    caller = call(from_="+14155550177", target=admin_app, params={"StirVerstat": "TN-Validation-Passed-A"})
    caller.press(caller.last_code)
    log_in(browser)
    page = browser.get(BASE + "/admin/?period=1h").get_data(as_text=True)
    assert 'id="total">2<' in page
    assert 'id="success-rate">50 %<' in page
    assert "too many attempts" in page and "TN-Validation-Passed-A" in page
    assert "+1•••••••71" in page and "+1•••••••77" in page
    assert CALLER not in page and "14155550177" not in page
    assert 'class="bar-approved"' in page and 'class="bar-failed"' in page


def test_unlocking_a_number_lets_it_call_again(admin_app, browser, call):
    fail_verification(call, admin_app)
    assert call(target=admin_app).heard("cannot send it another code")
    log_in(browser)
    page = browser.get(BASE + "/admin/").get_data(as_text=True)
    assert 'id="locked-count">1<' in page
    key = page.split('name="number_hash" value="')[1].split('"')[0]
    answer = browser.post(BASE + "/admin/unlock", data={"number_hash": key, "csrf_token": csrf(browser, "/admin/")}, follow_redirects=True)
    assert "Lockout lifted." in answer.get_data(as_text=True)
    assert call(target=admin_app).heard("sent a text message")


def test_the_chart_stacks_each_periods_outcomes_against_a_round_top():
    start = datetime.datetime(2026, 12, 1, 0, 0)
    counted = [{"approved": 1}, *[{}] * 22, {"failed": 2, "in_progress": 1}]
    drawn = chart(counted, start, start + datetime.timedelta(hours=24))
    assert drawn["top"] == 5
    assert [(bar.outcome, bar.title) for bar in drawn["bars"]] == [
        ("approved", "00:00: 1 approved"), ("failed", "23:00: 2 failed"), ("in_progress", "23:00: 1 in progress")
    ]
    approved, failed, running = drawn["bars"]
    assert failed.height == 2 * approved.height == 2 * running.height
    assert running.y + running.height == failed.y  # stacked on top


def viewed(browser, db, count):
    """The statements of one view of the page, with `count` more verifications in its day."""
    with db.begin() as connection:
        fields = {name: value for name, value in connection.execute(verifications.select().limit(1)).mappings().one().items() if name != "id"}
        connection.execute(verifications.insert(), [
            {**fields, "call_sid": f"CA{count:016x}{index:016x}", "started_at": fields["started_at"] - datetime.timedelta(seconds=index + 1)}
            for index in range(count)
        ])
    with statements() as executed:
        assert browser.get(BASE + "/admin/?period=24h").status_code == 200
    return [" ".join(statement.split()) for statement in executed]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_page_reads_as_many_statements_for_ten_calls_as_for_a_thousand_and_no_unlimited_rows(admin_app, browser, call, db):
    call(target=admin_app).press("")
    log_in(browser)
    few, many = viewed(browser, db, 10), viewed(browser, db, 1000)
    assert len(few) == len(many)
    for statement in (statement for statement in many if "FROM verifications" in statement):
        # Verifications are listed a page at a time; the figures come counted.
        listed = re.search(r" LIMIT \S+( OFFSET \S+)?$", statement)
        assert listed or "GROUP BY" in statement or "count(" in statement, statement
        if "verifications.number_masked" in statement:
            assert listed, statement


def test_the_csv_holds_the_same_lines_as_the_report_command(admin_app, browser, call):
    fail_verification(call, admin_app)
    log_in(browser)
    answer = browser.get(BASE + "/admin/report.csv?period=7d")
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    command = admin_app.test_cli_runner().invoke(args=["verifications", "report", "--since", "7d", "--csv"])
    assert list(csv.reader(io.StringIO(answer.get_data(as_text=True)))) == list(csv.reader(io.StringIO(command.output)))


FORMULAS = ["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\t=1+2", "\r=1+2", " =1+2", 'x\n=HYPERLINK("https://evil.example")', "x\r @SUM(A1)"]


def test_no_cell_of_either_csv_begins_a_formula(admin_app, browser, call, db):
    """Records written before only Twilio's own StirVerstat values were kept, or a reason that became a formula."""
    call(target=admin_app).press("")
    with db.begin() as connection:
        fields = {name: value for name, value in connection.execute(verifications.select()).mappings().one().items() if name != "id"}
        for index, formula in enumerate(FORMULAS):
            connection.execute(verifications.insert(), {**fields, "call_sid": f"CA{index:032x}", "stir_verstat": formula,
                                                        "outcome": "failed", "reason": formula})
    log_in(browser)
    page = browser.get(BASE + "/admin/report.csv?period=7d").get_data(as_text=True)
    command = admin_app.test_cli_runner().invoke(args=["verifications", "report", "--since", "7d", "--csv"]).output
    for export in (page, command):
        cells = [cell for row in csv.reader(io.StringIO(export)) for cell in row]
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and cell != "-"]
        assert {"'" + formula for formula in FORMULAS} <= set(cells)  # the reasons
        attestations = [row[1] for row in csv.reader(io.StringIO(export)) if row[0] == "attestation"]
        assert set(attestations) == {"other", "none"}  # the stored values Twilio does not document


def test_an_unmigrated_database_is_one_clear_line(make_app, tmp_path):
    client = make_app(ADMIN_PASSWORD_HASH=HASH, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}").test_client()
    answer = log_in(client)
    assert answer.status_code == 503
    assert "run `flask db upgrade`" in answer.get_data(as_text=True)


def test_a_database_that_does_not_answer_is_one_clear_line(make_app, caplog):
    client = make_app(ADMIN_PASSWORD_HASH=HASH, DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none").test_client()
    answer = log_in(client)
    assert answer.status_code == 503
    assert "The database did not answer (OperationalError)" in answer.get_data(as_text=True)
    assert PASSWORD not in caplog.text


def test_a_database_that_stops_answering_is_one_clear_line_on_the_page(browser, monkeypatch, caplog):
    log_in(browser)

    def broken(*args):
        raise sqlalchemy.exc.OperationalError("SELECT", {}, Exception("gone"))

    monkeypatch.setattr(lockout, "unlock_key", broken)
    answer = browser.post(BASE + "/admin/unlock", data={"number_hash": "x", "csrf_token": csrf(browser, "/admin/")}, follow_redirects=True)
    assert answer.status_code == 200
    assert "nothing was unlocked" in answer.get_data(as_text=True)
    assert "admin unlock failed: database error OperationalError" in caplog.text
    monkeypatch.setattr(lockout, "locked", broken)
    assert "The database did not answer (OperationalError): the figures cannot be shown." in browser.get(BASE + "/admin/").get_data(as_text=True)


@pytest.mark.parametrize(
    "setting, line",
    [
        ({"ADMIN_PASSWORD_HASH": "hunter2hunter2"}, "ADMIN_PASSWORD_HASH is not a password hash: leave it empty and add supervisors with `flask admin add-user NAME`"),
        ({"ADMIN_USERNAME": "two words"}, "ADMIN_USERNAME='two words' is not 1 to 64 printable characters without spaces"),
    ],
)
def test_a_password_in_clear_or_an_odd_user_name_stops_the_start(make_app, setting, line):
    with pytest.raises(SettingsError) as refused:
        make_app(**setting)
    assert str(refused.value) == line


def test_a_broken_page_is_one_line_for_the_supervisor_and_frames_in_the_log(admin_app, browser, monkeypatch, caplog):
    log_in(browser)
    monkeypatch.setattr(lockout, "locked", lambda *args: 1 / 0)
    answer = browser.get(BASE + "/admin/")
    assert answer.status_code == 500
    assert answer.mimetype == "text/html"
    assert "Something went wrong showing this page" in answer.get_data(as_text=True)
    assert "unexpected ZeroDivisionError" in caplog.text


def admin(app, *args, password=None):
    """`flask admin …`, typing `password` twice when asked."""
    typed = f"{password}\n{password}\n" if password is not None else None
    return app.test_cli_runner().invoke(args=["admin", *args], input=typed)


def test_supervisors_log_in_by_name_each_with_their_own_password(app):
    assert admin(app, "add-user", "alice", password="alice's long password").exit_code == 0
    assert admin(app, "add-user", "bob", password="bob's long password").exit_code == 0
    client = app.test_client()
    assert log_in(client, "alice", "bob's long password").status_code == 401
    assert log_in(client, "bob", "bob's long password").status_code == 302
    assert '<span class="who">bob</span>' in client.get(BASE + "/admin/").get_data(as_text=True)


def test_the_settings_login_counts_until_the_first_supervisor_is_added_and_is_kept_as_one(admin_app, db):
    client = admin_app.test_client()
    assert log_in(client).status_code == 302
    added = admin(admin_app, "add-user", "alice", password="alice's long password")
    assert "Kept the login from the settings as the supervisor admin" in added.output
    assert log_in(admin_app.test_client()).status_code == 302
    assert admin(admin_app, "remove-user", "admin").exit_code == 0
    assert log_in(admin_app.test_client()).status_code == 401  # the settings no longer count
    assert client.get(BASE + "/admin/").status_code == 302  # nor does the session it began
    assert log_in(admin_app.test_client(), "alice", "alice's long password").status_code == 302


def test_a_new_password_or_a_removal_ends_the_supervisors_sessions(app):
    admin(app, "add-user", "alice", password="alice's long password")
    admin(app, "add-user", "bob", password="bob's long password")
    alice, bob = app.test_client(), app.test_client()
    log_in(alice, "alice", "alice's long password")
    log_in(bob, "bob", "bob's long password")
    assert admin(app, "set-password", "alice", password="alice's new password").output.splitlines()[-1] == "Changed alice's password."
    assert alice.get(BASE + "/admin/").status_code == 302
    assert log_in(alice, "alice", "alice's long password").status_code == 401
    assert log_in(alice, "alice", "alice's new password").status_code == 302
    assert admin(app, "remove-user", "bob").output.strip() == "Removed bob."
    assert bob.get(BASE + "/admin/").status_code == 302
    assert alice.get(BASE + "/admin/").status_code == 200


@pytest.mark.parametrize(
    "args, password, line",
    [
        (["add-user", "bob smith"], "a long enough password", "Error: Invalid value for 'NAME': 'bob smith' is not 1 to 64 printable characters without spaces"),
        (["add-user", "alice"], "short", "Error: Invalid value for password: use at least 12 characters"),
        (["add-user", "alice"], "a long enough password", "Error: alice is a supervisor already: `flask admin set-password alice` changes the password."),
        (["set-password", "carol"], "a long enough password", "Error: carol is not a supervisor: `flask admin add-user carol` adds them."),
        (["remove-user", "carol"], None, "Error: carol is not a supervisor. They are: alice."),
    ],
)
def test_the_user_commands_refuse_in_one_line(app, args, password, line):
    admin(app, "add-user", "alice", password="alice's long password")
    result = admin(app, *args, password=password)
    assert result.exit_code != 0
    assert result.output.strip().splitlines()[-1] == line


def audit_rows(app):
    result = admin(app, "audit", "--csv")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_the_audit_log_holds_who_did_what_never_a_number_or_password(admin_app, browser, call, db):
    admin(admin_app, "add-user", "alice", password="alice's long password")
    fail_verification(call, admin_app)
    log_in(browser, "alice", "a wrong password")
    log_in(browser, "alice", "alice's long password")
    page = browser.get(BASE + "/admin/").get_data(as_text=True)
    key = page.split('name="number_hash" value="')[1].split('"')[0]
    browser.post(BASE + "/admin/unlock", data={"number_hash": key, "csrf_token": csrf(browser, "/admin/")})
    browser.get(BASE + "/admin/report.csv?period=7d")
    admin(admin_app, "set-password", "alice", password="alice's new password")
    admin(admin_app, "remove-user", "admin")
    rows = audit_rows(admin_app)
    assert [(row["actor"], row["action"], row["subject"]) for row in rows] == [
        ("(command line)", "user_removed", "admin"),
        ("(command line)", "password_changed", "alice"),
        ("alice", "csv_export", "7d"),
        ("alice", "unlock", "'+1•••••••71"),  # neutralised as every CSV cell beginning with +
        ("alice", "login", ""),
        ("alice", "login_failed", ""),
        ("(command line)", "user_added", "alice"),
        ("(command line)", "user_added", "admin"),
    ]
    assert rows[3]["subject_hash"] == key
    with db.connect() as connection:
        stored = repr(connection.execute(sqlalchemy.text("SELECT * FROM audit_log")).all())
    for secret in (CALLER, CALLER[1:], "a wrong password", "alice's long password", "alice's new password"):
        assert secret not in stored
    log_in(browser, "alice", "alice's new password")
    shown = browser.get(BASE + "/admin/").get_data(as_text=True).split('id="audit"')[1]
    assert shown.index("login") < shown.index("user removed") < shown.index("password changed") < shown.index("csv export")


def test_the_audit_log_is_paged_latest_first(admin_app, browser):
    for index in range(25):
        login_from(admin_app, f"198.51.100.{index}", "a wrong password")
    log_in(browser)
    first = browser.get(BASE + "/admin/").get_data(as_text=True)
    assert first.split('id="audit"')[1].split("</table>")[0].count("<tr>") == 1 + 20
    assert "admin</td>\n      <td>login</td>" in first  # the latest, on top
    older = browser.get(BASE + "/admin/" + first.split('id="older-log" href="/admin/')[1].split('"')[0].replace("&amp;", "&"))
    table = older.get_data(as_text=True).split('id="audit"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 6 and table.count("login failed") == 6
    assert 'id="older-log"' not in older.get_data(as_text=True)


def test_the_audit_csv_neutralises_a_name_tried_that_is_a_formula(admin_app):
    log_in(admin_app.test_client(), "=HYPERLINK(\"https://evil.example\")", "a wrong password")
    assert audit_rows(admin_app)[0]["actor"] == "'=HYPERLINK(\"https://evil.example\")"


def test_find_a_call_by_its_callsid_or_the_last_digits_of_its_number(admin_app, browser, call):
    first = call(from_="+14155550177", target=admin_app)
    call(from_="+14155550188", target=admin_app)
    log_in(browser)
    sid = first.fields["CallSid"]
    found = browser.get(BASE + f"/admin/?q={sid}").get_data(as_text=True).split('id="recent"')[1]
    assert sid in found and "+1•••••••77" in found and "+1•••••••88" not in found
    found = browser.get(BASE + "/admin/?q=0188").get_data(as_text=True)
    assert "only their last two digits are compared" in found
    rows = found.split('id="recent"')[1].split("</table>")[0]
    assert "+1•••••••88" in rows and "+1•••••••77" not in rows
    refused = browser.get(BASE + "/admin/?q=%2B14155550188").get_data(as_text=True)
    assert "Search by a CallSid (CA and 32 letters or digits) or by the last 2 to 4 digits of a number." in refused


def test_older_verifications_are_paged(admin_app, browser, call, db):
    call(target=admin_app).press("")
    with db.begin() as connection:
        fields = {name: value for name, value in connection.execute(verifications.select()).mappings().one().items() if name != "id"}
        for index in range(1, 25):
            started = fields["started_at"] - datetime.timedelta(minutes=index)
            connection.execute(verifications.insert(), {**fields, "call_sid": f"CA{index:032x}", "started_at": started})
    log_in(browser)
    first = browser.get(BASE + "/admin/").get_data(as_text=True)
    assert first.split('id="recent"')[1].split("</table>")[0].count("<tr>") == 1 + 20
    assert f"CA{19:032x}" in first and f"CA{20:032x}" not in first
    older = browser.get(BASE + "/admin/?period=24h&page=1").get_data(as_text=True)
    rows = older.split('id="recent"')[1].split("</table>")[0]
    assert rows.count("<tr>") == 1 + 5 and f"CA{20:032x}" in rows and f"CA{24:032x}" in rows
    assert 'id="newer"' in older and 'id="older"' not in older


def test_a_date_range_picks_the_chart_and_the_csv(admin_app, browser, call, db):
    call(target=admin_app).press("")
    with db.begin() as connection:
        fields = {name: value for name, value in connection.execute(verifications.select()).mappings().one().items() if name != "id"}
        connection.execute(verifications.insert(), {**fields, "call_sid": "CA" + "7" * 32, "started_at": datetime.datetime(2026, 3, 14, 9, 0)})
    log_in(browser)
    page = browser.get(BASE + "/admin/?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert 'id="total">1<' in page and "Mar 01 00:00 to Apr 01 00:00" in page
    assert 'value="2026-03-01"' in page and "CA" + "7" * 32 in page
    report = browser.get(BASE + "/admin/report.csv?from=2026-03-01&to=2026-03-31")
    assert ["verifications", "total", "1"] in list(csv.reader(io.StringIO(report.get_data(as_text=True))))
    assert 'filename="verifications-2026-03-01-to-2026-03-31-' in report.headers["Content-Disposition"]
    later = browser.get(BASE + "/admin/?from=2026-04-01&to=2026-04-02").get_data(as_text=True)
    assert 'id="total">0<' in later


@pytest.mark.parametrize("query", ["from=2026-03-31&to=2026-03-01", "from=yesterday&to=2026-03-01", "from=2026-03-01"])
def test_a_wrong_date_range_is_one_line_and_the_last_day_instead(browser, query):
    log_in(browser)
    page = browser.get(BASE + f"/admin/?{query}", follow_redirects=True)
    assert page.status_code == 200
    assert 'class="notice error"' in page.get_data(as_text=True) and "showing the last 24h instead" in page.get_data(as_text=True)


def _locked(app):
    with app.app_context(), database.connect() as connection:
            return lockout.locked(connection, 1, 3600)


@pytest.fixture
def production(make_app):
    """The page as a production server runs it, behind one proxy that terminates TLS."""
    return make_app(ENV_NAME="production", ADMIN_PASSWORD_HASH=HASH, SECRET_KEY="a-production-secret-key-1234")


def test_in_production_every_admin_route_over_http_is_sent_to_https(production):
    client = production.test_client()
    rules = [rule for rule in production.url_map.iter_rules() if rule.rule.startswith("/admin")]
    assert len(rules) >= 6
    for rule in rules:
        path = rule.rule.replace("<path:filename>", "admin.css")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open("http://ivr.example.com" + path + "?period=7d", method=method, data={"password": PASSWORD})
            assert (path, method, answer.status_code) == (path, method, 308)
            assert answer.headers["Location"] == f"https://ivr.example.com{path}?period=7d"
    # Behind a proxy that terminates TLS, the scheme is the one it forwards.
    answer = client.get("https://ivr.example.com/admin/login", headers={"X-Forwarded-Proto": "http"})
    assert (answer.status_code, answer.headers["Location"]) == (308, "https://ivr.example.com/admin/login")
    assert "password" not in answer.get_data(as_text=True)


def test_in_production_the_redirect_goes_to_the_public_base_url(make_app):
    app = make_app(ENV_NAME="production", ADMIN_PASSWORD_HASH=HASH, SECRET_KEY="a-production-secret-key-1234",
                   PUBLIC_BASE_URL="https://ivr.example.com")
    answer = app.test_client().get("/admin/login", headers={"Host": "inner:8000", "X-Forwarded-Proto": "http"})
    assert (answer.status_code, answer.headers["Location"]) == (308, "https://ivr.example.com/admin/login")


def test_in_production_the_page_over_https_tells_browsers_to_keep_to_https(production):
    client = production.test_client()
    answer = client.get("http://ivr.example.com/admin/login", headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 200
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert log_in(client).headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get(BASE + "/admin/").status_code == 200


def test_in_development_the_page_works_over_http(make_app):
    client = make_app(ADMIN_PASSWORD_HASH=HASH).test_client()
    answer = client.get("http://127.0.0.1:5000/admin/login")
    assert answer.status_code == 200
    assert "Strict-Transport-Security" not in answer.headers


def test_the_page_counts_the_risks_the_checks_found(admin_app, browser, call, db):
    call(target=admin_app).press("")
    with db.begin() as connection:
        connection.execute(verifications.update().values(line_type="nonFixedVoip", sim_swap="recent", forwarding="off"))
    log_in(browser)
    page = browser.get(BASE + "/admin/?period=1h").get_data(as_text=True)
    risks = page.split('id="risks"')[1].split("</table>")[0]
    for row in ("line type: nonFixedVoip", "sim swap: recent", "forwarding: off"):
        assert f"<td>{row}</td><td class=\"n\">1</td>" in risks


def test_the_page_has_no_risk_section_without_risk_checks(admin_app, browser, call):
    call(target=admin_app).press("")
    log_in(browser)
    assert 'id="risks"' not in browser.get(BASE + "/admin/?period=1h").get_data(as_text=True)
def test_in_production_admin_without_its_slash_goes_to_the_public_base_url_and_is_not_cached(make_app):
    app = make_app(ENV_NAME="production", ADMIN_PASSWORD_HASH=HASH, SECRET_KEY="a-production-secret-key-1234",
                   PUBLIC_BASE_URL="https://ivr.example.com")
    client = app.test_client()
    for proto in ("http", "https"):
        answer = client.get("http://inner:8000/admin?period=7d", headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": proto})
        assert (answer.status_code, answer.headers["Location"]) == (308, "https://ivr.example.com/admin/?period=7d")
        assert answer.headers["Cache-Control"] == "no-store"


def test_in_production_without_trusted_proxies_the_redirect_ignores_x_forwarded_host(make_app):
    app = make_app(ENV_NAME="production", ADMIN_PASSWORD_HASH=HASH, SECRET_KEY="a-production-secret-key-1234", TRUSTED_PROXIES=0)
    for path in ("/admin", "/admin/login"):
        answer = app.test_client().get("http://ivr.example.com" + path, headers={"X-Forwarded-Host": "evil.example"})
        assert answer.status_code == 308
        assert answer.headers["Location"].startswith("https://ivr.example.com/admin/")
        assert answer.headers["Cache-Control"] == "no-store"


def test_every_admin_redirect_is_not_cached(browser):
    assert browser.get("http://127.0.0.1:5000/admin").headers["Cache-Control"] == "no-store"
    assert browser.get(BASE + "/admin/").headers["Cache-Control"] == "no-store"  # to the login form


def login_from(app, address, password):
    client = app.test_client()
    form = {"username": "admin", "password": password, "csrf_token": csrf(client)}
    return client.post(BASE + "/admin/login", data=form, environ_base={"REMOTE_ADDR": address}).status_code


def test_guessers_from_many_addresses_cannot_keep_the_right_password_out(admin_app, monkeypatch):
    monkeypatch.setattr(auth, "FAILURES_IN_ALL", 4)
    pauses = []
    monkeypatch.setattr(auth, "pause", pauses.append)
    guesses = [login_from(admin_app, f"203.0.113.{host}", "wrong password") for host in range(6)]
    assert guesses == [401] * 6
    assert pauses == [auth.SLOW_FAILURE] * 2  # the guesses past the limit in all, slowed
    assert login_from(admin_app, "198.51.100.9", PASSWORD) == 302
    assert pauses == [auth.SLOW_FAILURE] * 2  # the right password is not held back
    for _ in range(auth.FAILURES_PER_ADDRESS - 1):
        assert login_from(admin_app, "203.0.113.0", "wrong password") == 401
    assert login_from(admin_app, "203.0.113.0", PASSWORD) == 429  # an address's own limit still refuses


def test_past_the_limit_in_all_logins_are_hashed_one_at_a_time(admin_app, monkeypatch):
    monkeypatch.setattr(auth, "FAILURES_IN_ALL", 0)
    monkeypatch.setattr(auth, "HASH_WAIT", 0.01)  # how long a refused login waits for its turn
    monkeypatch.setattr(auth, "pause", lambda seconds: None)
    statuses, hashes = parallel_logins(admin_app, monkeypatch, [f"203.0.113.{host}" for host in range(6)])
    assert hashes.most == hashes.calls == 1
    assert statuses == [401] + [429] * 5


@pytest.mark.parametrize(
    "query",
    [
        "page=%C2%B2",  # '²': a digit to str.isdigit, not to int()
        "log=%C2%B2",
        "from=9999-12-31&to=9999-12-31",  # the day after the last has no date
        "from=0001-01-01&to=0001-01-01",
        "q=%C2%B2%C2%B3",
        "period=%00",
    ],
)
def test_odd_filters_get_the_page_or_the_csv_never_a_server_error(browser, query):
    log_in(browser)
    for path in ("/admin/", "/admin/report.csv"):
        answer = browser.get(f"{BASE}{path}?{query}")
        assert answer.status_code == 200, (path, query, answer.status_code)
