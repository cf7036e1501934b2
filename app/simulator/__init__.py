"""A phone without a phone: place simulated Twilio calls on the IVR and follow its TwiML."""

from app.simulator.engine import Call, CallError, Unreachable, place_call
from app.simulator.twiml_model import InvalidTwiML, validate

__all__ = ["Call", "CallError", "InvalidTwiML", "Unreachable", "place_call", "validate"]
