"""An account that keeps failing is locked out whichever phone calls; guessing accounts locks the guessing phone."""

import datetime

import pytest

from app.storage.accounts import OnFile
from tests.conftest import BACKENDS, SLOW_MACHINE_DATABASE_TIMEOUT

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

ACCOUNT = "12345678"
ON_FILE = "+14155550142"
PHONES = ["+14155550161", "+14155550162", "+14155550163", "+14155550164"]
TOO_MANY_ENTRIES = "Too many account numbers have been entered from this phone, so we cannot look one up right now."


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
    result = apps[0].test_cli_runner().invoke(args=["verifications", "unlock", "--account", ACCOUNT])
    assert result.exit_code == 0, result.output
    assert result.output == "Account: was not locked out.\nIts phone on file, +1•••••••42: was not locked out.\n"


def test_unlock_of_an_unknown_account_fails(workers):
    apps = workers()
    result = apps[0].test_cli_runner().invoke(args=["verifications", "unlock", "--account", "87654321"])
    assert result.exit_code == 1
    assert result.output == "Error: no such account: nothing to unlock\n"


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

    assert caller.heard(TOO_MANY_ENTRIES)
    caller = call(target=apps[1], from_=PHONES[0])
    caller.press("44444444#")
    assert caller.heard(TOO_MANY_ENTRIES)
    assert verify.sent == []


def test_three_unknown_accounts_in_one_call_are_what_the_phones_next_call_is_told_of(workers, call, records):
    apps = workers(FAILURE_NEXT_STEP="+14155550177")
    guesser = call(target=apps[0], from_=PHONES[0])
    for guess in ["11111111#", "22222222#", "33333333#"]:
        guesser.press(guess)
    assert guesser.heard("We could not find your account.")

    caller = call(target=apps[1], from_=PHONES[0])
    caller.press(ACCOUNT + "#")

    assert caller.heard(TOO_MANY_ENTRIES)
    assert not caller.heard("code")  # none was ever sent
    assert caller.agent_heard == ["Caller not verified: too many account numbers were keyed from their phone."]
    assert records()[-1]["reason"] == "unknown_accounts"


def test_a_phone_locked_out_for_guessing_cannot_go_on_to_a_known_account(workers, call, verify):
    apps = workers(LOCKOUT_MAX_FAILURES=2)
    guesser = call(target=apps[0], from_=PHONES[0])
    for guess in ["11111111#", "22222222#", "33333333#"]:
        guesser.press(guess)
    assert guesser.heard(TOO_MANY_ENTRIES)

    caller = call(target=apps[1], from_=PHONES[0])
    caller.press(ACCOUNT + "#")

    assert caller.heard(TOO_MANY_ENTRIES)
    assert not caller.heard("ending in")  # nothing about the account holder's phone
    assert verify.sent == []


def test_unlocking_the_guessing_phone_lets_it_key_account_numbers_again(workers, call):
    apps = workers(LOCKOUT_MAX_FAILURES=1)
    guesser = call(target=apps[0], from_=PHONES[0])
    guesser.press("11111111#")
    guesser.press("22222222#")
    assert guesser.heard(TOO_MANY_ENTRIES)

    result = apps[1].test_cli_runner().invoke(args=["verifications", "unlock", PHONES[0]])
    assert result.output == "+1•••••••61: was not locked out.\nIts account numbers keyed: lockout lifted.\n"
    caller = call(target=apps[1], from_=PHONES[0])
    caller.press(ACCOUNT + "#")
    assert caller.heard("ending in 4 2")


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


def not_found(callers):
    """How many account numbers the callers keyed were not found (the last of a call ends it)."""
    said = ("We could not find", "No encontramos")
    return sum(event.text.startswith(said) for caller in callers for event in caller.events)


@pytest.mark.parametrize("verify_by", ["account_or_caller_id", "account"])
def test_an_approval_gives_the_guessing_phone_no_more_unknown_accounts(workers, call, verify_by):
    apps = workers(LOCKOUT_MAX_FAILURES=3, VERIFY_BY=verify_by)
    apps[0].test_cli_runner().invoke(args=["accounts", "add", "55556666", PHONES[0]])  # the guesser's own account
    guesser = call(target=apps[0], from_=PHONES[0])
    guesser.press("11111111#")
    guesser.press("22222222#")
    guesser.press("#" if verify_by == "account_or_caller_id" else "55556666#")
    guesser.press(guesser.last_code)
    assert guesser.heard("verified")

    again = call(target=apps[1], from_=PHONES[0])
    again.press("33333333#")
    assert again.heard("Please try again.")
    again.press("44444444#")

    assert again.heard(TOO_MANY_ENTRIES)
    assert not_found([guesser, again]) == 3


def test_calls_racing_from_one_phone_look_up_no_more_accounts_than_the_ceiling(workers, call, verify):
    import threading

    racers = 12
    known = {f"{70000000 + index}": f"+1415555018{index % 10}" for index in range(0, racers, 2)}
    gate = threading.Condition()
    looked_up, answered = [], []

    class Accounts:
        """A slow CRM: each lookup waits until every racing call is either in a lookup or answered."""

        def on_file(self, account_number, call_sid):
            with gate:
                looked_up.append(account_number)
                gate.notify_all()
                assert gate.wait_for(lambda: len(looked_up) + len(answered) >= racers, timeout=30)
            return OnFile(known[account_number]) if account_number in known else None

    apps = workers(account_source=Accounts())
    barrier = threading.Barrier(racers)

    def race(index):
        caller = call(target=apps[index % 2], from_=PHONES[0])
        barrier.wait()
        caller.press(f"{70000000 + index}#")
        with gate:
            if not caller.heard("ending in") and not caller.heard("Please try again."):
                answered.append(caller.heard(TOO_MANY_ENTRIES))
            gate.notify_all()

    threads = [threading.Thread(target=race, args=(index,)) for index in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(looked_up) == 3  # LOCKOUT_MAX_FAILURES
    assert answered == [True] * (racers - 3)
    assert len(verify.sent) <= 3


def test_one_withheld_caller_guessing_does_not_lock_the_next_one_out(workers, call):
    apps = workers()
    guesser = call(target=apps[0], from_="anonymous")
    for guess in ["11111111#", "22222222#", "33333333#"]:
        guesser.press(guess)
    assert guesser.heard("We could not find your account.")

    caller = call(target=apps[1], from_="+266696687")  # ANONYMOUS on a keypad
    caller.press(ACCOUNT + "#")

    assert caller.heard("ending in 4 2")


def test_the_supervisor_sees_withheld_callers_locked_only_past_their_own_ceiling(workers, call):
    from app.storage import database, lockout

    apps = workers()
    guesser = call(target=apps[0], from_="anonymous")
    for guess in ["11111111#", "22222222#", "33333333#"]:
        guesser.press(guess)

    def locked_rows():
        with apps[0].app_context(), database.connect() as connection:
            return lockout.locked_numbers(connection, 3, 3600)

    assert locked_rows() == 0  # 3 of the 10 withheld callers share
    for turn in range(3):
        caller = call(target=apps[1], from_="restricted")
        for guess in range(3):
            if caller.listening:
                caller.press(f"{turn}{guess}000000#")
    assert locked_rows() == 1


@pytest.mark.parametrize(
    "language, sentence",
    [
        ("en-US", "We could not verify this account right now. Please call again with your number shown."),
        ("es-MX", "No pudimos verificar esta cuenta en este momento. Por favor, vuelva a llamar sin ocultar su número."),
    ],
)
def test_withheld_callers_share_a_short_ceiling_and_hear_why(workers, call, monkeypatch, language, sentence):
    from app.storage import lockout, records

    apps = workers(LANGUAGE=language)
    spellings = ["anonymous", "unknown", "restricted", "", "+7378742833", "+8656696"]
    callers = []
    for turn in range(4):  # 4 calls of 3 guesses: more than the shared count admits
        callers.append(call(target=apps[turn % 2], from_=spellings[turn]))
        for guess in range(3):
            if callers[-1].listening:
                callers[-1].press(f"{turn}{guess}000000#")

    assert not_found(callers) == lockout.WITHHELD_ENTRIES
    assert callers[-1].heard(sentence)
    assert not callers[-1].heard("This number")
    late = call(target=apps[0], from_=spellings[4])
    late.press(ACCOUNT + "#")
    assert late.heard(sentence)

    started = records.now()
    monkeypatch.setattr(records, "now", lambda: started + datetime.timedelta(seconds=lockout.WITHHELD_WINDOW + 1))
    caller = call(target=apps[1], from_=spellings[5])
    caller.press(ACCOUNT + "#")
    assert caller.heard("4 2")  # the code went to the phone on file, "ending in 4 2"
