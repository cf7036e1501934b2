"""The Lookup wrapper and the stand-in speak Lookup v2 as Twilio's own OpenAPI spec describes it."""

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from twilio.rest import Client

from app.twilio.lookup import LookupFailed, LookupService
from tests.fakes import REFUSED, TIMEOUT, ScriptedVerify, verify_error

SPEC = json.loads((Path(__file__).parent / "reference" / "twilio_lookups_v2.json").read_text())
PATH = "/v2/PhoneNumbers/{PhoneNumber}"
OPERATION = SPEC["paths"][PATH]["get"]
NUMBER = "+447772000001"
EVERY_CHECK = ("line_type", "sim_swap", "call_forwarding")


class Recording(ScriptedVerify):
    """The fake Twilio, keeping each request's method, URL and query parameters as the client sent them."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def request(self, method, uri, params=None, data=None, **options):
        self.sent.append((method, uri, dict(params or {}), dict(data or {})))
        return super().request(method, uri, params, data, **options)


@pytest.fixture
def fake():
    return Recording()


@pytest.fixture
def service(fake):
    return LookupService(Client("AC" + "0" * 32, "token", http_client=fake))


def example(name):
    return OPERATION["responses"]["200"]["content"]["application/json"]["examples"][name]["value"]


def fits(value, schema, where="answer"):
    """Assert that `value` fits an OpenAPI schema of the spec (types, nullability, objects, arrays, $ref)."""
    if "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if value is None:
        # The spec's own examples give null for a package not asked for, and for error_code.
        return
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float)}
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind:
        assert isinstance(value, kinds[kind]) and not (kind == "integer" and isinstance(value, bool)), f"{where}: {value!r} is not {kind}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r}"
    for name, item in value.items() if isinstance(value, dict) else ():
        assert name in schema.get("properties", {}), f"{where}.{name} is not in the spec"
        fits(item, schema["properties"][name], f"{where}.{name}")
    for index, item in enumerate(value if isinstance(value, list) else ()):
        fits(item, schema["items"], f"{where}[{index}]")


def test_the_request_is_a_get_of_the_spec_path_with_the_fields_asked_for_only(fake, service):
    service.fetch(NUMBER, ["line_type", "sim_swap"])
    [(method, uri, params, data)] = fake.sent
    assert method == "GET" and data == {}
    url = urlsplit(uri)
    assert f"{url.scheme}://{url.netloc}" == SPEC["servers"][0]["url"]
    assert re.fullmatch(r"/v2/PhoneNumbers/[^/]+", url.path) and unquote(url.path.rsplit("/", 1)[-1]) == NUMBER
    query = {parameter["name"] for parameter in OPERATION["parameters"] if parameter["in"] == "query"}
    assert set(params) <= query and params == {"Fields": "line_type_intelligence,sim_swap"}
    described = next(p for p in OPERATION["parameters"] if p["name"] == "Fields")["description"]
    allowed = re.search(r"Possible values are (.*)\.", described).group(1).split(", ")
    assert set(params["Fields"].split(",")) <= set(allowed)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"line_type": "landline", "sim_swapped_hours": 3, "forwarding": True},
        {"failure": "package_not_enabled"},
    ],
)
def test_the_stand_ins_answers_fit_the_spec(fake, settings):
    fake.lookup.answer(NUMBER, **settings)
    status, body = fake.lookup.handle("GET", f"/v2/PhoneNumbers/%2B{NUMBER[1:]}", {"Fields": "line_type_intelligence,sim_swap,call_forwarding"})
    assert status == 200
    fits(body, OPERATION["responses"]["200"]["content"]["application/json"]["schema"])
    assert set(body) == set(example("fetch"))


@pytest.mark.parametrize(
    "name, check, answer",
    [
        ("fetchLineTypeIntelligence", "line_type", "nonFixedVoip"),
        ("fetchSimSwap", "sim_swap", {"date": "2020-04-27T10:18:50+00:00", "in_period": True, "period_hours": 48}),
        ("fetchSimSwapWithoutLastSimSwapDate", "sim_swap", {"date": None, "in_period": True, "period_hours": 24}),
        ("fetchCallForwarding", "call_forwarding", True),
    ],
)
def test_the_specs_own_answers_are_read(fake, service, name, check, answer):
    fake.script("lookup", (200, example(name)))
    assert service.fetch(NUMBER, [check]) == {check: answer}


def package_error(code):
    body = dict(example("fetchLineTypeIntelligence"))
    body["line_type_intelligence"] = {**body["line_type_intelligence"], "type": None, "error_code": code}
    return 200, body


@pytest.mark.parametrize(
    "answer, reason",
    [
        (TIMEOUT, "network"),
        (REFUSED, "network"),
        ((503, {"code": 20503, "message": "Service Unavailable", "more_info": "", "status": 503}), "http_5xx"),
        (verify_error(404, 20404), "not_found"),
        (verify_error(403, 60606), "package_not_enabled"),
        (verify_error(400, 60607), "not_covered"),
        (package_error(60606), "package_not_enabled"),
        (package_error(60607), "not_covered"),
        ((200, example("fetch")), "not_covered"),  # the package asked for is null
        ((200, "<html>Bad gateway</html>"), "bad_answer"),
    ],
)
def test_every_failure_is_one_exception_with_a_reason(fake, service, answer, reason):
    fake.script("lookup", answer)
    with pytest.raises(LookupFailed) as failed:
        service.fetch(NUMBER, ["line_type"])
    assert failed.value.reason == reason


def test_a_swap_date_that_is_no_date_is_a_bad_answer(fake, service):
    fake.script("lookup", (200, {**example("fetchSimSwap"), "sim_swap": {"last_sim_swap": {"last_sim_swap_date": "last Tuesday"}}}))
    with pytest.raises(LookupFailed) as failed:
        service.fetch(NUMBER, ["sim_swap"])
    assert failed.value.reason == "bad_answer"


def test_a_failure_logs_no_number(fake, service, caplog):
    fake.script("lookup", verify_error(400, 60607, f"No provider for {NUMBER}"))
    with pytest.raises(LookupFailed):
        service.fetch(NUMBER, EVERY_CHECK)
    assert caplog.records and NUMBER not in caplog.text and NUMBER[-4:] not in caplog.text
