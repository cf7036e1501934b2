# `make run`: set up and run the development server. `make test`: set up and run the tests.
# `make bench`: the burst benchmark (BENCHMARKS.md); `make bench-smoke`: a 10-call check of it.
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)

.PHONY: run test serve bench bench-smoke

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/flask run --port $${PORT:-5000}

serve: $(STAMP)
	$(VENV)/bin/gunicorn --config gunicorn.conf.py wsgi:app

test: $(STAMP)
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python -m bench.run

bench-smoke: $(STAMP)
	$(VENV)/bin/python -m bench.run --calls 10 --rounds 1 --requests 200 --startups 1 --label smoke
