"""`flask accounts import|add|remove|show`: the accounts verification by account looks up in this app's database."""

import csv
import io

import click
import phonenumbers
from flask import current_app
from flask.cli import AppGroup
from phonenumbers import PhoneNumberFormat

from app import emails
from app.cli.db import connected
from app.numbers import Unusable, mask, usable_number
from app.storage import accounts as stored

accounts = AppGroup("accounts", help="Accounts and the phone (and email) on file for each (verification by account).")

COLUMNS = ("account_number", "phone")
# A column a file may have: the address a code may be emailed to (CHANNELS=…,email); empty for none.
EMAIL = "email"
# A file larger than this is no list of accounts an IVR reads at once.
LARGEST_FILE = 50 * 1024 * 1024


def account_number(text):
    """The account number in `text`, spaces and dashes dropped; ValueError saying why it is none."""
    digits = "".join((text or "").split()).replace("-", "")
    low, high = current_app.config["ACCOUNT_MIN_DIGITS"], current_app.config["ACCOUNT_MAX_DIGITS"]
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("the account number is not digits 0-9")
    if not low <= len(digits) <= high:
        raise ValueError(f"the account number has {len(digits)} digit{'' if len(digits) == 1 else 's'}, not {low} to {high} (ACCOUNT_MIN_DIGITS, ACCOUNT_MAX_DIGITS)")
    return digits


def phone(text):
    """The phone in E.164 form, however spaced ('+1 (415) 555-0142'); ValueError saying why it is none."""
    try:
        return usable_number(phonenumbers.format_number(phonenumbers.parse(text or "", None), PhoneNumberFormat.E164))
    except (phonenumbers.NumberParseException, Unusable):
        raise ValueError("the phone is not a number in international form (+ and country code)") from None


def email(text):
    """The email address in `text`, "" for none; ValueError saying why it is none."""
    return emails.usable(text) if (text or "").strip() else ""


def read_rows(data):
    """(accepted rows, rejected (line, reason), whether it has an email column) of a CSV file's bytes.

    Rows are (account number, phone) or, with an email column, (account number, phone, email or "");
    click.ClickException for a file that is no such CSV.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException("the file is not a CSV file (not UTF-8 text)") from None
    if not text.strip():
        raise click.ClickException("the file is empty: expected a header line account_number,phone and one row per account")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = [name.strip().lower() for name in reader.fieldnames or []]
        if not set(COLUMNS) <= set(header):
            raise click.ClickException(f"the file has no header line account_number,phone (its first line has {len(header)} column(s))")
        reader.fieldnames = header
        with_email = EMAIL in header
        accepted, rejected, seen = [], [], {}
        for row in reader:
            line = reader.line_num
            try:
                number = account_number(row.get("account_number"))
                pair = (number, phone(row.get("phone")))
                if with_email:
                    pair += (email(row.get(EMAIL)),)
            except ValueError as error:
                rejected.append((line, str(error)))
                continue
            if number in seen:
                rejected.append((line, f"the account number is on line {seen[number]} already"))
                continue
            seen[number] = line
            accepted.append(pair)
    except csv.Error as error:
        raise click.ClickException(f"the file is not a CSV file ({error})") from None
    return accepted, rejected, with_email


@accounts.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--replace", is_flag=True, help="Remove the accounts the file does not list (sync with it).")
def import_command(file, replace):
    """Add or update the accounts in a CSV file with columns account_number,phone[,email]; exit 1 if a row was rejected."""
    data = file.read(LARGEST_FILE + 1)
    if len(data) > LARGEST_FILE:
        raise click.ClickException(f"the file is larger than {LARGEST_FILE // (1024 * 1024)} MB")
    pairs, rejected, with_email = read_rows(data)
    for line, reason in rejected:
        click.echo(f"line {line}: rejected, {reason}")
    if replace and not pairs:
        raise click.ClickException("no row was accepted: --replace would remove every account, nothing changed")
    with connected(transaction=True) as connection:
        added, updated, removed = stored.save(connection, pairs, current_app.config["SECRET_KEY"], replace, with_email)
    click.echo(f"{len(pairs)} accepted ({added} new, {updated} updated), {len(rejected)} rejected, {removed} removed.")
    if rejected:
        raise click.ClickException(f"{len(rejected)} row(s) rejected, listed above by line: correct them and import the file again")


@accounts.command("add")
@click.argument("number")
@click.argument("phone_number", metavar="PHONE")
@click.option("--email", "address", help="The email address on file (replaces the one there).")
def add(number, phone_number, address):
    """Add an account or change its phone (and email): ACCOUNT_NUMBER +E.164."""
    try:
        row = (account_number(number), phone(phone_number)) + ((email(address),) if address is not None else ())
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    with connected(transaction=True) as connection:
        added, _, _ = stored.save(connection, [row], current_app.config["SECRET_KEY"], with_email=address is not None)
    on_file = f" and email {emails.mask(row[2])}" if address else ""
    click.echo(f"Account {'added' if added else 'updated'}: phone on file {mask(row[1])}{on_file}.")


@accounts.command("remove")
@click.argument("number")
def remove(number):
    """Remove an account."""
    try:
        number = account_number(number)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    with connected(transaction=True) as connection:
        gone = stored.remove(connection, number, current_app.config["SECRET_KEY"])
    if not gone:
        raise click.ClickException("no such account")
    click.echo("Account removed.")


@accounts.command("show")
@click.argument("number", required=False)
def show(number):
    """The masked phone (and email) on file for an account number; without one, every account (by hash, masked)."""
    with connected() as connection:
        if number is None:
            rows = stored.listing(connection)
            click.echo(f"{len(rows)} account(s); account numbers are stored as keyed hashes, phones encrypted.")
            for key, masked, address, updated in rows:
                click.echo(f"  {key}…  {masked}{f'  {address}' if address else ''}  updated {updated:%Y-%m-%d %H:%M} UTC")
            return
        try:
            masked = stored.masked(connection, account_number(number), current_app.config["SECRET_KEY"])
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    if masked is None:
        raise click.ClickException("no such account")
    click.echo(f"Phone on file: {masked[0]}.")
    if masked[1]:
        click.echo(f"Email on file: {masked[1]}.")
