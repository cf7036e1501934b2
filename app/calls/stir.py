"""STIR/SHAKEN: the attestation a call arrived with (Twilio's StirVerstat), and the policy on it."""

from app.storage.records import documented_attestation

# The only value that says the carrier vouches for the caller's right to the number shown.
A_ATTESTED = "TN-Validation-Passed-A"
POLICIES = ("record", "require-a")


def attestation(form):
    """The call's StirVerstat, '' when Twilio sent none, "other" for a value Twilio does not document.

    Never trusted, only carried: what arrives is anyone's text until the signature is checked, and
    it ends up in records, verdicts and CSV files, so nothing but Twilio's own words passes.
    """
    return documented_attestation(form.get("StirVerstat", "").strip())


def admitted(attestation, policy):
    """False when STIR_POLICY asks for A-attestation and the call came without it."""
    return policy != "require-a" or attestation == A_ATTESTED
