"""An account that keeps failing is locked out whichever phone calls; guessing accounts locks the guessing phone."""

import pytest

from tests.conftest import BACKENDS, SLOW_MACHINE_DATABASE_TIMEOUT

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

ACCOUNT = "12345678"
ON_FILE = "+14155550142"
PHONES = ["+14155550161", "+14155550162", "+14155550163", "+14155550164"]


@pytest.fixture
def workers(make_app):
    """Two apps on one database, as two gunicorn workers or dynos are, verifying by account."""

    def build(**settings):
        settings = {"VERIFY_BY": "account", "DATABASE_TIMEOUT": SLOW_MACHINE_DATABASE_TIMEOUT, **settings}
        apps = [make_app(**settings) for _ in range(2)]
        assert apps[0].test_cli_runner().invoke(args=["accounts", "add", ACCOUNT, ON_FILE]).exit_code == 0
        return apps

    return build


def fail_on_account(call, app, phone):
    caller = call(target=app, from_=phone)
    caller.press(ACCOUNT + "#")
    for wrong in ["000000", "111111", "222222"]:
        caller.press(wrong)
    assert caller.heard("not right too many times")


def test_a_caller_cycling_phones_and_workers_cannot_get_more_tries_on_one_account(workers, call, verify):
    apps = workers(LOCKOUT_MAX_FAILURES=3)
    for turn, phone in enumerate(PHONES[:3]):
        fail_on_account(call, apps[turn % 2], phone)
    sent = len(verify.sent)

    caller = call(target=apps[1], from_=PHONES[3])
    caller.press(ACCOUNT + "#")

    assert caller.heard("This account has failed verification too many times, so we cannot send it another code.")
    assert len(verify.sent) == sent


def test_unlocking_the_account_lets_it_be_verified_again(workers, call):
    apps = workers(LOCKOUT_MAX_FAILURES=1)
    fail_on_account(call, apps[0], PHONES[0])
    result = apps[1].test_cli_runner().invoke(args=["verifications", "unlock", "--account", ACCOUNT])
    assert result.output == "Account: lockout lifted.\nIts phone on file, +1•••••••42: lockout lifted.\n"
    assert ACCOUNT not in result.output

    caller = call(target=apps[1], from_=PHONES[1])
    caller.press(ACCOUNT + "#")
    assert caller.heard("ending in 4 2")


def test_unlock_of_an_account_that_is_not_locked_says_so(workers):
    apps = workers()
    result = apps[0].test_cli_runner().invoke(args=["verifications", "unlock", "--account", "87654321"])
    assert result.output == "Account: was not locked out.\n"  # and it has no phone on file


def test_unlock_refuses_what_is_not_an_account_number(workers):
    result = workers()[0].test_cli_runner().invoke(args=["verifications", "unlock", "--account", "12ab"])
    assert result.exit_code == 2
    assert "not digits 0-9" in result.output


def test_a_verified_call_clears_the_accounts_count(workers, call):
    apps = workers(LOCKOUT_MAX_FAILURES=2)
    fail_on_account(call, apps[0], PHONES[0])
    caller = call(target=apps[1], from_=PHONES[1])
    caller.press(ACCOUNT + "#")
    caller.press(caller.last_code)
    assert caller.heard("verified as the account holder")
    fail_on_account(call, apps[0], PHONES[2])
    caller = call(target=apps[1], from_=PHONES[3])
    caller.press(ACCOUNT + "#")
    assert caller.heard("ending in 4 2")


def test_unknown_accounts_count_against_the_guessing_phone_on_every_worker(workers, call, verify):
    apps = workers(LOCKOUT_MAX_FAILURES=2)
    caller = call(target=apps[0], from_=PHONES[0])
    caller.press("11111111#")
    caller.press("22222222#")
    assert caller.heard("Please try again.")

    caller.press("33333333#")

    assert caller.heard("This number has failed verification too many times")
    caller = call(target=apps[1], from_=PHONES[0])
    caller.press("44444444#")
    assert caller.heard("This number has failed verification too many times")
    assert verify.sent == []


def test_a_phone_locked_out_for_guessing_cannot_go_on_to_a_known_account(workers, call, verify):
    apps = workers(LOCKOUT_MAX_FAILURES=2)
    guesser = call(target=apps[0], from_=PHONES[0])
    for guess in ["11111111#", "22222222#", "33333333#"]:
        guesser.press(guess)
    assert guesser.heard("This number has failed verification too many times")

    caller = call(target=apps[1], from_=PHONES[0])
    caller.press(ACCOUNT + "#")

    assert caller.heard("This number has failed verification too many times")
    assert not caller.heard("ending in")  # nothing about the account holder's phone
    assert verify.sent == []


def test_a_phone_on_file_that_cannot_take_texts_does_not_count_against_the_account(workers, call, verify):
    from tests.fakes import verify_error

    apps = workers(LOCKOUT_MAX_FAILURES=1)
    verify.script("send", verify_error(403, 60205))
    caller = call(target=apps[0], from_=PHONES[0])
    caller.press(ACCOUNT + "#")
    assert caller.heard("cannot send a code to the phone number on your account")
    caller = call(target=apps[1], from_=PHONES[1])
    caller.press(ACCOUNT + "#")
    assert caller.heard("ending in 4 2")


def test_callers_racing_on_one_account_from_many_phones_get_one_try_left_between_them(workers, call):
    import threading

    apps = workers(LOCKOUT_MAX_FAILURES=3)
    for phone in PHONES[:2]:
        fail_on_account(call, apps[0], phone)
    racers = 6
    barrier = threading.Barrier(racers)
    heard = []

    def race(index):
        caller = call(target=apps[index % 2], from_=f"+1415555017{index}")
        barrier.wait()
        caller.press(ACCOUNT + "#")
        heard.append("ending in 4 2" if caller.heard("ending in 4 2") else "locked" if caller.heard("This account has failed") else "?")

    threads = [threading.Thread(target=race, args=(index,)) for index in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(heard) == ["ending in 4 2"] + ["locked"] * (racers - 1)


def test_callers_withholding_their_number_share_one_count_for_unknown_accounts(workers, call):
    apps = workers(LOCKOUT_MAX_FAILURES=2)
    caller = call(target=apps[0], from_="anonymous")
    caller.press("11111111#")
    caller.press("22222222#")
    caller = call(target=apps[1], from_="+266696687")
    caller.press("33333333#")
    assert caller.heard("This number has failed verification too many times")
    caller = call(target=apps[1], from_="+14155550165")
    caller.press("33333333#")
    assert caller.heard("Please try again.")
