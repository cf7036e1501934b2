"""STIR/SHAKEN: the attestation a call arrived with (Twilio's StirVerstat), and the policy on it."""

# The only value that says the carrier vouches for the caller's right to the number shown.
A_ATTESTED = "TN-Validation-Passed-A"
POLICIES = ("record", "require-a")
# As long as the records' stir_verstat column.
LONGEST = 64


def attestation(form):
    """The call's StirVerstat as it came, '' when Twilio sent none.

    Never trusted, only carried: bounded to LONGEST characters, and anything outside printable
    ASCII (no value Twilio documents has any) shown as '?', so that every destination's limit on
    the verdict's size holds whatever arrives.
    """
    value = form.get("StirVerstat", "").strip()[:LONGEST]
    return value if value.isascii() and value.isprintable() else "".join(_printable(char) for char in value)


def admitted(attestation, policy):
    """False when STIR_POLICY asks for A-attestation and the call came without it."""
    return policy != "require-a" or attestation == A_ATTESTED


def _printable(char):
    return char if char.isascii() and char.isprintable() else "?"
