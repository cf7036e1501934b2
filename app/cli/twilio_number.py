"""`flask twilio configure`: point a Twilio number's webhooks at this server."""

import click
from flask import current_app
from flask.cli import with_appcontext
from twilio.rest import Client

from app.numbers import mask
from app.twilio import number_setup
from app.twilio.http_client import TwilioHttp


@click.group("twilio")
def twilio_group():
    """Manage the Twilio side of this server."""


@twilio_group.command("configure")
@click.option("--number", required=True, help="Your Twilio phone number, +E.164.")
@click.option("--url", "base_url", required=True, help="This server's public https:// URL (ngrok, Heroku), or its /voice URL.")
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
@with_appcontext
def configure_command(number, base_url, dry_run):
    """Point a Twilio number's voice, fallback and status webhooks at this server."""
    try:
        number_setup.targets(base_url)  # a wrong URL is reported before any credentials are needed
        client = _rest_client()
        instance, changes = number_setup.plan(client, number, base_url)
        # Shown before anything is set: if setting fails, what was meant is on the screen.
        click.echo(f"Twilio number {mask(number)}:")
        for change in changes:
            after = f"{change.old or '(none)'} -> {change.new}" if change.changed else f"{change.new} (unchanged)"
            click.echo(f"  {change.field:<21} {after}")
        if not any(change.changed for change in changes):
            click.echo("Nothing to change.")
        elif dry_run:
            click.echo("Dry run: nothing was changed.")
            if current_app.config["CALLBACK"] and number_setup.lacks_status_callback(changes):
                click.echo("CALLBACK=on, but the number's status callback is not this server's: no landline caller is called back until it is set (run this without --dry-run).")
        else:
            number_setup.apply(client, instance, changes)
            click.echo("Updated.")
    except number_setup.SetupError as error:
        raise click.ClickException(str(error)) from None


def _rest_client():
    """A Twilio REST client for the account; not the stand-in's, which only knows Verify."""
    config = current_app.config
    sid, token = number_setup.credentials(config)
    if not config["USE_LOCAL_VERIFY"]:
        return current_app.extensions["twilio_client"]
    return Client(sid, token, http_client=TwilioHttp(timeout=config["VERIFY_TIMEOUT"]))
