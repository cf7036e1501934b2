"""`flask verifications report|unlock|purge`: the records and lockouts, for operators."""

import datetime
import re
import sys

import click
import phonenumbers
from flask import current_app
from flask.cli import AppGroup
from phonenumbers import PhoneNumberFormat

from app.cli.accounts import account_number
from app.cli.db import connected
from app.storage import callbacks, lockout, lookups, records, reports
from app.numbers import Unusable, mask, usable_number
from app.storage.accounts import AccountLookupFailed, account_hash

verifications = AppGroup("verifications", help="Verification records, lockouts and reports.")

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
LONGEST = datetime.timedelta(days=100 * 365)


def duration(text):
    """A timedelta from '30m', '12h', '7d' or '2w'."""
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text or "")
    if not match:
        raise click.BadParameter(f"{text!r} is not a duration like 30m, 12h, 7d or 2w")
    try:
        delta = datetime.timedelta(**{UNITS[match[2]]: int(match[1])})
    except OverflowError:
        delta = None
    if delta is None or delta > LONGEST:
        raise click.BadParameter(f"{text!r} is longer than the 100 years records could go back")
    return delta


def spoken(delta):
    """'7 days', '12 hours', '30 minutes': a duration as the commands print it."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return str(delta)


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):
        return value if isinstance(value, datetime.timedelta) else duration(value)


@verifications.command("report")
@click.option("--since", type=Duration(), default="7d", show_default=True, help="How far back: 30m, 12h, 7d, 2w.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV (section,name,value) instead of a table.")
def report(since, as_csv):
    """Counts by outcome and reason, success rate, median attempts and time, locked numbers, codes sent this hour."""
    with connected() as connection:
        summary = reports.since(connection, records.now() - since, current_app.config)
    if as_csv:
        reports.write_csv(summary, sys.stdout)
        return
    click.echo(f"Verifications started in the last {spoken(since)}:")
    section = None
    for group, name, value in summary.lines():
        if group != section:
            click.echo(f"\n{group}")
            section = group
        click.echo(f"  {name:<28}{value:>10}")


class PhoneNumber(click.ParamType):
    name = "number"

    def convert(self, value, param, ctx):
        """The number in E.164 form, however it is spaced or punctuated: '+1 (415) 555-0106'."""
        try:
            return usable_number(phonenumbers.format_number(phonenumbers.parse(value, None), PhoneNumberFormat.E164))
        except (phonenumbers.NumberParseException, Unusable):
            self.fail(f"{mask(value)} is not a phone number in international form (+ and country code)")


@verifications.command("unlock")
@click.argument("number", required=False, type=PhoneNumber())
@click.option("--account", help="An account number instead (verification by account).")
def unlock(number, account):
    """Lift the lockout on a number (+ and country code, e.g. +14155550106), or on an account with --account."""
    if (number is None) == (account is None):
        raise click.UsageError("give a phone number (+14155550106) or --account ACCOUNT_NUMBER, one of the two")
    if account is not None:
        try:
            key = account_hash(account_number(account), current_app.config["SECRET_KEY"])
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--account") from None
        phone, on_file = _phone_on_file(account)
        with connected(transaction=True) as connection:
            cleared = lockout.unlock_key(connection, key)
            cleared_phone = lockout.unlock(connection, phone) if phone is not None else None
        if not on_file and cleared is None:
            raise click.ClickException("no such account: nothing to unlock")
        click.echo(f"Account: {_said(cleared)}.")
        if phone is not None:
            click.echo(f"Its phone on file, {mask(phone)}: {_said(cleared_phone)}.")
        return
    with connected(transaction=True) as connection:
        cleared = lockout.unlock(connection, number)
        cleared_entries = lockout.unlock_key(connection, lockout.entries_key(number))
    click.echo(f"{mask(number)}: {_said(cleared)}.")
    if cleared_entries is not None:
        click.echo(f"Its account numbers keyed: {_said(cleared_entries)}.")


def _said(cleared):
    """What unlocking did, as lockout.unlock_key() tells it."""
    said = {"locked": "lockout lifted", "counted": "was not locked out; its count of failed verifications is cleared"}
    return said.get(cleared, "was not locked out")


def _phone_on_file(account):
    """(the phone on file for an account or None, False if the account source says there is no such account)."""
    try:
        found = current_app.extensions["accounts"].on_file(account_number(account))
    except AccountLookupFailed as failure:
        click.echo(f"The phone on file could not be looked up ({failure.reason}): only the account is unlocked.", err=True)
        return None, True
    return (found.phone, True) if found else (None, False)


@verifications.command("purge")
@click.option("--older-than", "older_than", type=Duration(), required=True, help="Age to delete from: e.g. 90d.")
@click.option("--yes", is_flag=True, help="Delete without asking (scripts, CI).")
def purge(older_than, yes):
    """Delete the records of verifications started longer ago than --older-than, once confirmed.

    Finished callbacks as old go with them, and Lookup answers older than LOOKUP_CACHE_HOURS.
    """
    before, age = records.now() - older_than, spoken(older_than)
    if not yes:
        with connected() as connection:
            count = records.count_before(connection, before)
        if not count:
            click.echo(f"No record is older than {age}.")
            return
        if not sys.stdin.isatty():
            raise click.ClickException(f"{count} record(s) older than {age} would be deleted: add --yes to confirm")
        if not click.confirm(f"Delete {count} record(s) older than {age}?"):
            click.echo("Nothing deleted.")
            return
    # Lookup's answers are kept for LOOKUP_CACHE_HOURS: past that no call reads them.
    cache_hours = current_app.config.get("LOOKUP_CACHE_HOURS", 24)
    with connected(transaction=True) as connection:
        deleted = records.purge(connection, before)
        finished = callbacks.purge(connection, before)
        stale = lookups.purge(connection, records.now() - datetime.timedelta(hours=cache_hours))
    click.echo(f"Deleted {deleted} record(s) older than {age}.")
    if finished or stale:
        click.echo(f"Deleted {finished} finished callback(s) older than {age} and {stale} Lookup answer(s) older than {cache_hours} hours.")
