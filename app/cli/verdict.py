"""`flask verdict decode TOKEN`: what a verdict token handed on with a call says, and whether it holds."""

import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.calls.handoff.verdict import CLAIMS, OPTIONAL, BadVerdict, check, signing_key

verdict_group = AppGroup("verdict", help="The signed verdicts handed on with calls (SIP headers, URLs, parameters).")


@verdict_group.command("decode")
@click.argument("token")
@click.option("--call-sid", help="The CallSid of the call the receiving system is handling: the token must name it.")
def decode(token, call_sid):
    """Show a verdict token's claims, and whether its signature, expiry and call hold (exit 1 if not)."""
    import jwt  # on first use, as app/calls/handoff/verdict.py does

    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.InvalidTokenError as error:
        raise click.ClickException(f"not a JWT ({type(error).__name__}): copy the whole X-Verification-Token or verdict= value") from None
    # An optional claim (account, line_type, sim_swap, forwarding) is shown when the token has it.
    for name in (*CLAIMS, *(name for name in OPTIONAL if name in claims), "iat", "exp"):
        click.echo(f"{name:<13}{_shown(name, claims.get(name, '(missing)'))}")
    config = current_app.config
    key = "VERDICT_SIGNING_KEY" if config.get("VERDICT_SIGNING_KEY") else "the key derived from SECRET_KEY"
    problem = _problem(token.strip(), claims, call_sid)
    if problem:
        raise click.ClickException(f"refused, checked with {key}: {problem}")
    call = f"issued for {call_sid}" if call_sid else "pass --call-sid CA… to check the call as well"
    click.echo(f"Valid, checked with {key}: signature and expiry hold; {call}.")


def _problem(token, claims, call_sid):
    """Why a receiving system must refuse the token, or None."""
    try:
        check(token, signing_key(current_app.config))
    except BadVerdict as error:
        return str(error)
    if call_sid and claims["call_sid"] != call_sid:
        return f"issued for another call ({claims['call_sid']})"
    return None


def _shown(name, value):
    if name in {"iat", "exp"} and isinstance(value, int):
        try:
            moment = datetime.datetime.fromtimestamp(value, datetime.UTC)
        except (OverflowError, OSError, ValueError):
            return f"{value} (no date a calendar holds)"
        return f"{value} ({moment:%Y-%m-%d %H:%M:%S} UTC)"
    return value if value != "" else "(empty)"
