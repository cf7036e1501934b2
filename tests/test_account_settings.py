"""Verification by account refuses to start on settings that would fail a caller, naming the setting."""

import pytest

from app import create_app
from config import Config, TestConfig
from tests.test_settings import PRODUCTION

SECRET = "s" * 32


@pytest.mark.parametrize(
    "settings, named",
    [
        ({"VERIFY_BY": "phone"}, "VERIFY_BY='phone' is not one of caller_id, account, account_or_caller_id"),
        ({"ACCOUNT_MIN_DIGITS": 9, "ACCOUNT_MAX_DIGITS": 8}, "ACCOUNT_MIN_DIGITS=9 is more than ACCOUNT_MAX_DIGITS=8"),
        ({"ACCOUNT_MAX_DIGITS": 31}, "ACCOUNT_MAX_DIGITS=31 is out of range"),
        ({"ACCOUNT_LOOKUP_TIMEOUT": 9}, "ACCOUNT_LOOKUP_TIMEOUT=9 is out of range"),
        ({"ACCOUNT_LOOKUP_URL": "ftp://crm.example.com/x", "ACCOUNT_LOOKUP_SECRET": SECRET}, "ACCOUNT_LOOKUP_URL='ftp://crm.example.com/x' is not an https:// URL"),
        ({"ACCOUNT_LOOKUP_URL": "http://crm.example.com/x", "ACCOUNT_LOOKUP_SECRET": SECRET}, "is not an https:// URL"),
        ({"ACCOUNT_LOOKUP_URL": "https://crm.example.com/x", "ACCOUNT_LOOKUP_SECRET": "short"}, "ACCOUNT_LOOKUP_SECRET is too short or missing"),
        ({"ACCOUNT_LOOKUP_URL": "https://crm.example.com/x"}, "ACCOUNT_LOOKUP_SECRET is too short or missing"),
        ({"ACCOUNT_LOOKUP_URL": "https://[::1/x", "ACCOUNT_LOOKUP_SECRET": SECRET}, "is not an https:// URL"),
        ({"ACCOUNT_LOOKUP_URL": "https://crm.example.com:99999/x", "ACCOUNT_LOOKUP_SECRET": SECRET}, "is not an https:// URL"),
    ],
)
def test_a_bad_account_setting_is_refused_in_one_line(verify, settings, named):
    with pytest.raises(RuntimeError, match=named.replace("(", r"\(").replace("?", r"\?")) as refused:
        create_app(TestConfig, http_client=verify, **settings)
    assert "\n" not in str(refused.value)


def test_production_refuses_a_crm_in_clear_even_on_this_machine():
    with pytest.raises(RuntimeError, match="ACCOUNT_LOOKUP_URL"):
        create_app(Config, **PRODUCTION, ACCOUNT_LOOKUP_URL="http://127.0.0.1:8080/x", ACCOUNT_LOOKUP_SECRET=SECRET)


def test_a_crm_over_https_with_its_secret_starts(verify):
    app = create_app(TestConfig, http_client=verify, VERIFY_BY="account", ACCOUNT_LOOKUP_URL="https://crm.example.com/x", ACCOUNT_LOOKUP_SECRET=SECRET)
    assert type(app.extensions["accounts"]).__name__ == "CrmAccounts"


def test_the_state_must_outlive_the_longest_account_number_being_keyed(verify):
    with pytest.raises(RuntimeError, match="CALL_STATE_MAX_AGE=130 is shorter"):
        create_app(TestConfig, http_client=verify, VERIFY_BY="account", ACCOUNT_MAX_DIGITS=12, CALL_STATE_MAX_AGE=130)
    create_app(TestConfig, http_client=verify, VERIFY_BY="caller_id", ACCOUNT_MAX_DIGITS=12, CALL_STATE_MAX_AGE=130)
