"""From an agent, mid-call: the API moves the caller's leg to the subflow, and the caller comes back to the same conference."""

import collections
import dataclasses
import json
import logging
import re
from pathlib import Path

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from app.calls import verification
from app.calls.handoff.verdict import read
from app.numbers import mask
from app.settings import SettingsError
from tests.conftest import CALLER, SERVICE_NUMBER
from tests.fakes import REFUSED, FakeNotify, verify_error

TOKEN = "an-api-token-the-agent-desktop-knows"
KEY = "a-shared-secret-the-agent-systems-also-know"
WORKSPACE = "WS" + "ab" * 16
CONFERENCE = "support-42"
ACCOUNT = "20240817"
ON_FILE = "+14155550142"
SPEC = OpenAPI.from_file_path(str(Path(__file__).resolve().parent.parent / "app" / "api" / "openapi.json"))
TWILIO = json.loads((Path(__file__).parent / "reference" / "twilio_calls_and_tasks.json").read_text())


@pytest.fixture
def notify(tmp_path):
    with FakeNotify(tmp_path) as server:
        yield server


@pytest.fixture
def app(make_app, notify):
    # The fake notify server is on 127.0.0.1, which only NOTIFY_ALLOW_PRIVATE lets a verdict reach.
    app = make_app(API_TOKEN=TOKEN, VERDICT_SIGNING_KEY=KEY, TWILIO_WORKSPACE_SID=WORKSPACE, NOTIFY_ALLOW_PRIVATE=True)
    # The fake notify server's certificate is its own: this app trusts it, as a real one trusts a CA's.
    app.extensions["agent"]["pool"] = notify.trusted_pool()
    assert app.test_cli_runner().invoke(args=["accounts", "add", ACCOUNT, ON_FILE]).exit_code == 0
    return app


@pytest.fixture
def in_conference(call):
    """A caller talking with an agent in the agent's conference."""

    def place(from_=CALLER):
        return call(from_=from_, conference=CONFERENCE)

    return place


@pytest.fixture
def ask(app):
    """The agent's desktop asks: `ask(caller, body)` posts to the API, and the answer must be as the OpenAPI file says."""

    def post(caller_or_sid, body, token=TOKEN, target=None):
        sid = caller_or_sid if isinstance(caller_or_sid, str) else caller_or_sid.fields["CallSid"]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        path = f"/api/v1/calls/{sid}/verification"
        answer = (target or app).test_client().post(f"https://ivr.example.com{path}", json=body, headers=headers)
        asked = MockRequest("https://ivr.example.com", "post", path, content_type="application/json")
        SPEC.validate_response(asked, MockResponse(answer.data, status_code=answer.status_code, content_type=answer.content_type))
        return answer

    return post


def back_to(conference=CONFERENCE, **more):
    return {"return": {"conference": conference}, **more}


def test_the_caller_leaves_for_the_code_and_comes_back_to_the_same_conference_with_the_verdict_delivered(app, in_conference, ask, notify, verify):
    task = verify.live.add_task(WORKSPACE, {"name": "Ada", "channel": "voice"})
    caller = in_conference()
    answer = ask(caller, back_to(notify=notify.url, task=task))
    assert (answer.status_code, answer.json["call_sid"]) == (202, caller.fields["CallSid"])
    caller.follow_moves()
    assert caller.conference is None  # the agent stays on, the caller's keys never reach them
    assert caller.heard("we have just sent a text message")
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert caller.conference == CONFERENCE
    joined = [event for event in caller.events if event.kind == "conference"][-1]
    assert joined.attrs["endConferenceOnExit"] == "false"
    # The agent's system got the verdict, signed with the shared key, about this call.
    [post] = notify.posts
    assert post["content_type"] == "application/x-www-form-urlencoded"
    verdict = read(post["form"]["verdict"], KEY, caller.fields["CallSid"])
    assert (verdict.status, verdict.method, verdict.number) == ("approved", "caller_id", "+1•••••••71")
    # And the task keeps its attributes, with the verdict under `verification`.
    attributes = verify.live.attributes(task)
    assert attributes["name"] == "Ada"
    assert attributes["verification"]["status"] == "approved"
    assert attributes["verification"]["call_sid"] == caller.fields["CallSid"]


def test_three_wrong_codes_come_back_to_the_conference_failed(in_conference, ask, notify):
    caller = in_conference()
    ask(caller, back_to(notify=notify.url))
    caller.follow_moves()
    for wrong in ["000000", "111111", "222222"]:
        caller.press(wrong)
    assert caller.heard("the code was not right too many times")
    assert caller.conference == CONFERENCE
    verdict = read(notify.posts[-1]["form"]["verdict"], KEY, caller.fields["CallSid"])
    assert (verdict.status, verdict.reason) == ("failed", "too_many_attempts")


def test_a_return_url_gets_the_caller_with_the_verdicts_token(in_conference, ask):
    caller = in_conference()
    assert ask(caller, {"return": {"url": "https://flex.example.com/back"}}).status_code == 202
    caller.follow_moves()
    caller.press(caller.last_code)
    redirect = [event for event in caller.events if event.kind == "redirect"][-1]
    url, _, query = redirect.text.partition("?verdict=")
    assert url == "https://flex.example.com/back"
    assert read(query, KEY, caller.fields["CallSid"]).approved


def test_the_agent_names_the_number_or_the_account(in_conference, ask, verify, notify):
    caller = in_conference()
    ask(caller, back_to(to="+14155550177", notify=notify.url))
    caller.follow_moves()
    assert verify.sent[-1][0] == "+14155550177"
    assert caller.heard("we have sent a code to the phone number ending in 7 7")
    caller.press(caller.last_code)
    assert read(notify.posts[-1]["form"]["verdict"], KEY, caller.fields["CallSid"]).method == "named_number"
    other = in_conference(from_="+14155550100")
    ask(other, back_to(account=ACCOUNT))
    other.follow_moves()
    assert other.heard("ending in 4 2")
    assert verify.sent[-1][0] == ON_FILE


@pytest.mark.parametrize("error, sentence", [
    (verify_error(400, 60200), "we cannot send a text message to the phone number ending in 7 7"),
    (verify_error(403, 60205), "the phone number ending in 7 7 cannot receive text messages"),
    (verify_error(403, 60410), "we are not able to send a code to the phone number ending in 7 7"),
])  # fmt: skip
def test_a_named_number_no_code_can_reach_is_told_by_its_ending_not_as_the_callers_own(in_conference, ask, verify, error, sentence):
    verify.script("send", error)
    caller = in_conference()
    ask(caller, back_to(to="+14155550177"))
    caller.follow_moves()
    assert caller.heard(sentence)
    assert not caller.heard("calling from")
    assert caller.conference == CONFERENCE


def test_a_named_number_is_told_by_its_ending_in_spanish_too(make_app, call, ask, verify):
    app = make_app(API_TOKEN=TOKEN, VERDICT_SIGNING_KEY=KEY, LANGUAGES="en-US,es-MX")
    verify.script("send", verify_error(400, 60200))
    caller = call(conference=CONFERENCE, target=app)
    assert ask(caller, back_to(to="+14155550177", language="es-MX"), target=app).status_code == 202
    caller.follow_moves()
    assert caller.heard("no podemos enviar un mensaje de texto al teléfono que termina en 7 7")


def test_a_replayed_request_while_the_caller_verifies_is_409_and_sends_no_second_code(in_conference, ask, verify):
    caller = in_conference()
    body = back_to()
    assert ask(caller, body).status_code == 202
    caller.follow_moves()
    sent = len(verify.sent)
    again = ask(caller, body)
    assert (again.status_code, again.json["reason"]) == (409, "the caller is verifying already")
    assert len(verify.sent) == sent
    assert [move for move in verify.live.moves if move[0] == caller.fields["CallSid"]] == []
    caller.press(caller.last_code)
    assert caller.conference == CONFERENCE
    # The moved leg's start replayed by Twilio: the same answer, no second code.
    start = next(event.text for event in caller.events if event.kind == "moved")
    verify.live.moves.append((caller.fields["CallSid"], start, "POST"))
    caller.follow_moves()
    assert len(verify.sent) == sent


def test_a_caller_verified_once_can_be_verified_again_later_in_the_call(in_conference, ask, verify, records, notify):
    caller = in_conference()
    ask(caller, back_to())
    caller.follow_moves()
    for wrong in ["000000", "111111", "222222"]:
        caller.press(wrong)
    assert caller.conference == CONFERENCE
    # Later the caller asks for something sensitive: the agent verifies them again, a new code, a new record.
    again = ask(caller, back_to(notify=notify.url))
    assert again.status_code == 202
    caller.follow_moves()
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert read(notify.posts[-1]["form"]["verdict"], KEY, caller.fields["CallSid"]).approved
    assert [(row["call_sid"], row["outcome"]) for row in records()] == [(caller.fields["CallSid"], "failed"), (caller.fields["CallSid"], "approved")]


def test_a_caller_verified_at_voice_can_be_verified_by_the_agent(app, call, ask, verify, records):
    caller = call()
    caller.press(caller.last_code)
    verify.live.add_call(caller.fields["AccountSid"], caller.fields["CallSid"], caller.fields["From"], caller.fields["To"])
    verify.live.add_conference(caller.fields["AccountSid"], CONFERENCE)
    assert ask(caller, back_to()).status_code == 202
    assert len(records()) == 2


def test_two_requests_at_the_same_moment_move_the_caller_once(in_conference, ask, verify, monkeypatch):
    from app.api import views

    caller = in_conference()
    real_move, answers, arrived = views._move, [], []

    def move_while_the_other_arrives(call_sid, url):
        if not arrived:
            arrived.append(True)
            answers.append(ask(caller, back_to()))  # the second request, while the first is at the Calls API
        real_move(call_sid, url)

    monkeypatch.setattr(views, "_move", move_while_the_other_arrives)
    first = ask(caller, back_to())
    assert first.status_code == 202
    assert (answers[0].status_code, answers[0].json["reason"]) == (409, "the caller is verifying already")
    assert len([move for move in verify.live.moves if move[0] == caller.fields["CallSid"]]) == 1


def test_a_move_that_fails_gives_the_call_back_for_another_request(in_conference, ask, verify):
    caller = in_conference()
    sid = caller.fields["CallSid"]
    # The call read as it is, then Twilio out of reach for the move.
    verify.scripted[f"{sid}.json"].extend([(200, verify.live.calls[sid]), REFUSED])
    assert ask(caller, back_to()).status_code == 503
    assert verify.scripted[f"{sid}.json"] == collections.deque()
    assert ask(caller, back_to()).status_code == 202


def test_a_landline_comes_back_to_the_conference_unverified_with_no_callback_promised(make_app, call, ask, verify, records):
    app = make_app(API_TOKEN=TOKEN, VERDICT_SIGNING_KEY=KEY, CALLBACK=True, RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US")
    verify.lookup.answer(CALLER, line_type="landline")
    caller = call(conference=CONFERENCE, target=app)
    assert ask(caller, back_to(), target=app).status_code == 202
    caller.follow_moves()
    assert caller.heard("We cannot send a text message to this phone line")
    assert not caller.heard("call this number back")
    assert caller.conference == CONFERENCE  # not hung up: the agent is still waiting
    assert verify.sent == [] and [path for path, _ in verify.requests if path.endswith("/Calls.json")] == []
    assert (records()[0]["reason"], records()[0]["line_type"]) == ("landline", "landline")


def test_a_verification_the_agent_starts_counts_towards_the_lockout(in_conference, ask, make_app):
    for _ in range(3):
        caller = in_conference()
        ask(caller, back_to())
        caller.follow_moves()
        caller.hang_up()
    caller = in_conference()
    ask(caller, back_to())
    caller.follow_moves()
    assert caller.heard("failed verification too many times")
    assert caller.conference == CONFERENCE


@pytest.mark.parametrize("token", [None, "wrong-token-of-the-right-length-xyz", TOKEN.upper()])
def test_a_missing_or_wrong_token_is_401(in_conference, ask, token):
    answer = ask(in_conference(), back_to(), token=token)
    assert answer.status_code == 401
    assert "bearer token" in answer.json["reason"]


def test_no_such_call_is_404(ask):
    answer = ask("CA" + "9" * 32, back_to())
    assert (answer.status_code, answer.json["reason"]) == (404, "no such call on this account")
    assert ask("not-a-call", back_to()).status_code == 404


def test_a_call_that_is_over_is_409(in_conference, ask):
    caller = in_conference()
    caller.hang_up()
    answer = ask(caller, back_to())
    assert (answer.status_code, answer.json["reason"]) == (409, "the call is completed, not in progress")


@pytest.mark.parametrize(
    "body, says",
    [
        (None, "JSON object"),
        ([], "JSON object"),
        ({}, "return must be"),
        ({"return": {"conference": ""}}, "friendly name"),
        ({"return": {"conference": "a", "url": "https://x.example"}}, "return must be"),
        ({"return": {"url": "http://flex.example.com/back"}}, "https://"),
        (back_to(notify="http://crm.example.com/verdicts"), "notify must be an https:// URL"),
        (back_to(task="WT123"), "task must be"),
        (back_to(to="12345"), "+E.164"),
        (back_to(account="12ab"), "account must be"),
        (back_to(to="+14155550177", account=ACCOUNT), "not both"),
        (back_to(language="fr-FR"), "language must be one of en-US"),
        (back_to(code="123456"), "unknown field(s): code"),
    ],
)
def test_a_body_that_does_not_fit_is_422_with_one_line_saying_why(in_conference, ask, verify, body, says):
    caller = in_conference()
    answer = ask(caller, body)
    assert answer.status_code == 422
    assert says in answer.json["reason"] and "\n" not in answer.json["reason"]
    assert verify.live.moves == []


def test_a_task_without_a_workspace_is_422(make_app, in_conference, ask):
    plain = make_app(API_TOKEN=TOKEN)
    answer = ask(in_conference(), back_to(task="WT" + "0" * 32), target=plain)
    assert (answer.status_code, answer.json["reason"]) == (422, "task needs TWILIO_WORKSPACE_SID set on this server")


def test_twilio_out_of_reach_is_503_with_a_reason(in_conference, ask, verify, caplog):
    caller = in_conference()
    verify.scripted[f"{caller.fields['CallSid']}.json"].append(REFUSED)
    answer = ask(caller, back_to())
    assert answer.status_code == 503
    assert "try again shortly" in answer.json["reason"]
    assert CALLER not in caplog.text


def test_without_api_token_there_is_no_api(make_app, in_conference):
    plain = make_app()
    client = plain.test_client()
    sid = in_conference().fields["CallSid"]
    assert client.post(f"/api/v1/calls/{sid}/verification", json=back_to(), headers={"Authorization": "Bearer x"}).status_code == 404
    assert client.get("/api/v1/openapi.json").status_code == 404


def test_the_openapi_description_is_served(app):
    answer = app.test_client().get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.json["openapi"].startswith("3.1")


def test_a_short_api_token_is_refused(make_app):
    with pytest.raises(SettingsError, match="API_TOKEN is too short"):
        make_app(API_TOKEN="short")


def test_no_url_of_the_call_shows_the_number_the_account_or_the_return_target(in_conference, ask, notify, verify, caplog):
    caplog.set_level(logging.INFO)
    caller = in_conference()
    ask(caller, back_to(account=ACCOUNT, notify=notify.url))
    caller.follow_moves()
    caller.press(caller.last_code)
    urls = " ".join(event.text for event in caller.events if event.kind in {"webhook", "moved", "redirect"})
    for secret in (ON_FILE.lstrip("+"), CALLER.lstrip("+"), ACCOUNT, CONFERENCE, "127.0.0.1"):
        assert secret not in urls
    assert ACCOUNT not in caplog.text and ON_FILE not in caplog.text


def test_every_calls_and_taskrouter_request_is_one_twilios_spec_describes(in_conference, ask, notify, verify):
    task = verify.live.add_task(WORKSPACE)
    caller = in_conference()
    ask(caller, back_to(notify=notify.url, task=task))
    caller.follow_moves()
    caller.press(caller.last_code)
    made = verify.live.requests
    # The call and the task read, the caller moved; at the end the task read and written, the conference looked for.
    assert [method for method, _, _ in made] == ["GET", "GET", "POST", "GET", "POST", "GET"]
    for method, path, form in made:
        template, operation = _operation(method, path)
        body = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
        query = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"}
        assert set(form) <= set(body.get("schema", {}).get("properties", {})) | query, (template, form)
    assert made[2][2] == {"Url": made[2][2]["Url"], "Method": "POST"}
    assert made[2][2]["Url"].startswith("https://ivr.example.com/agent/start?b=")
    assert set(made[4][2]) == {"Attributes"}


def _operation(method, path):
    """The spec's path template and operation that `method` on `path` is."""
    for template, item in TWILIO["paths"].items():
        pattern = re.sub(r"\\\{[A-Za-z]+\\\}", "[A-Za-z0-9]+", re.escape(template))
        if re.fullmatch(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError(f"{method} {path} is no operation of Twilio's spec")


def test_the_longest_request_still_fits_every_steps_url(make_app, notify, call, ask, verify):
    # Every field at its longest, an email on file and the risk checks' facts: the largest call state there is.
    app = make_app(
        API_TOKEN=TOKEN, VERDICT_SIGNING_KEY=KEY, TWILIO_WORKSPACE_SID=WORKSPACE, LANGUAGES="en-US,es-MX", NOTIFY_ALLOW_PRIVATE=True,
        RISK_CHECKS="line_type,sim_swap,call_forwarding",
    )
    app.extensions["agent"]["pool"] = notify.trusted_pool()
    email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"  # 254 characters, the most there is
    assert app.test_cli_runner().invoke(args=["accounts", "add", "123456789012", ON_FILE, "--email", email]).exit_code == 0
    caller = call(conference=CONFERENCE, target=app)
    longest = notify.url + "/" + "x" * (256 - len(notify.url) - 1)
    back = "https://flex.example.com/" + "y" * (256 - 25)
    body = {"return": {"url": back}, "notify": longest, "task": verify.live.add_task(WORKSPACE), "account": "123456789012", "language": "es-MX"}
    assert ask(caller, body, target=app).status_code == 202
    assert ask(caller, {**body, "notify": longest + "z"}, target=app).status_code == 422
    caller.follow_moves()
    caller.press("000000")
    caller.press(caller.last_code)
    assert caller.heard("titular de la cuenta")
    assert [event for event in caller.events if event.kind == "redirect"][-1].text.startswith(back + "?verdict=")
    assert notify.posts[-1]["path"] == "/verdicts/" + "x" * (256 - len(notify.url) - 1)


def outbound_to(call, verify, customer):
    """A call the agent placed to `customer` through the API: Twilio's From is the service's number, the customer its To."""
    caller = call(from_=SERVICE_NUMBER, conference=CONFERENCE, params={"Direction": "outbound-api", "To": customer})
    verify.live.calls[caller.fields["CallSid"]].update({"direction": "outbound-api", "from": SERVICE_NUMBER, "to": customer})
    return caller


def test_account_numbers_keyed_on_calls_that_went_out_count_against_each_customer_not_the_service_number(call, ask, verify):
    # Three customers, each given a mistyped account number by their agent: no count of the fourth's.
    for n, customer in enumerate(["+14155550101", "+14155550102", "+14155550103"]):
        caller = outbound_to(call, verify, customer)
        assert ask(caller, back_to(account=f"9999000{n}")).status_code == 202
        caller.follow_moves()
    caller = outbound_to(call, verify, "+14155550104")
    assert ask(caller, back_to(account=ACCOUNT)).status_code == 202
    caller.follow_moves()
    assert caller.heard("ending in 4 2")


def test_a_failed_verdict_on_a_call_that_went_out_is_about_the_customer_not_the_service_number(call, ask, verify, notify):
    caller = outbound_to(call, verify, CALLER)
    ask(caller, back_to(notify=notify.url))
    caller.follow_moves()
    for wrong in ["000000", "111111", "222222"]:
        caller.press(wrong)
    verdict = read(notify.posts[-1]["form"]["verdict"], KEY, caller.fields["CallSid"])
    assert (verdict.status, verdict.number) == ("failed", mask(CALLER))


def test_on_a_call_that_went_out_to_the_customer_the_code_goes_to_the_number_called(call, ask, verify):
    caller = outbound_to(call, verify, CALLER)
    ask(caller, back_to())
    caller.follow_moves()
    assert verify.sent[-1][0] == CALLER


def test_a_body_nested_too_deeply_is_422_not_a_crash(app, in_conference, verify):
    caller = in_conference()
    deep = "[" * 4000 + "]" * 4000
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    answer = app.test_client().post(f"/api/v1/calls/{caller.fields['CallSid']}/verification", data=deep, headers=headers)
    assert (answer.status_code, answer.json["reason"]) == (422, "the body is nested too deeply")
    assert verify.live.moves == []


def test_a_body_too_large_is_a_413_the_description_knows(in_conference, ask):
    answer = ask(in_conference(), back_to(notify="https://crm.example.com/" + "v" * 2_000_000))
    assert answer.status_code == 413


@pytest.mark.parametrize("method, path, status", [("get", "/api/v1/calls/CA{}/verification", 405), ("post", "/api/v1/nothing-here", 404)])
def test_a_path_or_method_the_api_lacks_is_one_line_of_json(app, method, path, status):
    answer = getattr(app.test_client(), method)(path.format("0" * 32), headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == status
    assert answer.is_json and "\n" not in answer.json["reason"]


def test_a_notify_url_refused_says_what_is_accepted(in_conference, ask):
    answer = ask(in_conference(), back_to(notify="https://crm.example.com/ver dicts"))
    assert answer.status_code == 422
    assert answer.json["reason"].startswith("notify must be an https:// URL of at most 256 characters")
    assert "/path on this server" not in answer.json["reason"]


def test_the_notify_and_task_verdicts_carry_the_risk_facts(in_conference, ask, notify, verify, monkeypatch):
    # What Lookup found, as the risk checks leave it in the subflow's result.
    real = verification.result
    monkeypatch.setattr(verification, "result", lambda: dataclasses.replace(real(), line_type="mobile", sim_swap="none", forwarding="off"))
    task = verify.live.add_task(WORKSPACE, {"call_sid": ""})
    caller = in_conference()
    ask(caller, back_to(notify=notify.url, task=task))
    caller.follow_moves()
    caller.press(caller.last_code)
    verdict = read(notify.posts[-1]["form"]["verdict"], KEY, caller.fields["CallSid"])
    assert (verdict.line_type, verdict.sim_swap, verdict.forwarding) == ("mobile", "none", "off")
    assert verify.live.attributes(task)["verification"]["line_type"] == "mobile"


def test_a_task_of_another_call_is_422_and_the_caller_stays(in_conference, ask, verify):
    task = verify.live.add_task(WORKSPACE, {"call_sid": "CA" + "7" * 32, "name": "Bob"})
    caller = in_conference()
    answer = ask(caller, back_to(task=task))
    assert (answer.status_code, answer.json["reason"]) == (422, "task belongs to another call: its attributes' call_sid is not this call's")
    assert verify.live.moves == []
    assert verify.live.attributes(task) == {"call_sid": "CA" + "7" * 32, "name": "Bob"}
    missing = ask(caller, back_to(task="WT" + "0" * 32))
    assert missing.status_code == 422 and "not a task" in missing.json["reason"]
    own = verify.live.add_task(WORKSPACE, {"call_sid": caller.fields["CallSid"]})
    assert ask(caller, back_to(task=own)).status_code == 202


@pytest.mark.parametrize("from_", ["anonymous", "client:alice"])
def test_a_caller_no_code_can_reach_is_not_moved(in_conference, ask, verify, from_):
    caller = in_conference(from_=from_)
    answer = ask(caller, back_to())
    assert answer.status_code == 409
    assert "no code can reach it; give to or account" in answer.json["reason"] and "\n" not in answer.json["reason"]
    assert verify.live.moves == []
    assert ask(caller, back_to(to="+14155550177")).status_code == 202


@pytest.mark.parametrize("target", ["https://169.254.169.254/latest/meta-data", "https://127.0.0.1:22/", "https://0.0.0.0:8080/", "https://10.0.0.8/v"])
def test_notify_inside_this_network_is_422(make_app, in_conference, ask, verify, target):
    strict = make_app(API_TOKEN=TOKEN)
    answer = ask(in_conference(), back_to(notify=target), target=strict)
    assert answer.status_code == 422 and "public internet" in answer.json["reason"]
    assert verify.live.moves == []


def test_a_notify_name_that_resolves_inside_this_network_gets_no_verdict(make_app, call, ask, notify, caplog):
    strict = make_app(API_TOKEN=TOKEN, VERDICT_SIGNING_KEY=KEY)
    strict.extensions["agent"]["pool"] = notify.trusted_pool()
    caller = call(conference=CONFERENCE, target=strict)
    # localhost is a name, resolved only when the verdict is posted: to 127.0.0.1, where the receiver listens.
    local = notify.url.replace("127.0.0.1", "localhost")
    assert ask(caller, back_to(notify=local), target=strict).status_code == 202
    caller.follow_moves()
    caller.press(caller.last_code)
    assert caller.conference == CONFERENCE
    assert notify.posts == []
    assert "not a public internet address" in caplog.text


def test_notify_to_private_addresses_is_refused_in_production(make_app, tmp_path):
    with pytest.raises(SettingsError, match="NOTIFY_ALLOW_PRIVATE cannot be on in production"):
        make_app(ENV_NAME="production", NOTIFY_ALLOW_PRIVATE=True, SECRET_KEY="s" * 32, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")


def test_a_caller_whose_agent_left_goes_to_the_failure_step_not_an_empty_conference(make_app, call, ask, verify):
    app = make_app(API_TOKEN=TOKEN, FAILURE_NEXT_STEP="+14155550199")
    caller = call(conference=CONFERENCE, target=app)
    ask(caller, back_to(), target=app)
    caller.follow_moves()
    verify.live.end_conference(CONFERENCE)
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert caller.heard("the agent you were speaking with has left the call")
    assert caller.conference is None
    assert [event.text for event in caller.events if event.kind == "dial"][-1] == "+14155550199"
    [listed] = [form for method, path, form in verify.live.requests if path.endswith("/Conferences.json")]
    assert listed == {"FriendlyName": CONFERENCE, "Status": "in-progress", "PageSize": "20"}



def test_a_request_naming_a_host_twilio_could_not_reach_is_400_and_moves_nobody(app, in_conference, verify):
    # Without PUBLIC_BASE_URL the steps' URLs are built from the request's host: never from one no Twilio request could have.
    caller = in_conference()
    sid = caller.fields["CallSid"]
    answer = app.test_client().post(
        f"https://ivr.example.com/api/v1/calls/{sid}/verification",
        json=back_to(),
        headers={"Authorization": f"Bearer {TOKEN}", "Host": "ivr.example.com:99999"},
    )
    assert (answer.status_code, answer.json["reason"]) == (400, "this server's host is not one Twilio could reach: set PUBLIC_BASE_URL")
    assert verify.live.moves == []
