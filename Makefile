# `make run`: set up, migrate and run the development server. `make test`: set up and run the tests.
# `make bench`: the burst benchmark (BENCHMARKS.md); `make bench-smoke`: a 10-call check of it;
# `make bench-1000`: 1000 callers on a fresh PostgreSQL database. Each burst is then run against
# bench/floor_app.py too, the least a Flask app pays on this server for the same calls.
# `make docs`: the documentation site (mkdocs.yml) on 127.0.0.1:8000, rebuilt as its pages change;
# `make docs-check`: built with --strict, failing on a broken link or a page left out of the navigation.
# `make acceptance`: every caller path on gunicorn as the Procfile runs it, Verify simulated.
# The server installs requirements.txt (as Heroku does); the tests requirements-dev.txt, the same
# packages and pytest. Both are compiled from their .in files (docs/development.md).
VENV ?= .venv
PYTHON ?= python3
RUNTIME := $(VENV)/.installed-runtime-$(shell cksum < requirements.txt | cut -d' ' -f1)
DEV := $(VENV)/.installed-dev-$(shell cksum < requirements-dev.txt | cut -d' ' -f1)
PIP_INSTALL = $(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes

.PHONY: run test serve migrate acceptance bench bench-smoke bench-1000 docs docs-check

$(RUNTIME): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt
	rm -f $(VENV)/.installed-runtime-* && touch $@

$(DEV): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements-dev.txt
	rm -f $(VENV)/.installed-dev-* && touch $@

migrate: $(RUNTIME)
	$(VENV)/bin/flask --app wsgi db upgrade

run: migrate
	$(VENV)/bin/flask run --host "$${HOST:-127.0.0.1}" --port "$${PORT:-5000}"

# As the Procfile: the migration in the server's environment (APP_ENV from the environment or
# .env, else production), not in the development one .flaskenv gives other flask commands.
serve: $(RUNTIME)
	FLASK_SKIP_DOTENV=1 $(VENV)/bin/flask --app wsgi db upgrade
	$(VENV)/bin/python web.py wsgi:app

test: $(DEV)
	$(VENV)/bin/python -m pytest

docs: $(DEV)
	$(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000

docs-check: $(DEV)
	site=$$(mktemp -d) && $(VENV)/bin/mkdocs build --strict --site-dir "$$site"; status=$$?; rm -rf "$$site"; exit $$status

acceptance: $(DEV)
	$(VENV)/bin/python -m bench.acceptance

bench: $(DEV)
	$(VENV)/bin/python -m bench.run --floor

bench-smoke: $(DEV)
	$(VENV)/bin/python -m bench.run --calls 10 --rounds 1 --requests 200 --startups 1 --floor --label smoke

# 1000 callers at once on a fresh PostgreSQL database (dropped after), every setting at its default.
bench-1000: $(DEV)
	$(VENV)/bin/python -m bench.run --calls 1000 --rounds 0 --startups 1 --fresh-postgres --floor --label 1000
