"""Prompt files: one TOML file per language (en-US.toml), read, merged over the built-in ones, and checked."""

import re
import string
import tomllib
from pathlib import Path

BUILT_IN = Path(__file__).parent
LANGUAGE_TAG = r"[a-z]{2,3}-[A-Z]{2}"
# A sentence that is a recording (a studio-recorded prompt) instead of text: played, never said.
RECORDING = ("https://", "http://")
# Words said inside other sentences (an email's domain: "example dot com"), never on their own.
WORDS = {"dot"}


class PromptsError(ValueError):
    """A prompt file that cannot be used, as one line naming the file and the key."""


def is_recording(sentence):
    """True for a sentence given as the URL of a recording."""
    return sentence.startswith(RECORDING)


def placeholders(sentence):
    """The names in a sentence's {placeholders}; ValueError if its braces do not pair."""
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name is not None}


def _dressed(sentence):
    """The placeholders written with more than their name: {length:%}, {length!r}, {length:{width}}.

    What the call fills in is said as it is; a format or a conversion would fail in a call or say
    something odd ("600.000000%").
    """
    fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(sentence) if name is not None]
    return sorted({"{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}" for name, spec, conversion in fields if spec or conversion})


def read(path):
    """One language's file as {"locale", "voice", "sentences", "file"}; PromptsError if it cannot be read."""
    path = Path(path)
    if not re.fullmatch(LANGUAGE_TAG, path.stem):
        raise PromptsError(f"{path}: not a language file: name it by its language tag, such as en-US.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PromptsError(f"{path}: cannot be read: {error}") from None
    sentences = data.get("sentences", {})
    unknown = set(data) - {"locale", "voice", "sentences"}
    if unknown or not isinstance(sentences, dict):
        raise PromptsError(f"{path}: {', '.join(sorted(unknown)) or 'sentences'}: expected locale, voice and a [sentences] table")
    for key, sentence in sentences.items():
        if not isinstance(sentence, str):
            raise PromptsError(f"{path}: {key}: a sentence is text or a recording's https:// URL")
    return {"locale": data.get("locale"), "voice": data.get("voice"), "sentences": sentences, "file": str(path)}


def read_folder(folder):
    """Every language file (*.toml) of a folder by language tag; PromptsError for one that cannot be used."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PromptsError(f"{folder}: not a folder")
    paths = sorted(folder.glob("*.toml"))
    return {path.stem: read(path) for path in paths}


def merge(built_in, overrides):
    """The built-in books with every sentence (and locale, voice) a folder's file gives replacing or adding to them."""
    books = {language: dict(book, sentences=dict(book["sentences"]), files={}) for language, book in built_in.items()}
    for language, book in overrides.items():
        merged = books.setdefault(language, {"locale": None, "voice": None, "sentences": {}, "file": book["file"], "files": {}})
        merged["locale"] = book["locale"] or merged["locale"]
        merged["voice"] = book["voice"] or merged["voice"]
        merged["sentences"].update(book["sentences"])
        merged["files"].update(dict.fromkeys(book["sentences"], book["file"]))
        merged["override"] = book["file"]
    return books


def problems(books, languages, required, reference):
    """One line for each thing wrong with `languages` in `books`: a file, a key and what is wrong."""
    lines = []
    for language in languages:
        book = books[language]
        where = book.get("override", book["file"])
        for name in ("locale", "voice"):
            if not book[name]:
                lines.append(f"{where}: {name}: a new language needs its {name}")
        for key in sorted(set(book["sentences"]) - set(reference)):
            lines.append(f"{book['files'].get(key, where)}: {key}: not a sentence the calls say (a misspelt key?)")
        for key in sorted(required - set(book["sentences"])):
            lines.append(f"{where}: {key}: missing")
        for key, sentence in sorted(book["sentences"].items()):
            if key in reference:
                wrong = ["a word said inside other sentences cannot be a recording"] if key in WORDS and is_recording(sentence) else []
                wrong = wrong or _wrong(sentence, placeholders(reference[key]))
                lines += [f"{book['files'].get(key, book['file'])}: {key}: {problem}" for problem in wrong]
    return lines


def _wrong(sentence, expected):
    """What is wrong with one sentence whose key takes the placeholders `expected`."""
    if is_recording(sentence):
        if not sentence.startswith("https://") or " " in sentence:
            return ["a recording's URL must be https://"]
        if expected:
            return [f"a recording cannot say {', '.join('{' + name + '}' for name in sorted(expected))}: keep this sentence as text"]
        return []
    try:
        found = placeholders(sentence)
        dressed = _dressed(sentence)
    except ValueError as error:
        return [f"cannot be read: {error} (a literal brace is written {{{{ or }}}})"]
    lines = [f"unknown placeholder {{{name}}}" for name in sorted(found - expected)]
    lines += [f"lacks the placeholder {{{name}}}" for name in sorted(expected - found)]
    return lines + [f"{placeholder}: a placeholder is its name alone, in braces" for placeholder in dressed]
