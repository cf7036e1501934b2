"""The tables: one row per verification, one lockout counter per number or account, one send counter per hour, the accounts with their phone and email (migrations/ creates them)."""

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

# Times are naive UTC, the same on SQLite and PostgreSQL.
verifications = Table(
    "verifications",
    metadata,
    Column("id", Integer, primary_key=True),
    # One verification per call: a replayed start finds its CallSid taken (migration 0002).
    Column("call_sid", String(64), nullable=False, index=True, unique=True),
    Column("number_masked", String(32), nullable=False),
    # HMAC-SHA256 of the full number keyed with SECRET_KEY: findable, never stored in clear.
    Column("number_hash", String(64), index=True),
    Column("channel", String(16), nullable=False),
    Column("stir_verstat", String(64)),
    Column("started_at", DateTime, nullable=False, index=True),
    Column("finished_at", DateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("resends", Integer, nullable=False, default=0),
    Column("silences", Integer, nullable=False, default=0),
    # approved or failed; NULL while the verification runs.
    Column("outcome", String(16)),
    Column("reason", String(32)),
)

lockouts = Table(
    "lockouts",
    metadata,
    # The keyed hash of a number (app/numbers.py fingerprint) or of an account (app/storage/accounts.py).
    Column("number_hash", String(64), primary_key=True),
    # Verifications started in the window and not approved (or given back); see app/storage/lockout.py.
    Column("failures", Integer, nullable=False),
    Column("window_start", DateTime, nullable=False),
)

send_counts = Table(
    "send_counts",
    metadata,
    # The start of a clock hour (UTC) and the places taken in it, against MAX_SENDS_PER_HOUR; see app/storage/sends.py.
    Column("hour_start", DateTime, primary_key=True),
    Column("sends", Integer, nullable=False),
    # The codes sent in it, as each worker reports them (migration 0005): the places taken less those a worker holds.
    Column("sent", Integer, nullable=False, server_default="0"),
)

accounts = Table(
    "accounts",
    metadata,
    # HMAC-SHA256 of the account number keyed with SECRET_KEY: findable, never stored in clear.
    Column("account_hash", String(64), primary_key=True),
    # The phone on file, E.164, encrypted with a key derived from SECRET_KEY (app/storage/accounts.py).
    Column("phone_encrypted", String(255), nullable=False),
    Column("phone_masked", String(32), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # The email on file, encrypted as the phone is, and masked; NULL when the account has none (migration 0008).
    Column("email_encrypted", String(512)),
    Column("email_masked", String(320)),
)
