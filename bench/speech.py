"""How long Twilio spends on a TwiML document's verbs before it fetches the next one (`--speech`).

Twilio speaks a `<Say>` before it goes on to the next verb: a `<Redirect>` is fetched once the
Says before it were spoken, a `<Gather>`'s action posted once its prompt was spoken and the
caller keyed the digits. The model: Polly speaks about 150 words a minute (2.5 a second), a
`<Pause>` lasts its `length` (1 s by default, as Twilio's), a `<Play>` a fixed 3 s, a key 0.3 s.
"""

WORDS_PER_SECOND = 2.5
PLAY_SECONDS = 3.0
PAUSE_SECONDS = 1.0  # Twilio's default <Pause length>
KEY_SECONDS = 0.3


def verb_seconds(verb):
    """Seconds Twilio spends on one verb (a `<Gather>`: its prompt, before any key)."""
    if verb.tag == "Say":
        return _loops(verb) * len("".join(verb.itertext()).split()) / WORDS_PER_SECOND
    if verb.tag == "Play":
        return _loops(verb) * PLAY_SECONDS
    if verb.tag == "Pause":
        return _number(verb.get("length"), PAUSE_SECONDS)
    if verb.tag == "Gather":
        return sum(verb_seconds(child) for child in verb)
    return 0.0


def seconds_before(root, verb):
    """Seconds from the document's arrival until Twilio acts on `verb` (a Redirect, a Gather's prompt spoken)."""
    total = 0.0
    for each in root:
        if each is verb:
            return total + (verb_seconds(verb) if verb.tag == "Gather" else 0.0)
        total += verb_seconds(each)
    raise ValueError(f"<{verb.tag}> is not a verb of this document")


def document_seconds(root):
    """Seconds Twilio spends on a whole document that ends the call (or runs out of verbs)."""
    return sum(verb_seconds(verb) for verb in root)


def keying_seconds(digits):
    """Seconds a caller takes to key `digits` (a '#' is a key too)."""
    return KEY_SECONDS * len(digits)


def _loops(verb):
    # loop="0" repeats until the call moves on; once is what a caller waits through here.
    return max(1, int(_number(verb.get("loop"), 1)))


def _number(text, default):
    try:
        return max(0.0, float(text)) if text is not None else default
    except ValueError:
        return default
