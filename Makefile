# kzarchive: `make run` serves the archive at http://127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export DJANGO_SETTINGS_MODULE := kzarchive.settings

.PHONY: run install migrate seed index serve test test-fast lint format check-migrations bench-extraction bench-scale bench-session bench-export bench-names bench-names-speed bench-index-writes bench-hostile clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Need $(PYTHON) (Python 3.11) on PATH, or run: make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py ingest fixtures/seeds

index: seed
	$(PY) manage.py rebuild_index --noinput

run: index
	@echo ""
	@echo "kzarchive is at http://127.0.0.1:8000/  (admin: http://127.0.0.1:8000/admin/)"
	@echo "Create a curator login with:  $(PY) manage.py createsuperuser"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:8000

# The whole suite on SQLite (browser tests included), then on a throwaway PostgreSQL cluster the tests marked
# `database` (tests/run_postgres.py; skipped with a notice when PostgreSQL is not installed, a failure under CI's
# KZARCHIVE_REQUIRE_POSTGRES=1). `database` = the tests whose outcome can depend on the database: those that use
# it, except modules that use it only to hold seed articles for Whoosh, text analysis or citation formats
# (the rule and the list: tests/conftest.py, DATABASE_INDEPENDENT). Browser tests run once, on SQLite: they
# test pages, not the database. haystack's own Whoosh backend tests (tests/haystack_contract, ~15 s) run against
# our engine with their own settings and models. The PostgreSQL run uses two xdist workers (each gets its own
# test database and Whoosh folder).
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n 2
	$(PY) -m pytest -p no:randomly --ds tests.haystack_contract.settings tests/haystack_contract
	HAYSTACK_URL=simple:// $(PY) -m pytest -p no:randomly -n 2 -rs tests/test_search.py tests/test_views.py tests/test_api.py tests/test_search_pages.py tests/test_engine_features.py
	$(PY) tests/run_postgres.py -n 2 -m "database and not browser"

test-fast: install
	$(PY) -m pytest -m "not browser" -x

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-migrations: install
	$(PY) manage.py makemigrations --check --dry-run

bench-extraction: install
	$(PY) benchmarks/extraction.py

bench-names: install
	$(PY) benchmarks/name_variants.py

bench-names-speed: install
	nice -n 10 $(PY) benchmarks/name_speed.py --articles 10000

bench-scale: install
	$(PY) benchmarks/scale.py --articles 10000

# A researcher's session (issue 16): first page, refinements and full facets, cache off and on, vs raw Whoosh and FTS5.
bench-session: install
	$(PY) benchmarks/scale.py --workload session --articles 10000 --fill bulk --no-raw-writer

bench-export: install
	$(PY) benchmarks/export.py --articles 10000

bench-index-writes: install
	$(PY) benchmarks/index_writes.py

# Exits 1 when any hostile query takes over 2 s at 10,000 articles (issue 11); about 10 min on 2 cores.
bench-hostile: install
	$(PY) benchmarks/hostile_queries.py --articles 10000

clean:
	rm -rf $(VENV) var .pytest_cache
