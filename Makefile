# `make run`: set up, migrate and run the development server. `make test`: set up and run the tests.
# `make bench`: the burst benchmark (BENCHMARKS.md); `make bench-smoke`: a 10-call check of it.
# `make acceptance`: every caller path on gunicorn as the Procfile runs it, Verify simulated.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)

.PHONY: run test serve migrate acceptance bench bench-smoke

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

migrate: $(STAMP)
	$(VENV)/bin/flask --app wsgi db upgrade

run: migrate
	$(VENV)/bin/flask run --port $${PORT:-5000}

serve: migrate
	$(VENV)/bin/gunicorn --config gunicorn.conf.py wsgi:app

test: $(STAMP)
	$(VENV)/bin/python -m pytest

acceptance: $(STAMP)
	$(VENV)/bin/python -m bench.acceptance

bench: $(STAMP)
	$(VENV)/bin/python -m bench.run

bench-smoke: $(STAMP)
	$(VENV)/bin/python -m bench.run --calls 10 --rounds 1 --requests 200 --startups 1 --label smoke
