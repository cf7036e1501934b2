"""Everything the caller hears: one TOML file per language (en-US.toml), PROMPTS_DIR's files over them."""

from flask import current_app

from app import emails
from app.calls.prompts import files
from app.calls.prompts.files import PromptsError, is_recording

_BUILT_IN = files.read_folder(files.BUILT_IN)

# Language -> key -> sentence, as built in.
PROMPTS = {language: book["sentences"] for language, book in _BUILT_IN.items()}

# The <Say> voice of each language, unless VOICE names another that speaks it.
VOICES = {language: book["voice"] for language, book in _BUILT_IN.items()}

# Verify's Locale for the text message in each language.
LOCALES = {language: book["locale"] for language, book in _BUILT_IN.items()}

# The sentences only a feature says: not needed of a language while it is off.
FEATURE_KEYS = {
    "callback": lambda key: key.startswith(("callback_", "failed:callback_")),
    "whatsapp": lambda key: key.endswith(":whatsapp"),
    "email": lambda key: "email" in key or key == "dot",
}


def languages(config):
    """The languages a caller may choose, the default first: LANGUAGES, or LANGUAGE alone."""
    chosen = [part.strip() for part in config.get("LANGUAGES", "").split(",") if part.strip()]
    return tuple(chosen) or (config.get("LANGUAGE", "en-US"),)


def missing(language, required=None):
    """The keys of `required` (every sentence any language has) that `language` lacks, sorted."""
    if required is None:
        required = set().union(*PROMPTS.values())
    return sorted(set(required) - set(PROMPTS.get(language, {})))


def load(config):
    """The books (language -> locale, voice, sentences) the app speaks from: the built-in ones, PROMPTS_DIR's over them."""
    built_in = {language: dict(_BUILT_IN.get(language, {"file": str(files.BUILT_IN)}), sentences=PROMPTS[language]) for language in PROMPTS}
    for language, book in built_in.items():
        book.update(locale=LOCALES.get(language), voice=VOICES.get(language))
    return files.merge(built_in, files.read_folder(config["PROMPTS_DIR"]) if config.get("PROMPTS_DIR") else {})


def needed(config):
    """The keys every enabled language must have for the enabled features."""
    enabled = {"callback": bool(config.get("CALLBACK")), **{channel: channel in config.get("CHANNELS", "") for channel in ("whatsapp", "email")}}
    return {key for key in PROMPTS["en-US"] if not any(not on and FEATURE_KEYS[feature](key) for feature, on in enabled.items())}


def check(books, config, languages):
    """One line for each thing wrong with `languages` in `books` under `config`'s features."""
    return files.problems(books, languages, needed(config), PROMPTS["en-US"])


def _books(config=None):
    """The books of the app (or of `config`), or the built-in ones outside of one."""
    config = config if config is not None else (current_app.config if current_app else {})
    return config.get("PROMPT_BOOKS") or {language: {"sentences": PROMPTS[language], "voice": VOICES[language], "locale": LOCALES[language]} for language in PROMPTS}


def locale(language):
    """Verify's Locale for a text message in `language`."""
    return _books()[language]["locale"]


def voice(config, language=None):
    """The <Say> voice of a language (the default one if None): VOICE for the default, else the language's own."""
    books = _books(config)
    if language is None or language == config["LANGUAGE"]:
        default = books.get(config["LANGUAGE"], books["en-US"])
        return config["VOICE"] or default["voice"]
    return books[language]["voice"]


def sentence(key, language=None):
    """The sentence `key` in `language` (or the configured one) as written: text with its placeholders, or a recording's URL."""
    books = _books()
    language = language or current_app.config["LANGUAGE"]
    return books.get(language, books["en-US"])["sentences"][key]


def text(key, language=None, **values):
    """The sentence `key` in `language`, or the configured one."""
    return sentence(key, language).format(**values)


def spoken_domain(address, language=None):
    """The domain of an email address as `language` says it: 'example dot com'."""
    return f" {text('dot', language)} ".join(emails.domain(address).split("."))


def failure(reason, method=""):
    """The key of a failure's sentence: for a number the flow or agent named, its own where the caller's would say "the number you are calling from"."""
    named = f"failed:{reason}:named"
    return named if method == "named_number" and named in PROMPTS["en-US"] else f"failed:{reason}"


def say(twiml, *keys, language=None, **values):
    """Add the sentences `keys` to a TwiML verb in order: the text ones in a row as one <Say> in the voice of `language`, each recording as a <Play>."""
    config = current_app.config
    language = language or config["LANGUAGE"]
    said = []
    for key in keys:
        if is_recording(recording := sentence(key, language)):
            _say(twiml, said, config, language)
            twiml.play(recording)
        else:
            said.append(recording.format(**values))
    _say(twiml, said, config, language)


def _say(twiml, said, config, language):
    """Add the sentences gathered so far as one <Say>, and forget them."""
    if said:
        twiml.say(" ".join(said), voice=voice(config, language), language=language)
        said.clear()
