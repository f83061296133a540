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

# graphql-http, for the GraphQL-over-HTTP audit in tests/test_outside_suites.py.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

setup: $(VENV)/.installed node_modules/.package-lock.json

# GraphiQL's assets, from the npm registry (package.json + package-lock.json) into node_modules/.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

assets:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory node_modules/.installed; \
	else echo "== Node/npm not found: GraphiQL loads its assets from a public CDN (the browser test is skipped)"; fi

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
