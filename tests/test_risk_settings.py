"""The risk checks' settings are checked at start-up, one line naming the setting, and read in any case."""

import re

import pytest

from app import create_app
from config import TestConfig
from tests.fakes import ScriptedVerify


@pytest.mark.parametrize(
    "name, value, problem",
    [
        ("RISK_CHECKS", "line_type,sim_swop", "RISK_CHECKS='line_type,sim_swop' must name each of line_type, sim_swap, call_forwarding at most once"),
        ("RISK_CHECKS", "sim_swap,sim_swap", "RISK_CHECKS='sim_swap,sim_swap' must name each of"),
        ("SIM_SWAP_POLICY", "block", "SIM_SWAP_POLICY='block' is not one of refuse, flag"),
        ("RISK_ON_LOOKUP_ERROR", "maybe", "RISK_ON_LOOKUP_ERROR='maybe' is not one of allow, refuse"),
        ("SIM_SWAP_MAX_AGE", 0, "SIM_SWAP_MAX_AGE=0 is out of range (1 to 8760)"),
        ("LOOKUP_CACHE_HOURS", -1, "LOOKUP_CACHE_HOURS=-1 is out of range (0 to 720)"),
    ],
)
def test_a_risk_setting_the_server_cannot_use_is_named(name, value, problem):
    with pytest.raises(RuntimeError, match=re.escape(problem)):
        create_app(TestConfig, http_client=ScriptedVerify(), **{name: value})


@pytest.mark.parametrize(
    "settings, problem",
    [
        ({"RISK_CHECKS": "", "ALLOWED_COUNTRIES": "US"}, "CALLBACK=on calls back the landlines Lookup finds, but RISK_CHECKS does not ask the line type: add line_type to RISK_CHECKS"),
        ({"RISK_CHECKS": "sim_swap,call_forwarding", "ALLOWED_COUNTRIES": "US"}, "add line_type to RISK_CHECKS"),
        ({"RISK_CHECKS": "line_type", "ALLOWED_COUNTRIES": ""}, "CALLBACK=on needs ALLOWED_COUNTRIES (such as US,CA): without it the server would place calls to landlines in any country"),
    ],
)
def test_a_callback_that_would_do_nothing_or_call_any_country_is_refused(settings, problem):
    with pytest.raises(RuntimeError, match=re.escape(problem)):
        create_app(TestConfig, http_client=ScriptedVerify(), CALLBACK=True, **settings)


def test_a_callback_with_the_line_type_asked_and_countries_named_starts():
    app = create_app(TestConfig, http_client=ScriptedVerify(), CALLBACK=True, RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US,CA")
    assert app.config["CALLBACK"]


@pytest.mark.parametrize(
    "name, written, read",
    [
        ("RISK_CHECKS", "Line_Type, SIM_SWAP", "line_type,sim_swap"),
        ("SIM_SWAP_POLICY", "Flag", "flag"),
        ("RISK_ON_LOOKUP_ERROR", "REFUSE", "refuse"),
    ],
)
def test_a_risk_setting_is_read_in_any_case(name, written, read):
    app = create_app(TestConfig, http_client=ScriptedVerify(), **{name: written})
    assert app.config[name] == read


def test_the_risk_settings_default_to_no_checks():
    app = create_app(TestConfig, http_client=ScriptedVerify())
    assert (app.config["RISK_CHECKS"], app.config["SIM_SWAP_MAX_AGE"], app.config["SIM_SWAP_POLICY"]) == ("", 168, "refuse")
    assert (app.config["RISK_ON_LOOKUP_ERROR"], app.config["LOOKUP_CACHE_HOURS"]) == ("allow", 24)
