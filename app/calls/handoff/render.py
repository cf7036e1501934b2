"""The TwiML that hands a call on, with the verdict in the form its destination understands."""

import json
from urllib.parse import quote

from flask import url_for

# The verdict's plain fields, as SIP headers (X-…, never X-Twilio-…) and as <Client> parameters.
FIELDS = ("status", "reason", "method", "attestation")
# The risk checks' facts: handed on the same ways, and left out where empty (not looked up).
RISKS = ("line_type", "sim_swap", "forwarding")


def render(response, destination, verdict, keys, language=""):
    """Add to `response` the verbs that take the call to `destination`, carrying `verdict`.

    `keys` are the signing keys: "key", shared with the receiving systems, and "whisper_key", this
    server's own for the whisper, so that no system holding the shared key can mint a whisper.
    `language` is the caller's choice, which an agent's whisper speaks too (empty: the configured one).
    """
    if destination.kind == "number":
        _number(response, destination.target, verdict, keys["whisper_key"], language)
    else:
        RENDERERS[destination.kind](response, destination.target, verdict, keys["key"])
    return response


def sip_headers(verdict, key):
    """The header part of the SIP URI: X-Verification-Status, -Reason, -Method, -Attestation, -Line-Type, …, -Token."""
    pairs = [(f"X-Verification-{name.title().replace('_', '-')}", getattr(verdict, name)) for name in (*FIELDS, *RISKS)]
    pairs.append(("X-Verification-Token", verdict.token(key)))
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in pairs if value)


def client_parameters(verdict, key):
    """(name, value) of each <Parameter> a Voice SDK agent receives: verification_status, … and the token."""
    pairs = [(f"verification_{name}", getattr(verdict, name)) for name in (*FIELDS, *RISKS)]
    pairs.append(("verification_token", verdict.token(key)))
    return [(name, value) for name, value in pairs if value]


def task_attributes(verdict):
    """The task's attributes, JSON: routing rules read `verification.status == "approved"`."""
    fields = {name: getattr(verdict, name) for name in ("call_sid", *FIELDS, "number", "number_hash")}
    # Studio's Send to Flex caps the attributes at 1,024 characters: no empty optional field.
    fields |= {name: getattr(verdict, name) for name in ("account", *RISKS) if getattr(verdict, name)}
    return json.dumps({"verification": fields}, separators=(",", ":"), ensure_ascii=False)


def _hangup(response, _target, _verdict, _key):
    response.hangup()


def _number(response, number, verdict, key, language=""):
    """Dial the agent; Twilio fetches the whisper when they answer, before the caller is put through."""
    whisper = f"{url_for('handoff.whisper')}?v={verdict.token(key)}" + (f"&l={language}" if language else "")
    response.dial().number(number, url=whisper, method="POST")


def _sip(response, uri, verdict, key):
    response.dial().sip(f"{uri}?{sip_headers(verdict, key)}")


def _client(response, identity, verdict, key):
    client = response.dial().client()
    client.identity(identity)
    for name, value in client_parameters(verdict, key):
        client.parameter(name=name, value=value)


def _flex(response, workflow_sid, verdict, _key):
    response.enqueue(None, workflow_sid=workflow_sid).task(task_attributes(verdict))


def _url(response, url, verdict, key):
    separator = "&" if "?" in url else "?"
    response.redirect(f"{url}{separator}verdict={verdict.token(key)}", method="POST")


RENDERERS = {
    "hangup": _hangup,
    "sip": _sip,
    "client": _client,
    "flex": _flex,
    "url": _url,
}
