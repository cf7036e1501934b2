"""Prompts as data: the built-in TOML files, PROMPTS_DIR's overrides and recordings, and `flask prompts`."""

import pytest

from app import create_app
from app.calls.prompts import files
from config import TestConfig
from tests.fakes import ScriptedVerify
from tests.test_cli_call import NO_CREDENTIALS
from tests.test_entry_points import ENTRY_POINTS, run, said

RECORDING = "https://media.example.com/prompts/greeting.mp3"


def heard(caller):
    return [(event.kind, event.text) for event in caller.events if event.kind in {"say", "play"}]


def folder(tmp_path, **texts):
    """A PROMPTS_DIR holding one file per language: `en_US='…TOML…'`."""
    for language, text in texts.items():
        (tmp_path / f"{language.replace('_', '-')}.toml").write_text(text, encoding="utf-8")
    return str(tmp_path)


@pytest.mark.parametrize(
    "language, transcript",
    [
        ("en-US", [
            "Thanks for calling. Before we connect you, we need to confirm that you are calling from your own phone.",
            "Para español, oprima 2.",
            "We have just sent a text message with a 6 digit code to the phone you are calling from. Please enter the code now, then press pound. "
            "If the message did not arrive, press star, then pound, and we will send it again.",
            "That code is not right. Please try again. Please enter the code now, then press pound. "
            "If the message did not arrive, press star, then pound, and we will send it again.",
            "Thank you. Your phone number is verified.",
            "Goodbye.",
        ]),
        ("es-MX", [
            "Thanks for calling. Before we connect you, we need to confirm that you are calling from your own phone.",
            "Para español, oprima 2.",
            "Acabamos de enviar un mensaje de texto con un código de 6 dígitos al teléfono desde el que llama. Por favor, marque el código y después oprima la tecla de gato. "
            "Si no le llegó el mensaje, oprima la tecla de asterisco y después la de gato, y se lo enviaremos de nuevo.",
            "Ese código no es correcto. Inténtelo de nuevo. Por favor, marque el código y después oprima la tecla de gato. "
            "Si no le llegó el mensaje, oprima la tecla de asterisco y después la de gato, y se lo enviaremos de nuevo.",
            "Gracias. Su número de teléfono está verificado.",
            "Hasta luego.",
        ]),
    ],
)
def test_a_call_in_each_language_says_the_sentences_it_always_said(make_app, call, language, transcript):
    caller = call(target=make_app(LANGUAGES="en-US,es-MX"))
    caller.press("1" if language == "en-US" else "2")
    caller.press("000000")
    caller.press(caller.last_code)
    assert [text for kind, text in heard(caller)] == transcript


def test_a_text_sentence_in_prompts_dir_replaces_the_built_in_one_through_flask_call(tmp_path):
    prompts_dir = folder(tmp_path, en_US='[sentences]\napproved = "All set: your number is confirmed."\n')
    app = create_app(TestConfig, **NO_CREDENTIALS, PROMPTS_DIR=prompts_dir)
    result = app.test_cli_runner().invoke(args=["call", "--keys", "code"])
    assert result.exit_code == 0, result.output
    assert 'Say (Polly.Joanna, en-US): "All set: your number is confirmed."' in result.output
    assert "Please enter the code now, then press pound." in result.output  # the others stay built in


def test_a_recording_in_prompts_dir_is_played_in_its_place_among_the_sentences_through_flask_call(tmp_path):
    prompts_dir = folder(tmp_path, en_US=f'[sentences]\nenter_code = "{RECORDING}"\n')
    app = create_app(TestConfig, **NO_CREDENTIALS, PROMPTS_DIR=prompts_dir)
    result = app.test_cli_runner().invoke(args=["call", "--keys", "code"])
    assert result.exit_code == 0, result.output
    first_prompt = [
        'Say (Polly.Joanna, en-US): "We have just sent a text message with a 6 digit code to the phone you are calling from."',
        f"Play: {RECORDING}",
        'Say (Polly.Joanna, en-US): "If the message did not arrive, press star, then pound, and we will send it again."',
    ]
    lines = [line.strip() for line in result.output.splitlines()]
    start = lines.index(first_prompt[0])
    assert lines[start : start + 3] == first_prompt


def test_a_folder_may_add_a_language(make_app, call, tmp_path):
    built_in = files.read(files.BUILT_IN / "en-US.toml")["sentences"]
    sentences = {**built_in, "greeting": "Guten Tag.", "code_sent": "Wir haben Ihnen einen Code mit {length} Ziffern gesendet."}
    text = 'locale = "de"\nvoice = "Polly.Vicki"\n[sentences]\n' + "\n".join(f'"{key}" = {_toml(s)}' for key, s in sentences.items())
    caller = call(target=make_app(LANGUAGE="de-DE", PROMPTS_DIR=folder(tmp_path, de_DE=text)))
    assert caller.heard("Guten Tag. Wir haben Ihnen einen Code mit 6 Ziffern gesendet.")
    greeting = next(event for event in caller.events if event.kind == "say")
    assert (greeting.attrs["voice"], greeting.attrs["language"]) == ("Polly.Vicki", "de-DE")


def _toml(text):
    import json

    return json.dumps(text, ensure_ascii=False)


@pytest.mark.parametrize(
    "files_given, settings, line",
    [
        ({"es_MX": '[sentences]\nwrong_code = "Incorrecto, {length}."\n'}, {"LANGUAGES": "en-US,es-MX"},
         "es-MX.toml: wrong_code: unknown placeholder {length}"),
        ({"en_US": '[sentences]\ncode_sent = "We sent you a code."\n'}, {},
         "en-US.toml: code_sent: lacks the placeholder {length}"),
        ({"en_US": '[sentences]\ngreeting = "Hello {caller."\n'}, {},
         "en-US.toml: greeting: cannot be read: "),
        ({"en_US": '[sentences]\ncode_sent = "A code of {length:{width}} digits."\n'}, {},
         "en-US.toml: code_sent: {length:{width}}: a placeholder is its name alone, in braces"),
        ({"en_US": '[sentences]\ncode_sent = "A code of {length!z} digits."\n'}, {},
         "en-US.toml: code_sent: {length!z}: a placeholder is its name alone, in braces"),
        ({"en_US": '[sentences]\ncode_sent = "A code of {length:%} digits."\n'}, {},
         "en-US.toml: code_sent: {length:%}: a placeholder is its name alone, in braces"),
        ({"en_US": '[sentences]\ngreeting = "http://media.example.com/greeting.mp3"\n'}, {},
         "en-US.toml: greeting: a recording's URL must be https://"),
        ({"en_US": f'[sentences]\ncode_sent = "{RECORDING}"\n'}, {},
         "en-US.toml: code_sent: a recording cannot say {length}: keep this sentence as text"),
        ({"en_US": f'[sentences]\ndot = "{RECORDING}"\n'}, {"VERIFY_BY": "account", "CHANNELS": "sms,email"},
         "en-US.toml: dot: a word said inside other sentences cannot be a recording"),
        ({"en_US": '[sentences]\ngreting = "Hello."\n'}, {},
         "en-US.toml: greting: not a sentence the calls say (a misspelt key?)"),
        ({"en_US": '[sentences]\ngreeting = "Hello.\n'}, {},
         "en-US.toml: cannot be read: "),
        ({"english": '[sentences]\ngreeting = "Hello."\n'}, {},
         "english.toml: not a language file: name it by its language tag, such as en-US.toml"),
        ({"de_DE": 'locale = "de"\nvoice = "Polly.Vicki"\n[sentences]\ngreeting = "Guten Tag."\n'}, {"LANGUAGES": "en-US,de-DE"},
         "de-DE.toml: account_bad_format: missing"),
        ({"de_DE": '[sentences]\ngreeting = "Guten Tag."\n'}, {"LANGUAGES": "en-US,de-DE"},
         "de-DE.toml: locale: a new language needs its locale"),
    ],
)
def test_a_bad_prompts_folder_is_refused_at_start_up_naming_the_file_and_the_key(tmp_path, files_given, settings, line):
    prompts_dir = folder(tmp_path, **files_given)
    with pytest.raises(RuntimeError) as refused:
        create_app(TestConfig, http_client=ScriptedVerify(), PROMPTS_DIR=prompts_dir, **settings)
    message = str(refused.value)
    assert message.startswith(f"PROMPTS_DIR: {tmp_path}/{line}") and "\n" not in message


def test_a_language_off_is_not_asked_for_and_a_feature_off_needs_no_sentence(tmp_path):
    lacking_callback = {key: sentence for key, sentence in files.read(files.BUILT_IN / "en-US.toml")["sentences"].items() if "callback" not in key}
    text = 'locale = "de"\nvoice = "Polly.Vicki"\n[sentences]\n' + "\n".join(f'"{key}" = {_toml(s)}' for key, s in lacking_callback.items())
    prompts_dir = folder(tmp_path, de_DE=text, es_MX='[sentences]\nwrong_code = "{nonsense}"\n')
    assert create_app(TestConfig, http_client=ScriptedVerify(), PROMPTS_DIR=prompts_dir, LANGUAGES="de-DE,en-US")
    with pytest.raises(RuntimeError, match=r"de-DE.toml: callback_answered: missing"):
        create_app(TestConfig, http_client=ScriptedVerify(), PROMPTS_DIR=prompts_dir, LANGUAGES="de-DE,en-US", CALLBACK=True,
                   RISK_CHECKS="line_type", ALLOWED_COUNTRIES="US")


def test_a_bad_prompts_folder_is_one_line_without_a_traceback_from_every_entry_point(tmp_path):
    prompts_dir = folder(tmp_path, en_US='[sentences]\ngreeting = "http://media.example.com/greeting.mp3"\n')
    done = run(ENTRY_POINTS["flask db upgrade"], APP_ENV="development", PROMPTS_DIR=prompts_dir, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    assert said(done) == [f"Error: PROMPTS_DIR: {tmp_path}/en-US.toml: greeting: a recording's URL must be https://"]
    assert done.returncode == 1


def test_export_then_check_round_trips_and_check_names_each_problem(tmp_path):
    app = create_app(TestConfig, http_client=ScriptedVerify())
    cli = app.test_cli_runner()
    exported = cli.invoke(args=["prompts", "export", str(tmp_path / "prompts")])
    assert exported.exit_code == 0, exported.output
    assert sorted(path.name for path in (tmp_path / "prompts").iterdir()) == ["en-US.toml", "es-MX.toml", "fr-CA.toml", "pt-BR.toml"]
    assert (tmp_path / "prompts" / "en-US.toml").read_text() == (files.BUILT_IN / "en-US.toml").read_text()  # comments and all
    checked = cli.invoke(args=["prompts", "check", str(tmp_path / "prompts")])
    assert (checked.exit_code, checked.output) == (0, f"{tmp_path / 'prompts'}: fit for en-US, es-MX, fr-CA, pt-BR\n")

    spanish = tmp_path / "prompts" / "es-MX.toml"
    spanish.write_text(spanish.read_text().replace("{length} dígitos", "{largo} dígitos", 1).replace('goodbye = "Hasta luego."', 'goodbye = "http://x.example/hasta-luego.mp3"'))
    checked = cli.invoke(args=["prompts", "check", str(tmp_path / "prompts")])
    assert checked.exit_code == 1
    assert checked.output.splitlines() == [
        f"{spanish}: code_sent: unknown placeholder {{largo}}",
        f"{spanish}: code_sent: lacks the placeholder {{length}}",
        f"{spanish}: goodbye: a recording's URL must be https://",
    ]
    again = cli.invoke(args=["prompts", "export", str(tmp_path / "prompts")])
    assert again.exit_code == 1 and "already there: export into an empty folder" in again.output
