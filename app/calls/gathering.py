"""Asking for digits and reading them back: keyed in, or spoken where SPEECH_INPUT allows."""

import re

from flask import current_app

# Google's class token for a run of digits, and a model made for numbers and short commands:
# Twilio's generic speechModel values for digit entry.
DIGIT_HINTS = "$OOV_CLASS_DIGIT_SEQUENCE"
SPEECH_MODEL = "numbers_and_commands"

# Words for digits (and the star key), in every language the prompts speak.
WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "cero": "0", "uno": "1", "un": "1", "dos": "2", "tres": "3", "cuatro": "4",
    "cinco": "5", "seis": "6", "siete": "7", "ocho": "8", "nueve": "9",
    "zéro": "0", "une": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "six": "6", "sept": "7", "huit": "8", "neuf": "9",
    # Brazilians say "meia" (half a dozen) for six when reading out numbers.
    "um": "1", "uma": "1", "dois": "2", "duas": "2", "três": "3", "quatro": "4", "meia": "6", "sete": "7", "oito": "8", "nove": "9",
    "star": "*", "asterisk": "*", "asterisco": "*", "étoile": "*",
}
REPEATS = {"double": 2, "triple": 3, "doble": 2}
# Twilio's SpeechResult punctuation and the separators people say digits with.
SEPARATORS = re.compile(r"[\s,.;:!?¿¡\-–—/()\"']+")
ASCII_DIGITS = re.compile(r"[0-9]+")


class NotUnderstood(ValueError):
    """Speech that does not read as digits."""


def digits_gather(response, action, language, num_digits=None, **attributes):
    """Add to `response` a <Gather> for digits ending on '#', which also listens for speech if SPEECH_INPUT is on."""
    config = current_app.config
    options = {"finish_on_key": "#", "timeout": config["GATHER_TIMEOUT"], "action": action, "method": "POST", **attributes}
    if num_digits:
        options["num_digits"] = num_digits
    if config.get("SPEECH_INPUT"):
        options.update(
            input="dtmf speech", hints=DIGIT_HINTS, speech_model=SPEECH_MODEL, speech_timeout="auto", language=language
        )
    else:
        options["input"] = "dtmf"
    return response.gather(**options)


def entered(form):
    """What the caller entered at a digits Gather: Digits, or SpeechResult read as digits ('' for nothing; NotUnderstood)."""
    digits = form.get("Digits", "").strip()
    if digits or "SpeechResult" not in form:
        return digits
    return spoken_digits(form["SpeechResult"])


def spoken_digits(speech):
    """The digits in a speech transcript: "six eight oh" -> "680", "double five" -> "55", "123 456." -> "123456"."""
    digits, repeat = "", 1
    for word in SEPARATORS.split(speech.lower()):
        if not word:
            continue
        if word in REPEATS and repeat == 1:
            repeat = REPEATS[word]
            continue
        if ASCII_DIGITS.fullmatch(word):
            value = word
        elif word in WORDS:
            value = WORDS[word]
        else:
            raise NotUnderstood(word)
        digits += value[0] * repeat + value[1:]
        repeat = 1
    if repeat != 1:
        raise NotUnderstood("a repeat with no digit after it")
    return digits
