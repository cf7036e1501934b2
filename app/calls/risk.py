"""Risk checks before the first code: what Lookup says of the number (stand-in until Lookup is wired)."""


def assess(state):
    """The state with what is known of the number's risks, and a refusal reason or None."""
    return state, None
