"""requirements.txt installs what the server imports, every package pinned and hashed, and nothing of the tests."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What a gunicorn worker of either class imports, and what the migrations and PostgreSQL need,
# with the test tools' modules made unimportable (an optional import of them is skipped).
SERVER_IMPORTS = """
import importlib.metadata, json, re, sys
owners = importlib.metadata.packages_distributions()
started = set(sys.modules)
for name, dists in owners.items():
    if {re.sub(r"[-_.]+", "-", dist).lower() for dist in dists} & set(json.loads(sys.argv[1])):
        sys.modules[name] = None
import wsgi, gunicorn.app.wsgiapp, gunicorn.workers.ggevent, gunicorn.workers.gthread, alembic.command, psycopg
loaded = {name for name, module in sys.modules.items() if module is not None and name not in started}
top = {name.split(".")[0] for name in loaded} - set(sys.stdlib_module_names)
print(json.dumps(sorted({dist for name in top for dist in owners.get(name, [])})))
"""


def pinned(name):
    """{package: number of hashes} of a compiled requirements file."""
    text = (ROOT / name).read_text()
    entries = re.split(r"\n(?=\S)", text)
    found = {}
    for entry in entries:
        match = re.match(r"([A-Za-z0-9._-]+)==\S+", entry)
        if match:
            found[normalized(match[1])] = entry.count("--hash=sha256:")
    return found


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_package_is_pinned_with_its_hashes(name):
    text = (ROOT / name).read_text()
    lines = [line for line in text.splitlines() if line and not line.lstrip().startswith(("#", "--hash"))]
    assert all(re.match(r"[A-Za-z0-9._-]+==\S+ \\$", line) for line in lines), lines
    assert pinned(name) and all(pinned(name).values())


def test_the_server_needs_nothing_of_the_tests():
    assert "pytest" not in pinned("requirements.txt")
    assert "pytest" in pinned("requirements-dev.txt")


def test_the_tests_run_on_the_servers_versions():
    runtime = (ROOT / "requirements.txt").read_text()
    dev = (ROOT / "requirements-dev.txt").read_text()
    versions = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", runtime, re.M))
    assert versions and all(re.search(rf"^{re.escape(name)}=={re.escape(v)} ", dev, re.M) for name, v in versions.items())


def test_requirements_txt_has_every_package_the_server_imports():
    test_tools = set(pinned("requirements-dev.txt")) - set(pinned("requirements.txt"))
    env = {"PATH": "", "APP_ENV": "development", "DATABASE_URL": "sqlite://"}
    command = [sys.executable, "-c", SERVER_IMPORTS, json.dumps(sorted(test_tools))]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    imported = {normalized(dist) for dist in json.loads(done.stdout.splitlines()[-1])}
    assert imported - set(pinned("requirements.txt")) == set()
