"""The caller's language (LANGUAGES): offered after the greeting, kept for the whole call, restarts included."""

import pytest

from app import create_app
from app.calls import prompts
from app.simulator.engine import FlaskTransport
from config import TestConfig
from tests.fakes import ScriptedVerify, verify_error

BOTH = {"LANGUAGES": "en-US,es-MX"}


@pytest.fixture
def app(make_app):
    return make_app(**BOTH)


def sends(verify):
    return [form for path, form in verify.requests if path.endswith("/Verifications")]


def said(caller):
    return [event for event in caller.events if event.kind == "say"]


def test_the_greeting_offers_spanish_in_spanish(call, verify):
    caller = call()
    assert caller.heard("confirm that you are calling from your own phone")
    offer = said(caller)[-1]
    assert offer.text == "Para español, oprima 2."
    assert (offer.attrs["voice"], offer.attrs["language"]) == ("Polly.Mia", "es-MX")
    assert caller.listening["numDigits"] == "1"
    assert verify.sent == []  # no code before the caller has chosen


def test_pressing_2_runs_the_whole_call_in_spanish(call, verify):
    caller = call()
    caller.press("2")
    assert caller.heard("Acabamos de enviar un mensaje de texto con un código de 6 dígitos")
    assert {(event.attrs["voice"], event.attrs["language"]) for event in said(caller)[-1:]} == {("Polly.Mia", "es-MX")}
    assert sends(verify)[-1]["Locale"] == "es"
    caller.press("000000")
    assert caller.heard("Ese código no es correcto")
    caller.press(caller.last_code)
    assert caller.heard("Su número de teléfono está verificado")
    assert caller.heard("Hasta luego")
    assert not caller.heard("verified")


def test_a_spanish_caller_hears_the_failure_in_spanish(call):
    caller = call()
    caller.press("2")
    for code in ("000000", "111111", "222222"):
        caller.press(code)
    assert caller.heard("Se ingresó un código incorrecto demasiadas veces")
    assert caller.heard("Llame más tarde")


def test_silence_at_the_menu_keeps_the_default_language(call, verify):
    caller = call()
    caller.silence()
    assert caller.heard("We have just sent a text message")
    assert sends(verify)[-1]["Locale"] == "en"


@pytest.mark.parametrize("key", ["1", "9", "*", "0"])
def test_any_other_key_at_the_menu_keeps_the_default_language(call, key):
    caller = call()
    caller.press(key)
    assert caller.heard("We have just sent a text message")


@pytest.mark.parametrize("digits", ["2" * 5000, "٢", "02", "2x"])
def test_odd_input_at_the_menu_keeps_the_default_language(call, digits):
    caller = call()
    caller.send_raw(Digits=digits)
    assert caller.heard("We have just sent a text message")


def test_the_first_of_languages_is_the_default(make_app, call):
    caller = call(target=make_app(LANGUAGES="es-MX,en-US"))
    assert caller.heard("Gracias por llamar")
    assert said(caller)[-1].text == "For English, press 2."
    caller.press("2")
    assert caller.heard("We have just sent a text message")


def test_the_spanish_choice_survives_a_server_restart(call, verify):
    caller = call()
    caller.press("2")
    caller.press("000000")
    assert caller.heard("no es correcto")

    # A new process: nothing shared with the old one but the settings and Twilio Verify.
    caller.transport = FlaskTransport(create_app(TestConfig, http_client=verify, **BOTH))
    caller.press("111111")
    assert caller.heard("Ese código no es correcto")
    caller.press(caller.last_code)
    assert caller.heard("Su número de teléfono está verificado")


def test_spoken_input_listens_in_the_callers_language(make_app, call):
    caller = call(target=make_app(SPEECH_INPUT=True, **BOTH))
    caller.press("2")
    assert caller.listening["language"] == "es-MX"
    caller.speak(" ".join({"0": "cero", "1": "uno", "2": "dos", "3": "tres", "4": "cuatro", "5": "cinco",
                           "6": "seis", "7": "siete", "8": "ocho", "9": "nueve"}[d] for d in caller.last_code))
    assert caller.heard("verificado")


def test_one_language_has_no_menu_and_leaves_the_locale_to_verify(make_app, call, verify):
    caller = call(target=make_app())
    assert caller.heard("We have just sent a text message")
    assert "Locale" not in sends(verify)[-1]


def test_language_alone_still_sets_the_language(make_app, call):
    caller = call(target=make_app(LANGUAGE="es-MX"))
    assert caller.heard("Gracias por llamar")
    assert caller.heard("Acabamos de enviar")


def test_the_call_state_token_stays_short_with_the_language_in_it(call):
    caller = call()
    caller.press("2")
    assert len(caller.listening["action"]) < 600


@pytest.mark.parametrize(
    "languages, message",
    [
        ("en-US,fr-FR", "LANGUAGES: 'fr-FR' has no prompts"),
        ("en-US,en-US", "LANGUAGES='en-US,en-US' names a language twice"),
        ("en-US,", None),  # a trailing comma is harmless
    ],
)
def test_languages_are_checked_at_start_up(languages, message):
    if message is None:
        assert create_app(TestConfig, http_client=ScriptedVerify(), LANGUAGES=languages)
        return
    with pytest.raises(RuntimeError, match=message):
        create_app(TestConfig, http_client=ScriptedVerify(), LANGUAGES=languages)


def test_a_sentence_missing_in_a_configured_language_fails_at_start_up(monkeypatch):
    monkeypatch.delitem(prompts.PROMPTS["es-MX"], "wrong_code")
    with pytest.raises(RuntimeError) as refused:
        create_app(TestConfig, http_client=ScriptedVerify(), **BOTH)
    assert str(refused.value) == "LANGUAGES: es-MX has no sentence for wrong_code (app/calls/prompts/)"
    # A language not configured is not asked for its sentences.
    assert create_app(TestConfig, http_client=ScriptedVerify())


def test_every_language_has_every_sentence():
    assert {language: prompts.missing(language) for language in prompts.PROMPTS} == {"en-US": [], "es-MX": [], "fr-CA": [], "pt-BR": []}


def test_a_verify_error_for_a_spanish_caller_is_said_in_spanish(call, verify):
    verify.script("send", verify_error(429, 60203))
    caller = call()
    caller.press("2")
    assert caller.heard("Se han pedido demasiados códigos")


FOUR = {"LANGUAGES": "en-US,es-MX,fr-CA,pt-BR"}
# Each language as its caller hears it: the key that picks it, its voice, Verify's Locale, and the call's sentences.
CALLS = {
    "en-US": ("1", "Polly.Joanna", "en", "We have just sent a text message with a 6 digit code",
              "That code is not right", "Your phone number is verified", "Goodbye."),
    "es-MX": ("2", "Polly.Mia", "es", "Acabamos de enviar un mensaje de texto con un código de 6 dígitos",
              "Ese código no es correcto", "Su número de teléfono está verificado", "Hasta luego."),
    "fr-CA": ("3", "Polly.Chantal", "fr", "Nous venons d'envoyer un code à 6 chiffres par message texte",
              "Ce code est incorrect", "Votre numéro de téléphone est vérifié", "Au revoir."),
    "pt-BR": ("4", "Polly.Camila", "pt-BR", "Acabamos de enviar uma mensagem de texto com um código de 6 dígitos",
              "Esse código não está correto", "Seu número de telefone foi verificado", "Até logo."),
}


def test_the_menu_offers_every_language_in_its_own_words_and_voice(make_app, call):
    caller = call(target=make_app(**FOUR))
    assert caller.heard("confirm that you are calling from your own phone")
    assert [(event.text, event.attrs["voice"], event.attrs["language"]) for event in said(caller)[-3:]] == [
        ("Para español, oprima 2.", "Polly.Mia", "es-MX"),
        ("Pour le français, appuyez sur 3.", "Polly.Chantal", "fr-CA"),
        ("Para português, tecle 4.", "Polly.Camila", "pt-BR"),
    ]


@pytest.mark.parametrize("language", CALLS)
def test_a_call_in_each_of_four_languages(make_app, call, verify, language):
    key, voice, locale, code_sent, wrong, verified, goodbye = CALLS[language]
    caller = call(target=make_app(**FOUR))
    caller.press(key)
    assert caller.heard(code_sent)
    assert sends(verify)[-1]["Locale"] == locale
    caller.press("000000")
    assert caller.heard(wrong)
    caller.press(caller.last_code)
    assert caller.heard(verified)
    assert said(caller)[-1].text == goodbye
    assert {(event.attrs["voice"], event.attrs["language"]) for event in said(caller)[-3:]} == {(voice, language)}


@pytest.mark.parametrize(
    "language, key, failure",
    [("fr-CA", "3", "Un code incorrect a été entré trop de fois."), ("pt-BR", "4", "O código foi informado incorretamente muitas vezes.")],
)
def test_a_failed_call_is_told_why_in_the_callers_language(make_app, call, language, key, failure):
    caller = call(target=make_app(**FOUR))
    caller.press(key)
    for code in ("000000", "111111", "222222"):
        caller.press(code)
    assert caller.heard(failure)


@pytest.mark.parametrize(
    "key, words",
    [("3", {"0": "zéro", "1": "un", "2": "deux", "3": "trois", "4": "quatre", "5": "cinq", "6": "six", "7": "sept", "8": "huit", "9": "neuf"}),
     ("4", {"0": "zero", "1": "um", "2": "dois", "3": "três", "4": "quatro", "5": "cinco", "6": "meia", "7": "sete", "8": "oito", "9": "nove"})],
)
def test_a_code_said_in_french_or_portuguese_is_understood(make_app, call, key, words):
    caller = call(target=make_app(SPEECH_INPUT=True, **FOUR))
    caller.press(key)
    caller.speak(" ".join(words[digit] for digit in caller.last_code))
    assert caller.heard("vérifié" if key == "3" else "verificado")
