"""The tables: one row per verification, one lockout counter per number or account, one send counter per hour, the accounts with their phone and email, Lookup's answers, the landlines to call back, the supervisors and what they did (migrations/ creates them)."""

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, text

metadata = MetaData()

# Times are naive UTC, the same on SQLite and PostgreSQL.
verifications = Table(
    "verifications",
    metadata,
    Column("id", Integer, primary_key=True),
    # One verification per call and request: a replayed start finds its key taken (migrations 0002, 0009).
    Column("call_sid", String(64), nullable=False, index=True),
    # The agent's request a mid-call verification answers (app/api); empty for the call's own (/voice, Studio).
    Column("request", String(32), nullable=False, server_default=""),
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
    # caller_id or account (migration 0006).
    Column("method", String(16)),
    # What Lookup said before the first code (app/calls/risk.py); NULL when it was not asked.
    Column("line_type", String(16)),
    Column("sim_swap", String(16)),
    Column("forwarding", String(16)),
    Index("ix_verifications_call_sid_request", "call_sid", "request", unique=True),
    # At most one verification running per call: two requests at once cannot both claim it.
    Index("ix_verifications_running", "call_sid", unique=True, sqlite_where=text("finished_at IS NULL"), postgresql_where=text("finished_at IS NULL")),
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

lookups = Table(
    "lookups",
    metadata,
    # The number's keyed hash, as verifications.number_hash: never the number.
    Column("number_hash", String(64), primary_key=True),
    # Lookup's answers by check, each with when it was given, as JSON (app/storage/lookups.py).
    Column("facts", Text, nullable=False),
    Column("looked_up_at", DateTime, nullable=False),
)

callbacks = Table(
    "callbacks",
    metadata,
    Column("id", Integer, primary_key=True),
    # The inbound call that was promised the callback; its status callback places it.
    Column("call_sid", String(64), nullable=False, unique=True),
    # The call placed back, once Twilio has created it.
    Column("callback_sid", String(64), unique=True),
    # The keyed hash of the number called back (app/numbers.py fingerprint).
    Column("number_hash", String(64), nullable=False),
    # The Twilio number the caller called: the callback comes from it.
    Column("called", String(32), nullable=False),
    # The verification's call state, encrypted as in every step's URL (app/calls/callstate.py): the
    # number, the return step, language, method, account, lockout counts. It expires as they do.
    Column("state", Text, nullable=False),
    # pending, placed, answered, verified, unanswered, or expired (never placed).
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
# At most one callback open per number: promised, placed or being answered (migration 0010).
Index(
    "callbacks_one_open_per_number",
    callbacks.c.number_hash,
    unique=True,
    sqlite_where=text("status IN ('pending', 'placed', 'answered')"),
    postgresql_where=text("status IN ('pending', 'placed', 'answered')"),
)

supervisors = Table(
    "supervisors",
    metadata,
    # Who may log in to /admin, each with a password hash `flask admin add-user` made (migration 0011).
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    # The supervisor, the name a failed login tried, or "(command line)".
    Column("actor", String(64), nullable=False),
    # login, login_failed, unlock, csv_export, user_added, user_removed, password_changed.
    Column("action", String(32), nullable=False),
    # A masked number, a supervisor's name, a period: never a full number, a code or a password.
    Column("subject", String(64), nullable=False, server_default=""),
    # The keyed hash of the number or account unlocked.
    Column("subject_hash", String(64)),
    Column("address", String(64), nullable=False, server_default=""),
)
