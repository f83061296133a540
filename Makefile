# Two commands for a fresh machine: `make serve` and `make test`. Everything else is set up
# on the way (virtualenv, install, migrations, demo data).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
CARESPACE_DATABASE_URL ?= sqlite://var/carespace.sqlite3
CARESPACE_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
export CARESPACE_DATABASE_URL

.PHONY: setup assets serve test test-sqlite test-postgres lint bench schema clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

# One `npm ci` when Node is there: GraphiQL's assets (served by Carespace) and graphql-http (the
# GraphQL-over-HTTP audit in tests/test_outside_suites.py), from package.json + package-lock.json.
# Without Node, one line: GraphiQL falls back to a CDN and those tests skip.
NPM := $(shell command -v npm 2>/dev/null)
ASSETS := $(if $(NPM),node_modules/.installed)

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

assets: $(ASSETS)
	@$(if $(NPM),:,echo "== Node/npm not found: GraphiQL loads its assets from a public CDN (the browser test is skipped)")

setup: $(VENV)/.installed assets

# `serve --port` makes the links in mail point at that port unless CARESPACE_PUBLIC_URL is set.
serve: setup assets
	$(PY) server.py migrate
	$(PY) server.py seed-demo
	$(PY) server.py serve --host $(HOST) --port $(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: lint test-sqlite test-postgres

test-sqlite: setup assets
	@echo "== test suite on SQLite"
	CARESPACE_TEST_DATABASE_URL=sqlite://:memory: $(VENV)/bin/pytest -q

# PostgreSQL is the production database: the same suite runs against it. With CI=true an
# unreachable server fails the run; elsewhere it is skipped with a notice.
test-postgres: setup assets
	@if $(PY) tests/postgres_ready.py "$(CARESPACE_TEST_DATABASE_URL)"; then \
		echo "== test suite on PostgreSQL"; \
		CARESPACE_TEST_DATABASE_URL="$(CARESPACE_TEST_DATABASE_URL)" $(VENV)/bin/pytest -q; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is required with CI=true but unreachable at $(CARESPACE_TEST_DATABASE_URL)" >&2; \
		exit 1; \
	else \
		echo "== PostgreSQL unreachable at $(CARESPACE_TEST_DATABASE_URL): skipped (CI=true makes it required)"; \
	fi

# Both benchmarks run even when the first misses a target; the exit status says if any did.
# BENCH_FLAGS=--quick for a short read benchmark while developing.
bench: setup
	$(PY) -m bench.roster; roster=$$?; $(PY) -m bench.records; records=$$?; \
	$(PY) -m bench.reads $(BENCH_FLAGS); reads=$$?; exit $$(( roster || records || reads ))

schema: setup
	$(PY) server.py export-schema

clean:
	rm -rf $(VENV) var *.egg-info node_modules test-artefacts
