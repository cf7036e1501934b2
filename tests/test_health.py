"""Health checks for a load balancer, and a production start that will not run on an unmigrated database."""

import json
import logging

import pytest
import sqlalchemy

from app import create_app
from app.storage import database
from config import Config, SettingsError
from tests.conftest import BACKENDS
from tests.test_database_down import CLOSED_PORT
from tests.test_settings import PRODUCTION

BEHIND = "The database's schema is behind this version (records and lockouts would be off): run flask db upgrade"


@pytest.fixture
def unmigrated(request, backend, tmp_path):
    """A reachable database without this version's tables, of the test's backend."""
    if backend == "postgresql":
        return request.getfixturevalue("postgres")()
    return f"sqlite:///{tmp_path / 'not-migrated.sqlite3'}"


@pytest.fixture
def older(unmigrated):
    """A reachable database at an older migration."""
    engine = sqlalchemy.create_engine(unmigrated)
    database.upgrade(engine, "0002")
    engine.dispose()
    return unmigrated


def production(**settings):
    return create_app(Config, **{**PRODUCTION, **settings})


def test_healthz_answers_without_a_signature_or_a_database(make_app):
    client = make_app(DATABASE_URL=CLOSED_PORT).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(app):
    response = app.test_client().get("/readyz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})


@pytest.mark.parametrize("backend", BACKENDS)
def test_readyz_says_in_one_line_that_the_schema_is_behind(make_app, older):
    response = make_app(DATABASE_URL=older).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "reason": "the database schema is behind this version: run flask db upgrade"}
    assert response.data.count(b"\n") <= 1


def test_readyz_says_the_database_does_not_answer_and_reveals_nothing(make_app):
    app = make_app(DATABASE_URL=CLOSED_PORT)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "reason": "the database does not answer"}
    body = response.get_data(as_text=True)
    for secret in ("127.0.0.1", "postgres", app.config["SECRET_KEY"], app.config["TWILIO_AUTH_TOKEN"], "OperationalError"):
        assert secret not in body


@pytest.mark.parametrize("route", ["/healthz", "/readyz"])
def test_health_checks_take_get_only(app, route):
    assert app.test_client().post(route).status_code == 405


@pytest.mark.parametrize("backend", BACKENDS)
def test_production_refuses_to_start_on_a_database_behind_the_code(older):
    with pytest.raises(SettingsError) as refusal:
        production(DATABASE_URL=older)
    assert str(refusal.value).startswith(BEHIND)
    assert "\n" not in str(refusal.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_production_refuses_to_start_on_a_database_without_tables(unmigrated):
    with pytest.raises(SettingsError, match="run flask db upgrade"):
        production(DATABASE_URL=unmigrated)


def test_production_starts_on_a_migrated_database(database_url):
    app = production(DATABASE_URL=database_url)
    assert app.test_client().get("/readyz").status_code == 200


def test_development_starts_on_an_unmigrated_database_and_readyz_says_so(make_app, tmp_path):
    # `make run` migrates first; `flask call` and the other commands say what to run themselves.
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert app.test_client().get("/readyz").status_code == 503


def test_flask_db_upgrade_starts_on_an_unmigrated_database_in_production(monkeypatch, unmigrated):
    # The release phase runs `flask --app wsgi db upgrade`, which builds the app: it is the fix.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    app = production(DATABASE_URL=unmigrated)
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    database.dispose(app)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI")
    assert production(DATABASE_URL=unmigrated).test_client().get("/readyz").status_code == 200


def test_an_unreachable_database_starts_loudly_once_fails_readyz_and_is_counted(caplog):
    caplog.set_level(logging.WARNING)
    from tests.test_metrics import TOKEN, figure

    before = figure(production(DATABASE_URL=CLOSED_PORT, METRICS_TOKEN=TOKEN), "ivr_database_unreachable_at_start_total")
    caplog.clear()
    app = production(DATABASE_URL=CLOSED_PORT, METRICS_TOKEN=TOKEN)
    assert caplog.text.count("The DATABASE DOES NOT ANSWER: calls go on WITHOUT RECORDS, under the IN-MEMORY LIMITS") == 1
    assert [record.levelname for record in caplog.records if "DOES NOT ANSWER" in record.message] == ["ERROR"]
    assert figure(app, "ivr_database_unreachable_at_start_total") == before + 1
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.data)["reason"] == "the database does not answer"


def test_a_start_on_a_sqlite_file_that_cannot_be_opened_says_the_path_tried_and_the_absolute_form(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    production(DATABASE_URL="sqlite:///tmp/x.db")
    assert [record.message for record in caplog.records if record.message.startswith("database sqlite")] == [
        f"database sqlite:///tmp/x.db: cannot open the SQLite file {tmp_path}/tmp/x.db: three slashes start a path "
        "relative to the current folder; an absolute path takes four, sqlite:////tmp/x.db"
    ]
    assert "The DATABASE DOES NOT ANSWER" in caplog.text


def test_readyz_shares_the_calls_pool_and_asks_the_database_once_in_a_while(app, monkeypatch):
    checks = []
    behind = database.behind
    monkeypatch.setattr(database, "behind", lambda connection: checks.append(1) or behind(connection))
    client = app.test_client()
    assert [client.get("/readyz").status_code for _ in range(50)] == [200] * 50
    assert len(checks) == 1  # a flood of /readyz costs the database one check per worker every few seconds
    assert app.extensions["database"]["engine"] is None  # no pool of its own: the calls' pool, counted in the documentation
