"""Everything the caller hears: one module per language, gathered here by language tag."""

from flask import current_app

from app import emails
from app.calls.prompts import en_US, es_MX

_LANGUAGES = (en_US, es_MX)

# Language -> key -> sentence.
PROMPTS = {module.LANGUAGE: module.SENTENCES for module in _LANGUAGES}

# The <Say> voice of each language, unless VOICE names another that speaks it.
VOICES = {module.LANGUAGE: module.VOICE for module in _LANGUAGES}

# Verify's Locale for the text message in each language.
LOCALES = {module.LANGUAGE: module.LOCALE for module in _LANGUAGES}


def languages(config):
    """The languages a caller may choose, the default first: LANGUAGES, or LANGUAGE alone."""
    chosen = [part.strip() for part in config.get("LANGUAGES", "").split(",") if part.strip()]
    return tuple(chosen) or (config.get("LANGUAGE", "en-US"),)


def missing(language, required=None):
    """The keys of `required` (every sentence any language has) that `language` lacks, sorted."""
    if required is None:
        required = set().union(*PROMPTS.values())
    return sorted(set(required) - set(PROMPTS.get(language, {})))


def voice(config, language=None):
    """The <Say> voice of a language (the default one if None): VOICE for the default, else the language's own."""
    if language is None or language == config["LANGUAGE"]:
        return config["VOICE"] or VOICES.get(config["LANGUAGE"], VOICES["en-US"])
    return VOICES[language]


def text(key, language=None, **values):
    """The sentence `key` in `language`, or the configured one."""
    prompts = PROMPTS.get(language or current_app.config["LANGUAGE"], PROMPTS["en-US"])
    return prompts[key].format(**values)


def spoken_domain(address, language=None):
    """The domain of an email address as `language` says it: 'example dot com'."""
    return f" {text('dot', language)} ".join(emails.domain(address).split("."))


def failure(reason, method=""):
    """The key of a failure's sentence: for a number the flow or agent named, its own where the caller's would say "the number you are calling from"."""
    named = f"failed:{reason}:named"
    return named if method == "named_number" and named in en_US.SENTENCES else f"failed:{reason}"


def say(twiml, *keys, language=None, **values):
    """Add the sentences `keys` to a TwiML verb as one <Say> in the voice of `language` (default: the configured one)."""
    config = current_app.config
    language = language or config["LANGUAGE"]
    sentence = " ".join(text(key, language, **values) for key in keys)
    twiml.say(sentence, voice=voice(config, language), language=language)
