"""What each webhook may cost: SQL statements, requests to Twilio, bytes of TwiML. Past its budget, a test fails.

Timings are noisy; counts are not. BUDGET below holds, for each call, its webhooks in order and
what each may cost. A change that adds a statement or a request raises the budget in the same
commit, where a reviewer sees it; one that removes one lowers it, or the budget would drift up
unseen. docs/performance.md explains it and lists today's figures.
"""

import math
import pathlib

import pytest

from app.simulator import Call
from app.storage import sends
from tests.conftest import BACKENDS, CALLER, SERVICE_NUMBER
from tests.metering import Hop, Meter, statements
from tests.test_admin import BASE, HASH, log_in

AGENT = "+14155550100"
ACCOUNT, ON_FILE = "12345678", "+14155550142"
OTHER_CALLERS = ["+14155552672", "+14155552673"]

# For each call, its webhooks in order, and what answering each may cost:
#   SQL: statements executed, today's count exactly; the same on SQLite and PostgreSQL (where a
#        change makes them differ, write {"sqlite": n, "postgresql": m} in its place);
#   Twilio: requests to Twilio's APIs (Verify, Lookup), today's count exactly;
#   bytes: the answer's size at most, today's rounded up to the next 64 bytes.
# More fails; so does fewer: lower the figure then, or the budget drifts up unseen.
BUDGET = {
    "by caller ID: the code keyed": [
        # webhook               SQL  Twilio  bytes
        ("/voice",                0,      0,   576),
        ("/verification/start",   3,      1,  1344),  # record, lockout count, places in the send count; Verify: send
        ("/verification/check",   2,      1,   512),  # record, lockout cleared; Verify: check
        ("/voice/outcome",        0,      0,   256),
    ],
    "by account: the account number, then the code": [
        ("/voice",                0,      0,   704),
        ("/account/entered",      3,      0,   768),  # entries counted, the account read, its lockout counted
        ("/verification/start",   3,      1,  2048),
        ("/verification/check",   4,      1,   832),  # record, both lockouts cleared, the entry given back
        ("/voice/outcome",        0,      0,   256),
    ],
    "a wrong code, then the right one": [
        ("/voice",                0,      0,   576),
        ("/verification/start",   3,      1,  1344),
        ("/verification/check",   1,      1,  1216),  # the wrong code: record
        ("/verification/check",   2,      1,   512),
        ("/voice/outcome",        0,      0,   256),
    ],
    "three wrong codes: the agent": [
        ("/voice",                0,      0,   576),
        ("/verification/start",   3,      1,  1344),
        ("/verification/check",   1,      1,  1216),
        ("/verification/check",   1,      1,  1216),
        ("/verification/check",   1,      1,   576),
        ("/voice/outcome",        0,      0,   768),  # <Dial> the agent, the verdict in the whisper's URL
        ("/handoff/whisper",      0,      0,   192),
    ],
    "a locked-out caller: the agent, no code": [
        ("/voice",                0,      0,   576),
        ("/verification/start",   3,      0,   448),  # record, lockout count (over), record: locked
        ("/voice/outcome",        0,      0,   832),
        ("/handoff/whisper",      0,      0,   192),
    ],
    "the hourly send cap reached: the agent, no code": [
        ("/voice",                0,      0,   576),
        ("/verification/start",   5,      0,   512),  # record, lockout count, no place left, record: capped, count given back
        ("/voice/outcome",        0,      0,   832),
        ("/handoff/whisper",      0,      0,   192),
    ],
    "a silence at the code prompt, then the code": [
        ("/voice",                0,      0,   576),
        ("/verification/start",   3,      1,  1344),
        ("/verification/check",   0,      0,  1280),  # the silence: asked again, nothing written
        ("/verification/check",   2,      1,   512),
        ("/voice/outcome",        0,      0,   256),
    ],
    "risk checks, a number's first call: Lookup, then the code": [
        ("/voice",                3,      1,   576),  # Lookup asked ahead: the lockout looked at, kept answers read, answers kept
        ("/verification/start",   4,      1,  1472),  # + the record's risks
        ("/verification/check",   2,      1,   576),
        ("/voice/outcome",        0,      0,   256),
    ],
    "risk checks, the number's second call: the line type kept, the SIM asked again": [
        ("/voice",                3,      1,   576),  # the SIM asked ahead again
        ("/verification/start",   3,      1,  1472),  # no places taken: the first call took ten
        ("/verification/check",   2,      1,   576),
        ("/voice/outcome",        0,      0,   256),
    ],
    # An HTML page: its size follows the dates and figures shown, so only its counts are budgeted.
    "the supervisor page, viewed": [
        # The supervisor, the figures (counted in one statement), locked numbers, codes sent, the
        # locked list, the chart (counted), a page of verifications, of the audit log: none grows with the rows.
        ("/admin/",               8,      0,  None),
    ],
}


def wrong_code(caller):
    """A code that is not the one sent."""
    return "000000" if caller.last_code != "000000" else "111111"


@pytest.fixture(autouse=True)
def one_hour(monkeypatch):
    """Every send falls in the same clock hour: a new hour would take new places in the send count."""
    hour = sends.this_hour()
    monkeypatch.setattr(sends, "this_hour", lambda: hour)


@pytest.fixture
def metered(verify):
    """Place a call whose every webhook is metered: `caller, hops = metered(app)`; `hops` fills as the call goes on."""

    def dial(app, from_=CALLER):
        meter = Meter(app, verify)
        caller = Call(meter, BASE + "/voice", app.config["TWILIO_AUTH_TOKEN"], from_, SERVICE_NUMBER, sms_source=verify)
        return caller.start(), meter.hops

    return dial


SCENARIOS = {}


def scenario(name):
    """Register a call to meter under `name`, a key of BUDGET."""

    def register(function):
        SCENARIOS[name] = function
        return function

    return register


@scenario("by caller ID: the code keyed")
def caller_id_verified(make_app, call, metered, verify):
    caller, hops = metered(make_app())
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    return hops


@scenario("by account: the account number, then the code")
def account_verified(make_app, call, metered, verify):
    app = make_app(VERIFY_BY="account")
    result = app.test_cli_runner().invoke(args=["accounts", "add", ACCOUNT, ON_FILE])
    assert result.exit_code == 0, result.output
    caller, hops = metered(app)
    caller.press(ACCOUNT + "#")
    assert caller.heard("ending in 4 2")
    caller.press(caller.last_code)
    assert caller.heard("You are verified as the account holder.")
    return hops


@scenario("a wrong code, then the right one")
def wrong_then_right(make_app, call, metered, verify):
    caller, hops = metered(make_app())
    caller.press(wrong_code(caller))
    assert caller.heard("that code is not right")
    caller.press(caller.last_code)
    assert caller.heard("verified")
    return hops


@scenario("three wrong codes: the agent")
def wrong_to_the_agent(make_app, call, metered, verify):
    caller, hops = metered(make_app(FALLBACK_NUMBER=AGENT))
    for _ in range(3):
        caller.press(wrong_code(caller))
    assert caller.heard("not right too many times")
    assert caller.dialed == [AGENT]
    return hops


@scenario("a locked-out caller: the agent, no code")
def locked_out(make_app, call, metered, verify):
    app = make_app(FALLBACK_NUMBER=AGENT, LOCKOUT_MAX_FAILURES=1)
    earlier = call(target=app)
    for _ in range(3):
        earlier.press(wrong_code(earlier))
    caller, hops = metered(app)
    assert caller.heard("failed verification too many times")
    assert caller.dialed == [AGENT]
    return hops


@scenario("the hourly send cap reached: the agent, no code")
def send_cap_reached(make_app, call, metered, verify):
    app = make_app(MAX_SENDS_PER_HOUR=2, FALLBACK_NUMBER=AGENT)
    for number in OTHER_CALLERS:
        assert call(from_=number, target=app).heard("sent a text message")
    caller, hops = metered(app)
    assert caller.heard("Too many codes are being sent right now")
    assert caller.dialed == [AGENT]
    return hops


@scenario("a silence at the code prompt, then the code")
def silence_then_code(make_app, call, metered, verify):
    caller, hops = metered(make_app())
    caller.silence()
    assert caller.heard("we did not hear anything")
    caller.press(caller.last_code)
    assert caller.heard("verified")
    return hops


@scenario("risk checks, a number's first call: Lookup, then the code")
def risk_first_call(make_app, call, metered, verify):
    caller, hops = metered(make_app(RISK_CHECKS="line_type,sim_swap"))
    caller.press(caller.last_code)
    assert caller.heard("verified")
    return hops


@scenario("risk checks, the number's second call: the line type kept, the SIM asked again")
def risk_second_call(make_app, call, metered, verify):
    app = make_app(RISK_CHECKS="line_type,sim_swap")
    first = call(target=app)
    first.press(first.last_code)
    caller, hops = metered(app)
    assert verify.lookup.requests[-1][1] == "sim_swap"
    caller.press(caller.last_code)
    assert caller.heard("verified")
    return hops


@scenario("the supervisor page, viewed")
def supervisor_page(make_app, call, metered, verify):
    app = make_app(ADMIN_PASSWORD_HASH=HASH)
    done = call(target=app)
    done.press(done.last_code)
    browser = app.test_client()
    log_in(browser)
    with statements() as executed:
        page = browser.get(BASE + "/admin/")
    assert page.status_code == 200
    return [Hop("/admin/", executed, [], len(page.get_data()))]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_webhook_costs_no_more_than_its_budget(name, backend, make_app, call, metered, verify):
    hops = SCENARIOS[name](make_app, call, metered, verify)
    budget = BUDGET[name]
    measured = "\n".join(f"    {hop.path}: SQL {len(hop.statements)}, Twilio {len(hop.requests)}, {hop.size} bytes" for hop in hops)
    assert [hop.path for hop in hops] == [row[0] for row in budget], f"{name}: the webhooks have changed; measured on {backend}:\n{measured}"
    problems = [problem for number, (hop, row) in enumerate(zip(hops, budget), 1) for problem in over_budget(number, hop, row, backend)]
    if problems:
        pytest.fail("\n".join(f"{name}, {problem}" for problem in problems), pytrace=False)


def over_budget(number, hop, row, backend):
    """A sentence for each of the hop's figures that differs from its budget (bytes: that exceeds it)."""
    path, sql, twilio, size = row
    path = f"{number} ({path})"
    sql = sql[backend] if isinstance(sql, dict) else sql
    figures = [("SQL statements", len(hop.statements), sql, hop.statements), ("Twilio requests", len(hop.requests), twilio, hop.requests)]
    for what, value, allowed, which in figures:
        if value > allowed:
            yield f"webhook {path} on {backend}: {what} {value}, budget {allowed}; raise the budget in the same commit if this is intended.{listed(which)}"
        elif value < allowed:
            yield f"webhook {path} on {backend}: {what} {value}, budget {allowed}: fewer, good; lower the budget to {value} in the same commit.{listed(which)}"
    if size is not None and hop.size > size:
        rounded = math.ceil(hop.size / 64) * 64
        yield f"webhook {path}: TwiML {hop.size} bytes, budget {size}; raise the budget (to {rounded}) in the same commit if this is intended."


def listed(statements):
    """The hop's statements or requests, one a line, each cut to its first line."""
    return "".join(f"\n        {item.strip().splitlines()[0][:100]}" for item in statements)


def test_every_call_metered_has_a_budget_and_every_budget_a_call():
    assert set(BUDGET) == set(SCENARIOS)


PAGE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def test_the_performance_page_lists_the_budget():
    lines = PAGE.read_text().splitlines()
    start = lines.index("| call | webhooks | SQL statements | Twilio requests |") + 2
    on_page = [line for line in lines[start:] if line.startswith("|")][: len(BUDGET)]
    expected = [page_row(name, rows) for name, rows in BUDGET.items()]
    assert on_page == expected, "docs/performance.md lists another budget; its rows should read:\n" + "\n".join(expected)


def page_row(name, rows):
    """The call's row in docs/performance.md's table: its webhooks, then their statements and requests."""

    def counted(sql):
        return "/".join(str(sql[backend]) for backend in BACKENDS) if isinstance(sql, dict) else str(sql)

    webhooks = " → ".join(path for path, *_ in rows)
    return f"| {name} | {webhooks} | {' · '.join(counted(sql) for _, sql, _, _ in rows)} | {' · '.join(str(twilio) for _, _, twilio, _ in rows)} |"
