"""Email addresses on file: which ones a code may go to, and how to show or say one without revealing it."""

import re

# One @, a local part and a dotted domain, no spaces or angle brackets: what Verify's email channel takes.
_ADDRESS = re.compile(r"[^@\s<>\"',;]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
LONGEST = 254


def usable(text):
    """The address in `text`, trimmed and with its domain in lower case; ValueError if it is none."""
    address = (text or "").strip()
    if len(address) > LONGEST or not address.isascii() or not _ADDRESS.fullmatch(address):
        raise ValueError("the email is not an address (name@example.com)")
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def domain(address):
    """The domain of an address: 'example.com'."""
    return address.rsplit("@", 1)[-1]


def mask(address):
    """An address safe for logs and screens: its first letter and its domain, 'j•••@example.com'."""
    if "@" not in (address or ""):
        return "(none)"
    return f"{address[0]}•••@{domain(address)}"
