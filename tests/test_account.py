"""Verification by account: the caller keys an account number, the code goes to the phone on file."""

import json
import logging
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import sqlalchemy

from app.storage.accounts import OnFile, account_hash
from app.storage.tables import accounts
from tests.conftest import CALLER
from tests.fakes import verify_error

ACCOUNT = "12345678"
ON_FILE = "+14155550142"
KEY = "a-shared-secret-the-pbx-also-knows-0123456789"


@pytest.fixture
def by_account(make_app):
    """An app verifying by account, with ACCOUNT on file at ON_FILE."""

    def build(**settings):
        settings.setdefault("VERIFY_BY", "account")
        app = make_app(**settings)
        result = app.test_cli_runner().invoke(args=["accounts", "add", ACCOUNT, ON_FILE])
        assert result.exit_code == 0, result.output
        return app

    return build


def test_the_code_goes_to_the_phone_on_file_not_the_phone_called_from(by_account, call, verify):
    app = by_account()
    caller = call(target=app)
    assert caller.heard("confirm that you are the account holder")
    assert caller.heard("Please enter your account number, then press pound.")

    caller.press(ACCOUNT + "#")

    assert caller.heard("We have sent a code to the phone number on your account ending in 4 2.")
    assert [to for to, _ in verify.sent] == [ON_FILE]
    caller.press(caller.last_code)
    assert caller.heard("Thank you. You are verified as the account holder.")


def test_the_verdict_says_by_account_and_carries_the_accounts_hashed_reference(by_account, call):
    app = by_account(SUCCESS_NEXT_STEP="https://menu.example.com/main", VERDICT_SIGNING_KEY=KEY)
    caller = call(target=app)
    caller.press(ACCOUNT + "#")
    caller.press(caller.last_code)

    url = caller.end_reason.removeprefix("sent to another host, not followed: ")
    verdict = jwt.decode(parse_qs(urlsplit(url).query)["verdict"][0], KEY, algorithms=["HS256"])
    assert (verdict["status"], verdict["method"], verdict["number"]) == ("approved", "account", "+1•••••••42")
    assert verdict["account"] == account_hash(ACCOUNT, "test-secret-key")
    assert ACCOUNT not in url


@pytest.mark.parametrize("keys, method", [(ACCOUNT + "#", "account"), ("#", "caller_id")])
def test_an_a_attested_call_keeps_its_attestation_past_the_account_step(by_account, call, verify, records, keys, method):
    app = by_account(
        VERIFY_BY="account_or_caller_id", STIR_POLICY="require-a", SUCCESS_NEXT_STEP="https://menu.example.com/main", VERDICT_SIGNING_KEY=KEY
    )
    caller = call(target=app, params={"StirVerstat": "TN-Validation-Passed-A"})
    del caller.fields["StirVerstat"]  # Twilio sends it to /voice; the later webhooks need not repeat it
    caller.press(keys)
    assert len(verify.sent) == 1
    caller.press(caller.last_code)

    url = caller.end_reason.removeprefix("sent to another host, not followed: ")
    verdict = jwt.decode(parse_qs(urlsplit(url).query)["verdict"][0], KEY, algorithms=["HS256"])
    assert (verdict["status"], verdict["method"], verdict["attestation"]) == ("approved", method, "TN-Validation-Passed-A")
    assert records()[-1]["stir_verstat"] == "TN-Validation-Passed-A"


def test_flex_task_attributes_carry_the_account_reference(by_account, call):
    app = by_account(SUCCESS_NEXT_STEP="flex:WW" + "0" * 32)
    caller = call(target=app)
    caller.press(ACCOUNT + "#")
    caller.press(caller.last_code)
    task = [event for event in caller.events if event.kind == "enqueue"][-1].attrs["task"]
    attributes = json.loads(task)["verification"]
    assert (attributes["method"], attributes["account"]) == ("account", account_hash(ACCOUNT, "test-secret-key"))
    assert len(task) <= 1024


def test_an_unknown_account_is_asked_again_and_no_code_is_sent(by_account, call, verify):
    caller = call(target=by_account())
    caller.press("99999999#")
    assert caller.heard("We could not find an account with that number. Please try again.")
    assert verify.sent == []
    assert caller.listening


@pytest.mark.parametrize(
    "keys",
    ["123#", "*#", "1234*5678#", "1" * 200 + "#", "١٢٣٤٥٦٧٨#", "12345678901234#"],
    ids=["too short", "star", "star inside", "200 digits", "unicode digits", "too long"],
)
def test_what_is_no_account_number_gets_a_sentence_and_another_try(by_account, call, verify, keys):
    caller = call(target=by_account())
    caller.press(keys)
    assert caller.heard("Account numbers have 6 to 12 digits.")
    assert caller.listening
    assert verify.sent == []


def test_a_fixed_length_is_said_as_one_number(by_account, call):
    caller = call(target=by_account(ACCOUNT_MIN_DIGITS=8, ACCOUNT_MAX_DIGITS=8))
    caller.press("123#")
    assert caller.heard("Account numbers have 8 digits.")


def test_silence_is_asked_again_then_the_call_goes_on_to_the_fallback(by_account, call):
    caller = call(target=by_account(FAILURE_NEXT_STEP="+14155550100"))
    caller.press("")
    assert caller.heard("We did not hear anything. Please enter your account number")
    caller.press("")
    caller.press("")
    assert caller.heard("We did not receive an account number.")
    assert caller.heard("connect you to an agent")
    assert caller.dialed == ["+14155550100"]


def test_three_entries_that_find_no_account_end_the_call(by_account, call):
    caller = call(target=by_account())
    for keys in ["99999999#", "123#", "88888888#"]:
        caller.press(keys)
    assert caller.heard("We could not find your account. Please call back later")
    assert caller.ended


def test_a_phone_on_file_that_cannot_take_texts_is_told_and_recorded(by_account, call, verify, records):
    verify.script("send", verify_error(403, 60205))
    caller = call(target=by_account())
    caller.press(ACCOUNT + "#")
    assert caller.heard("We cannot send a code to the phone number on your account, so we cannot verify you this way.")
    assert caller.heard("contact us another way")
    assert records()[-1]["reason"] == "phone_on_file_unusable"


def test_a_malformed_phone_from_the_source_is_told_and_recorded(make_app, call, records, verify):
    class Source:
        def on_file(self, account_number, call_sid="-"):
            return OnFile("0800 FLOWERS")

    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig, http_client=verify, account_source=Source(), VERIFY_BY="account")
    caller = call(target=app)
    caller.press(ACCOUNT + "#")
    assert caller.heard("We cannot send a code to the phone number on your account")
    assert records()[-1]["reason"] == "phone_on_file_unusable"
    assert verify.sent == []


def test_without_an_account_pound_verifies_by_caller_id(by_account, call, verify):
    caller = call(target=by_account(VERIFY_BY="account_or_caller_id"))
    assert caller.heard("If you have no account number, just press pound.")
    caller.press("#")
    assert caller.heard("sent a text message with a 6 digit code to the phone you are calling from")
    assert [to for to, _ in verify.sent] == [CALLER]
    caller.press(caller.last_code)
    assert caller.heard("Your phone number is verified.")


def test_with_verify_by_account_pound_alone_is_no_account_number(by_account, call, verify):
    caller = call(target=by_account())
    caller.press("#")
    assert caller.heard("Account numbers have 6 to 12 digits.")
    assert verify.sent == []


def test_the_account_step_speaks_spanish(by_account, call):
    caller = call(target=by_account(LANGUAGE="es-MX"))
    assert caller.heard("Marque su número de cuenta")
    caller.press(ACCOUNT + "#")
    assert caller.heard("teléfono registrado en su cuenta, que termina en 4 2")


def test_a_database_dump_shows_neither_the_account_number_nor_the_phone(by_account, db):
    by_account()
    with db.connect() as connection:
        rows = [dict(row) for row in connection.execute(sqlalchemy.select(accounts)).mappings()]
    dump = repr(rows)
    assert len(rows) == 1
    assert ACCOUNT not in dump and ON_FILE.lstrip("+") not in dump and "5550142" not in dump


def test_no_log_line_holds_the_account_number_or_the_phone_on_file(by_account, call, caplog):
    caplog.set_level(logging.DEBUG)
    caller = call(target=by_account())
    caller.press("99999999#")
    caller.press(ACCOUNT + "#")
    caller.press(caller.last_code)
    assert caplog.records
    text = caplog.text
    assert ACCOUNT not in text and "99999999" not in text and ON_FILE not in text


def test_every_sentence_exists_in_every_language():
    from app.calls.prompts import PROMPTS

    keys = [set(sentences) for sentences in PROMPTS.values()]
    assert all(each == keys[0] for each in keys)
    assert {"enter_account", "account_code_sent", "failed:phone_on_file_unusable"} <= keys[0]


@pytest.mark.parametrize(
    "keys, whisper",
    [
        ([ACCOUNT + "#", "code"], "Verified account holder."),
        (["99999999#", "88888888#", "77777777#"], "Caller not verified: no account was found for the numbers entered."),
    ],
)
def test_the_agent_hears_how_the_account_holder_was_or_was_not_verified(by_account, call, keys, whisper):
    app = by_account(SUCCESS_NEXT_STEP="+14155550100", FAILURE_NEXT_STEP="+14155550100")
    caller = call(target=app)
    for step in keys:
        caller.press(caller.last_code if step == "code" else step)
    assert caller.agent_heard == [whisper]


def test_phone_on_file_unusable_is_the_longest_reason_by_account_the_one_measured_below():
    from app.calls.handoff.whisper import WHISPERS
    from tests.test_handoff import RISK  # measured in tests/test_risk_checks.py

    assert max(set(WHISPERS["en-US"]["reasons"]) - RISK, key=len) == "phone_on_file_unusable"


@pytest.mark.parametrize("send", [None, verify_error(403, 60205)], ids=["too_many_attempts", "phone_on_file_unusable"])
def test_by_account_the_sip_headers_and_task_stay_under_twilios_limits_with_the_longest_values(by_account, call, verify, send):
    from tests.test_handoff import WORST_ATTESTATION

    for step in ("sip:desk@pbx.example.com;transport=tls", "flex:WW" + "0" * 32):
        app = by_account(SUCCESS_NEXT_STEP=step, FAILURE_NEXT_STEP=step, VERDICT_SIGNING_KEY=KEY, MAX_ATTEMPTS=1)
        if send:
            verify.script("send", send)
        caller = call(target=app, from_="+998901234567", params={"StirVerstat": WORST_ATTESTATION})
        caller.press(ACCOUNT + "#")
        if not send:
            caller.press("000000")
        document = [event for event in caller.events if event.kind == "webhook"][-1].attrs["twiml"]
        from app.simulator import validate

        root = validate(document)
        sip, task = root.find(".//Sip"), root.find(".//Task")
        measured = sip.text.split("?", 1)[1] if sip is not None else task.text
        assert len(measured) < 1024
        if sip is not None:
            assert f"X-Verification-Attestation={WORST_ATTESTATION}" in measured and "X-Verification-Token" in measured


def test_with_several_languages_the_caller_chooses_before_keying_the_account_and_keeps_it(by_account, call, verify):
    caller = call(target=by_account(LANGUAGES="en-US,es-MX"))
    assert caller.heard("confirm that you are the account holder")
    assert caller.heard("Para español, oprima 2.")
    caller.press("2")
    assert caller.heard("Marque su número de cuenta")
    caller.press(ACCOUNT + "#")
    assert caller.heard("teléfono registrado en su cuenta, que termina en 4 2")
    assert not caller.heard("oprima 2")  # no second language menu in the subflow
    assert verify.requests[-1][1]["Locale"] == "es"
    caller.press(caller.last_code)
    assert caller.heard("Confirmamos que usted es titular de la cuenta.")


@pytest.mark.parametrize("keys, verified", [(ACCOUNT + "#", "usted es titular de la cuenta"), ("#", "está verificado")], ids=["account", "caller ID"])
def test_with_one_language_verify_picks_the_texts_language_and_the_call_speaks_the_configured_one(by_account, call, verify, keys, verified):
    caller = call(target=by_account(VERIFY_BY="account_or_caller_id", LANGUAGE="es-MX"))
    caller.press(keys)
    assert caller.heard("un código")
    assert "Locale" not in verify.requests[-1][1]
    caller.press(caller.last_code)
    assert caller.heard(verified)


def test_the_account_number_can_be_spoken(by_account, call, verify):
    caller = call(target=by_account(SPEECH_INPUT=True))
    assert caller.listening["input"] == "dtmf speech"
    assert caller.heard("Please key in or say your account number")
    caller.speak("one two three four, five six seven eight.")
    assert caller.heard("ending in 4 2")
    assert [to for to, _ in verify.sent] == [ON_FILE]


def test_saying_no_account_is_pressing_pound_alone(by_account, call, verify):
    caller = call(target=by_account(VERIFY_BY="account_or_caller_id", SPEECH_INPUT=True))
    assert caller.heard("press pound or say no account")
    caller.speak("I have no account")
    assert caller.heard("sent a text message with a 6 digit code to the phone you are calling from")
    assert [to for to, _ in verify.sent] == [CALLER]



@pytest.mark.parametrize(
    "language, asked, answer, sent",
    [("es-MX", "oprima la tecla de gato o diga: no tengo cuenta", "No tengo cuenta", "Acabamos de enviar un mensaje de texto con un código de 6 dígitos"),
     ("fr-CA", "appuyez sur le carré ou dites : aucun compte", "Je n'ai aucun compte", "Nous venons d'envoyer un code à 6 chiffres"),
     ("pt-BR", "tecle jogo da velha ou diga: não tenho conta", "Eu não tenho conta", "Acabamos de enviar uma mensagem de texto com um código de 6 dígitos")],
)
def test_saying_no_account_in_spanish_french_or_portuguese_is_pressing_pound_alone(by_account, call, verify, language, asked, answer, sent):
    caller = call(target=by_account(VERIFY_BY="account_or_caller_id", SPEECH_INPUT=True, LANGUAGE=language))
    assert caller.heard(asked)
    caller.speak(answer)
    assert caller.heard(sent)
    assert [to for to, _ in verify.sent] == [CALLER]


def test_speech_that_is_no_number_is_a_wrong_entry(by_account, call, verify):
    caller = call(target=by_account(SPEECH_INPUT=True))
    caller.speak("what is this")
    assert caller.heard("Account numbers have 6 to 12 digits.")
    assert verify.sent == []
