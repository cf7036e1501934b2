"""Twilio's Calls API, as the callback needs it: place one call, with answering-machine detection."""

import logging

from twilio.base.exceptions import TwilioException
from urllib3 import exceptions as http_errors

log = logging.getLogger(__name__)

# Seconds the callback rings before Twilio gives up (no-answer): long enough to reach the phone,
# short enough to end before most voicemail picks up.
RING_SECONDS = 25
# Twilio's answering-machine detection listens this long at most (its MachineDetectionTimeout, left at
# Twilio's default) before it fetches the answer step.
MACHINE_DETECTION_SECONDS = 30


class CallFailed(Exception):
    """Twilio did not take the call: refused, or out of reach."""


class CallMayExist(CallFailed):
    """Twilio's answer was lost once the request had gone (a read timeout, a dropped connection): the call may ring anyway."""


def place(client, to, from_, url, status_callback):
    """Have Twilio call `to` from `from_` and fetch `url` once answered; the new call's SID.

    The answer step learns from AnsweredBy whether a person or a machine picked up; the status
    callback hears only how the call ended (completed, busy, no-answer, failed, canceled): with
    no StatusCallbackEvent Twilio sends just that one. (Sent as a form field, a one-item list
    is also read as a string by tools checking requests against the spec, such as Prism.)
    """
    try:
        call = client.calls.create(
            to=to,
            from_=from_,
            url=url,
            method="POST",
            machine_detection="Enable",
            status_callback=status_callback,
            status_callback_method="POST",
            timeout=RING_SECONDS,
        )
    except TwilioException as error:
        raise CallFailed(f"Twilio refused the call: HTTP {getattr(error, 'status', '?')}, error {getattr(error, 'code', None) or '-'}") from None
    except http_errors.NewConnectionError as error:
        raise CallFailed(f"Twilio out of reach ({type(error).__name__})") from None
    except http_errors.HTTPError as error:
        raise CallMayExist(f"Twilio's answer lost ({type(error).__name__})") from None
    return call.sid
