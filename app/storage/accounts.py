"""Accounts: the phone (and email) on file for each account number, found by the number's keyed hash, encrypted.

A database dump shows none of them: the account number is an HMAC keyed with SECRET_KEY, the
phone and email Fernet-encrypted with a key derived from it (and masked, for `flask accounts show`).
"""

import base64
import dataclasses
import functools
import hashlib
import hmac

import sqlalchemy
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from app import emails
from app.numbers import mask
from app.storage import database
from app.storage.records import now
from app.storage.tables import accounts

_key = sqlalchemy.bindparam("key", type_=accounts.c.account_hash.type)
# Always one row, NULL when there is no such account: a database failure is told apart from "none".
# One column, the sealed phone and the sealed email (if any) after a space, which no Fernet token holds.
SEALED = accounts.c.phone_encrypted + " " + sqlalchemy.func.coalesce(accounts.c.email_encrypted, "")
ON_FILE = sqlalchemy.select(sqlalchemy.func.max(SEALED)).where(accounts.c.account_hash == _key)
FAILED = object()


@dataclasses.dataclass(frozen=True)
class OnFile:
    """What an account source holds for an account: the phone, and the email address if any ("")."""

    phone: str
    email: str = ""


class AccountLookupFailed(Exception):
    """The source could not say whether the account exists: `reason` is unavailable, timeout or garbled."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def account_hash(account_number, secret_key):
    """The keyed hash an account is stored and locked out under; never equal to a number's (app/numbers.py)."""
    return hmac.new(secret_key.encode(), b"account:" + account_number.encode(), hashlib.sha256).hexdigest()


@functools.cache
def _fernet(secret_key):
    digest = hashlib.sha256(b"account-phone:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(text, secret_key):
    """The phone (or email) on file, encrypted for the table."""
    return _fernet(secret_key).encrypt(text.encode()).decode()


def unseal(sealed, secret_key):
    """The phone (or email) a sealed value holds; AccountLookupFailed if another SECRET_KEY sealed it."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise AccountLookupFailed("garbled") from None


class DatabaseAccounts:
    """The account source in this app's own database (`flask accounts import`)."""

    def on_file(self, account_number, call_sid="-"):
        """What is on file for an account number (OnFile), None if there is no such account."""
        secret_key = current_app.config["SECRET_KEY"]
        values = {"key": account_hash(account_number, secret_key)}
        sealed = database.execute("account lookup", ON_FILE, call_sid, default=FAILED, returning=True, values=values)
        if sealed is FAILED:
            raise AccountLookupFailed("unavailable")
        if sealed is None:
            return None
        phone, _, email = sealed.partition(" ")
        return OnFile(unseal(phone, secret_key), unseal(email, secret_key) if email else "")


@functools.cache
def _upsert(dialect, with_email):
    insert = database.UPSERTS[dialect](accounts)
    columns = ("phone_encrypted", "phone_masked", "updated_at") + (("email_encrypted", "email_masked") if with_email else ())
    return insert.on_conflict_do_update(
        index_elements=[accounts.c.account_hash], set_={name: insert.excluded[name] for name in columns}
    )


def save(connection, rows, secret_key, replace=False, with_email=False):
    """Store (account number, E.164 phone[, email or ""]) rows; with `replace`, remove every other account. (added, updated, removed).

    Without `with_email` the emails on file are left as they are; with it, each row's replaces its account's ("" none).
    """
    keys = {account_hash(row[0], secret_key): row[1:] for row in rows}
    existing = set(connection.execute(sqlalchemy.select(accounts.c.account_hash)).scalars())
    moment = now()
    values = []
    for key, (phone, *email) in keys.items():
        value = {"account_hash": key, "phone_encrypted": seal(phone, secret_key), "phone_masked": mask(phone), "updated_at": moment}
        if with_email:
            address = email[0] if email else ""
            value["email_encrypted"] = seal(address, secret_key) if address else None
            value["email_masked"] = emails.mask(address) if address else None
        values.append(value)
    if values:
        connection.execute(_upsert(connection.dialect.name, with_email), values)
    removed = 0
    if replace:
        gone = existing - keys.keys()
        if gone:
            removed = connection.execute(accounts.delete().where(accounts.c.account_hash.in_(gone))).rowcount
    added = len(keys.keys() - existing)
    return added, len(keys) - added, removed


def remove(connection, account_number, secret_key):
    """Delete an account; True if it was there."""
    statement = accounts.delete().where(accounts.c.account_hash == account_hash(account_number, secret_key))
    return connection.execute(statement).rowcount > 0


def masked(connection, account_number, secret_key):
    """(masked phone, masked email or None) on file for an account number, or None."""
    query = sqlalchemy.select(accounts.c.phone_masked, accounts.c.email_masked).where(
        accounts.c.account_hash == account_hash(account_number, secret_key)
    )
    row = connection.execute(query).one_or_none()
    return None if row is None else tuple(row)


def listing(connection):
    """(hash prefix, masked phone, masked email or None, updated) of every account, oldest update first."""
    columns = (accounts.c.account_hash, accounts.c.phone_masked, accounts.c.email_masked, accounts.c.updated_at)
    query = sqlalchemy.select(*columns).order_by(accounts.c.updated_at)
    return [(key[:12], phone, email, updated) for key, phone, email, updated in connection.execute(query)]
