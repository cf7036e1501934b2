"""The `flask` commands: tools for the people who run the IVR, on top of everything else."""

from app.cli import accounts, call, db, prompts, twilio_number, verdict, verifications


def init_app(app):
    """Add every command to the app's `flask` CLI."""
    for command in (accounts.accounts, call.call_command, twilio_number.twilio_group, db.db, verifications.verifications, verdict.verdict_group, prompts.prompts_group):
        app.cli.add_command(command)
