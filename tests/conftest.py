"""Fixtures: an app on a fake Twilio, and a phone to call it with."""

import os
import secrets
import shutil

import pytest
import sqlalchemy
from twilio.request_validator import RequestValidator

from app import create_app
from app.storage import database, sends
from app.simulator import place_call
from app.storage.tables import metadata, verifications
from config import DevelopmentConfig, TestConfig
from tests.fakes import ScriptedVerify

CALLER = "+14155552671"
SERVICE_NUMBER = "+15005550006"
# The most DATABASE_TIMEOUT allows, for tests whose outcome a database given up on would change
# (the lockout and send races): a loaded machine is slow, its database still healthy.
SLOW_MACHINE_DATABASE_TIMEOUT = 5


@pytest.fixture(scope="session", autouse=True)
def metrics_folder(tmp_path_factory):
    """The figures of apps built with METRICS_TOKEN go to the session's own folder, not a new one in /tmp."""
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(tmp_path_factory.mktemp("metrics")))


@pytest.fixture
def verify():
    """Twilio Verify, faked at the HttpClient seam; scriptable per test."""
    return ScriptedVerify()


# The machine's PostgreSQL; tests create their own databases on it and drop them afterwards.
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres():
    """Make fresh, empty PostgreSQL databases: `postgres()` is a new one's URL. All dropped at the end."""
    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        admin.connect().close()
    except sqlalchemy.exc.OperationalError as error:
        message = f"PostgreSQL is not reachable at {POSTGRES_URL} ({type(error).__name__}): start it, or run .ci/run"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)  # CI must run every backend
        pytest.skip(message)
    created = []

    def create():
        name = f"ivr_test_{secrets.token_hex(6)}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        created.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    yield create
    with admin.connect() as connection:
        for name in created:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """Migrate an empty database once per session and backend: `migrated(url)`."""
    done = set()

    def migrate(url):
        if url not in done:
            engine = sqlalchemy.create_engine(url)
            database.upgrade(engine)
            engine.dispose()
            done.add(url)
        return url

    return migrate


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, migrated):
    return migrated(f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.sqlite3'}")


@pytest.fixture(scope="session")
def postgres_database(postgres, migrated):
    return migrated(postgres())


@pytest.fixture
def backend():
    """The database the test's app records to; `pytest.mark.parametrize("backend", BACKENDS)` for both."""
    return "sqlite"


@pytest.fixture
def database_url(request, backend, tmp_path):
    """A migrated database with no rows in it, of the test's backend."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "verifications.sqlite3"
        shutil.copy(sqlalchemy.make_url(template).database, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    return url


@pytest.fixture(autouse=True)
def test_database(monkeypatch, database_url):
    """Every app a test builds records to the test's own database, never to the repository's instance/."""
    monkeypatch.setattr(TestConfig, "DATABASE_URL", database_url)
    monkeypatch.setattr(DevelopmentConfig, "DATABASE_URL", database_url)


@pytest.fixture
def db(database_url):
    """An engine on the test's database, to look at what the app recorded."""
    engine = sqlalchemy.create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def make_app(verify):
    """Build an app on the fake Verify and the test's database, with settings changed for one test."""
    apps = []

    def make(**overrides):
        apps.append(create_app(TestConfig, http_client=verify, **overrides))
        return apps[-1]

    yield make
    for app in apps:
        sends.give_back(app)  # as the process would at its end
        database.dispose(app)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def call(app, verify):
    """Place a call the way Twilio does: `call(from_=...)` rings /voice and waits at the first Gather."""

    def dial(from_=CALLER, target=None, **options):
        options.setdefault("sms_source", verify)
        return place_call(target or app, from_=from_, to=SERVICE_NUMBER, **options)

    return dial


@pytest.fixture
def records(db):
    """What the app recorded, oldest first: `records()` is a list of dicts."""
    def read():
        with db.connect() as connection:
            rows = connection.execute(sqlalchemy.select(verifications).order_by(verifications.c.id)).mappings()
            return [dict(row) for row in rows]

    return read


@pytest.fixture
def hang_up(app):
    """Twilio's call status callback for a call that has ended: `hang_up(caller, "completed")`."""
    def post(caller, status="completed", target=None):
        target = target or app
        url = "https://ivr.example.com/voice/status"
        fields = {**caller.fields, "CallStatus": status, "CallDuration": "42"}
        signature = RequestValidator(target.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, fields)
        return target.test_client().post(url, data=fields, headers={"X-Twilio-Signature": signature})

    return post
