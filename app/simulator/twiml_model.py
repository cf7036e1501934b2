"""Checks a TwiML Voice document against Twilio's own model of valid TwiML.

The model (reference/, read from Twilio's generated SDKs) says which element may nest in
which, which attributes each accepts, and the allowed values of enumerated attributes.
"""

import json
import re
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

REFERENCE = Path(__file__).parent / "reference"
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class InvalidTwiML(ValueError):
    """A document that Twilio would not accept as TwiML Voice."""


@lru_cache(maxsize=1)
def _model():
    elements = json.loads((REFERENCE / "twiml_voice_model_from_twilio_python.json").read_text())["elements"]
    types = json.loads((REFERENCE / "twiml_voice_types_from_twilio_node.json").read_text())
    return elements, types["attributes"], types["enums"]


def allowed(tag, attribute):
    """The values an enumerated attribute may take: allowed("Say", "voice")."""
    _, attributes, enums = _model()
    return frozenset(enums[attributes[tag][attribute].removesuffix("[]")])


def validate(document):
    """The parsed <Response> of a TwiML document, or InvalidTwiML saying what is wrong."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as error:
        raise InvalidTwiML(f"not XML: {error}") from None
    if root.tag != "Response":
        raise InvalidTwiML(f"root element is <{root.tag}>, not <Response>")
    if root.attrib:
        raise InvalidTwiML("<Response> takes no attributes")
    _check_children(root)
    return root


def _check_children(parent):
    elements, attributes, enums = _model()
    allowed = elements.get(parent.tag, {}).get("children", {})
    for child in parent:
        if child.tag not in allowed:
            raise InvalidTwiML(f"<{child.tag}> is not allowed inside <{parent.tag}>")
        for name, value in child.attrib.items():
            if name not in allowed[child.tag]:
                raise InvalidTwiML(f"<{child.tag}> inside <{parent.tag}> has no attribute {name!r}")
            kind = attributes.get(child.tag, {}).get(name, "string")
            _check_value(child.tag, name, value, kind, enums)
        text_param = elements.get(child.tag, {}).get("text_param")
        if text_param is None and (child.text or "").strip():
            raise InvalidTwiML(f"<{child.tag}> takes no text")
        _check_children(child)


def _check_value(tag, name, value, kind, enums):
    if kind == "number" and not NUMBER.match(value):
        raise InvalidTwiML(f"<{tag} {name}> must be a number, not {value!r}")
    if kind == "boolean" and value not in {"true", "false"}:
        raise InvalidTwiML(f"<{tag} {name}> must be true or false, not {value!r}")
    enum_name = kind[:-2] if kind.endswith("[]") else kind
    if enum_name in enums:
        values = value.split() if kind.endswith("[]") else [value]
        for item in values:
            if item not in enums[enum_name]:
                raise InvalidTwiML(f"<{tag} {name}> does not allow {item!r}")
