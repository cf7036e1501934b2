"""`flask db upgrade` builds the tables on an empty database, and DATABASE_URL is read as Heroku writes it."""

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.storage import database
from app.storage.records import now
from app.storage.tables import accounts, callbacks, metadata, send_counts, verifications
from config import TestConfig


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_db_upgrade_on_an_empty_database_creates_the_tables_the_code_expects(request, verify, tmp_path, backend):
    url = request.getfixturevalue("postgres")() if backend == "postgresql" else f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    app = create_app(TestConfig, http_client=verify, DATABASE_URL=url)

    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output

    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == "0011"
        assert compare_metadata(context, metadata) == []
    engine.dispose()
    # A second run (every Heroku release runs it) changes nothing.
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    database.dispose(app)


@pytest.mark.parametrize(
    "given, used",
    [
        ("postgres://u:p@host:5432/db", "postgresql+psycopg://u:p@host:5432/db"),
        ("postgresql://u:p@host/db", "postgresql+psycopg://u:p@host/db"),
        ("postgresql+psycopg://u@host/db", "postgresql+psycopg://u@host/db"),
        ("sqlite:////var/data/ivr.sqlite3", "sqlite:////var/data/ivr.sqlite3"),
    ],
)
def test_database_url_is_read_as_heroku_writes_it(given, used, tmp_path):
    assert database.database_url({"DATABASE_URL": given}, str(tmp_path)) == used


def test_without_database_url_a_sqlite_file_in_the_instance_folder_is_used(tmp_path):
    instance = tmp_path / "instance"
    url = database.database_url({"DATABASE_URL": ""}, str(instance))
    assert url == f"sqlite:///{instance / 'verifications.sqlite3'}"
    assert instance.is_dir()


def test_every_wait_on_postgresql_is_bounded():
    config = {"DATABASE_TIMEOUT": 1.5, "DATABASE_POOL_SIZE": 3, "DATABASE_MAX_OVERFLOW": 4}
    engine = database.make_engine("postgresql+psycopg://u@127.0.0.1:9/db", config)
    assert (engine.pool.size(), engine.pool._max_overflow, engine.pool._timeout) == (3, 4, 1.5)
    engine.dispose()
    assert database.connect_args("postgresql+psycopg://u@h/db", 1.5) == {
        "connect_timeout": 2,
        "options": "-c statement_timeout=1500",
        "tcp_user_timeout": 1500,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 5,
        "keepalives_count": 3,
    }
    assert database.connect_args("sqlite:///x.sqlite3", 1.5) == {"timeout": 1.5}


def test_commands_name_a_database_they_cannot_reach_in_one_line(verify):
    app = create_app(TestConfig, http_client=verify, DATABASE_URL="postgresql://postgres:secret@127.0.0.1:9/nothing")
    result = app.test_cli_runner().invoke(args=["verifications", "report"])
    assert result.exit_code == 1
    assert "Error: database postgresql+psycopg://postgres:***@127.0.0.1:9/nothing: OperationalError" in result.output
    assert "secret" not in result.output


def test_sqlite_writes_ahead_so_a_commit_never_waits_for_the_disk(tmp_path):
    config = {"DATABASE_TIMEOUT": 1.5, "DATABASE_POOL_SIZE": 3, "DATABASE_MAX_OVERFLOW": 4}
    engine = database.make_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}", config)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_a_database_holding_replayed_call_sids_keeps_every_row(request, tmp_path, backend):
    url = request.getfixturevalue("postgres")() if backend == "postgresql" else f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sqlalchemy.create_engine(url)
    database.upgrade(engine, "0001")
    replayed, other = "CA" + "1" * 32, "CA" + "2" * 32
    row = {"number_masked": "+1•••••••71", "channel": "sms", "started_at": now(), "attempts": 0, "resends": 0, "silences": 0}
    with engine.begin() as connection:
        connection.execute(verifications.insert(), [{**row, "call_sid": sid} for sid in (replayed, other, replayed, replayed)])

    database.upgrade(engine)

    with engine.connect() as connection:
        call_sids = connection.execute(sqlalchemy.select(verifications.c.call_sid).order_by(verifications.c.id)).scalars().all()
    assert call_sids[:2] == [replayed, other]
    assert len(set(call_sids)) == 4 and all(sid.startswith(replayed + "~") for sid in call_sids[2:])
    with pytest.raises(sqlalchemy.exc.IntegrityError), engine.begin() as connection:
        connection.execute(verifications.insert(), {**row, "call_sid": other})
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_an_hour_of_sends_counts_its_places_as_codes_sent(request, tmp_path, backend):
    url = request.getfixturevalue("postgres")() if backend == "postgresql" else f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sqlalchemy.create_engine(url)
    database.upgrade(engine, "0004")
    hour = now().replace(minute=0, second=0, microsecond=0)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("INSERT INTO send_counts (hour_start, sends) VALUES (:hour, 7)"), {"hour": hour})

    database.upgrade(engine)

    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.select(send_counts.c.sends, send_counts.c.sent)).one() == (7, 7)
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_keeps_the_accounts_with_no_email_on_file(request, tmp_path, backend):
    url = request.getfixturevalue("postgres")() if backend == "postgresql" else f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sqlalchemy.create_engine(url)
    database.upgrade(engine, "0005")
    with engine.begin() as connection:
        connection.execute(
            sqlalchemy.text("INSERT INTO accounts VALUES ('h', 'sealed', '+1•••••••42', :moment)"), {"moment": now()}
        )

    database.upgrade(engine)

    with engine.connect() as connection:
        row = connection.execute(sqlalchemy.select(accounts.c.phone_masked, accounts.c.email_encrypted, accounts.c.email_masked)).one()
    assert tuple(row) == ("+1•••••••42", None, None)
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_keeps_one_open_callback_per_number_and_then_refuses_a_second(request, tmp_path, backend):
    url = request.getfixturevalue("postgres")() if backend == "postgresql" else f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sqlalchemy.create_engine(url)
    database.upgrade(engine, "0009")
    row = {"number_hash": "h", "called": "+15005550006", "state": "sealed", "created_at": now()}
    with engine.begin() as connection:  # two placed at once, as the pending-only index let through
        connection.execute(callbacks.insert(), [{**row, "call_sid": f"CA{n}", "status": status} for n, status in enumerate(["placed", "placed", "verified"])])

    database.upgrade(engine)

    with engine.connect() as connection:
        statuses = connection.execute(sqlalchemy.select(callbacks.c.status).order_by(callbacks.c.id)).scalars().all()
    assert statuses == ["expired", "placed", "verified"]
    with pytest.raises(sqlalchemy.exc.IntegrityError), engine.begin() as connection:
        connection.execute(callbacks.insert(), {**row, "call_sid": "CA9", "status": "pending"})
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("command", [["call", "--keys", "code"], ["verifications", "report"], ["verifications", "unlock", "+14155550106"]])
def test_a_command_on_an_unmigrated_database_says_what_to_run(request, verify, tmp_path, backend, command):
    url = request.getfixturevalue("postgres")() if backend == "postgresql" else f"sqlite:///{tmp_path / 'new.sqlite3'}"
    app = create_app(TestConfig, http_client=verify, DATABASE_URL=url)
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1
    assert result.output.startswith("Error: database ")
    assert result.output.endswith(" does not have this version's tables: run `flask db upgrade` (or `make migrate`)\n")
    assert verify.requests == []  # no call was placed


def test_the_heads_read_without_alembic_are_alembics_own():
    from alembic.script import ScriptDirectory

    assert database.migration_heads() == set(ScriptDirectory(str(database.MIGRATIONS)).get_heads())


@pytest.mark.parametrize(
    "url, line",
    [
        (
            "sqlite:///nowhere/x.db",
            "Error: database sqlite:///nowhere/x.db: cannot open the SQLite file {cwd}/nowhere/x.db: three slashes start a path "
            "relative to the current folder; an absolute path takes four, sqlite:////nowhere/x.db",
        ),
        (
            "sqlite:///{cwd}/nowhere/x.db",
            "Error: database sqlite:///{cwd}/nowhere/x.db: cannot open the SQLite file {cwd}/nowhere/x.db: "
            "its folder must exist and this user be able to write there",
        ),
    ],
)
def test_a_sqlite_file_that_cannot_be_opened_is_named_with_the_path_tried_in_one_line(verify, tmp_path, monkeypatch, url, line):
    monkeypatch.chdir(tmp_path)
    app = create_app(TestConfig, http_client=verify, DATABASE_URL=url.format(cwd=tmp_path))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [line.format(cwd=tmp_path)]
