"""Accounts: the phone on file for each account number, found by the number's keyed hash, the phone encrypted.

A database dump shows neither: the account number is an HMAC keyed with SECRET_KEY, the phone
Fernet-encrypted with a key derived from it (and masked, for `flask accounts show`).
"""

import base64
import functools
import hashlib
import hmac

import sqlalchemy
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from app.numbers import mask
from app.storage import database
from app.storage.records import now
from app.storage.tables import accounts

_key = sqlalchemy.bindparam("key", type_=accounts.c.account_hash.type)
# Always one row, NULL when there is no such account: a database failure is told apart from "none".
PHONE_OF = sqlalchemy.select(sqlalchemy.func.max(accounts.c.phone_encrypted)).where(accounts.c.account_hash == _key)
FAILED = object()


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


def seal(phone, secret_key):
    """The phone on file, encrypted for the table."""
    return _fernet(secret_key).encrypt(phone.encode()).decode()


def unseal(sealed, secret_key):
    """The phone a sealed value holds; AccountLookupFailed if another SECRET_KEY sealed it."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise AccountLookupFailed("garbled") from None


class DatabaseAccounts:
    """The account source in this app's own database (`flask accounts import`)."""

    def phone_for(self, account_number, call_sid="-"):
        """The phone on file for an account number, None if there is no such account."""
        secret_key = current_app.config["SECRET_KEY"]
        values = {"key": account_hash(account_number, secret_key)}
        sealed = database.execute("account lookup", PHONE_OF, call_sid, default=FAILED, returning=True, values=values)
        if sealed is FAILED:
            raise AccountLookupFailed("unavailable")
        return None if sealed is None else unseal(sealed, secret_key)


@functools.cache
def _upsert(dialect):
    insert = database.UPSERTS[dialect](accounts)
    columns = ("phone_encrypted", "phone_masked", "updated_at")
    return insert.on_conflict_do_update(
        index_elements=[accounts.c.account_hash], set_={name: insert.excluded[name] for name in columns}
    )


def save(connection, pairs, secret_key, replace=False):
    """Store (account number, E.164 phone) pairs; with `replace`, remove every other account. (added, updated, removed)."""
    keys = {account_hash(number, secret_key): phone for number, phone in pairs}
    existing = set(connection.execute(sqlalchemy.select(accounts.c.account_hash)).scalars())
    moment = now()
    rows = [
        {"account_hash": key, "phone_encrypted": seal(phone, secret_key), "phone_masked": mask(phone), "updated_at": moment}
        for key, phone in keys.items()
    ]
    if rows:
        connection.execute(_upsert(connection.dialect.name), rows)
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


def masked_phone(connection, account_number, secret_key):
    """The masked phone on file for an account number, or None."""
    query = sqlalchemy.select(accounts.c.phone_masked).where(accounts.c.account_hash == account_hash(account_number, secret_key))
    return connection.execute(query).scalar_one_or_none()


def listing(connection):
    """(hash prefix, masked phone, updated) of every account, oldest update first."""
    query = sqlalchemy.select(accounts.c.account_hash, accounts.c.phone_masked, accounts.c.updated_at).order_by(accounts.c.updated_at)
    return [(key[:12], masked, updated) for key, masked, updated in connection.execute(query)]
