# Heatline: `make run` starts the demo system, `make test` runs every check. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := heatline.settings

.PHONY: run test install lint typecheck migrations-check messages pytest-sqlite pytest-postgres serve worker demo bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	@if command -v msgfmt >/dev/null; then cd heatline && ../$(BIN)/django-admin compilemessages -v0; \
	else echo "msgfmt (gettext) not found: English translations not compiled; the UI stays in Chinese"; fi

run: install messages
	$(BIN)/heatline migrate -v0
	$(BIN)/heatline demo --if-empty
	$(BIN)/heatline serve

lint: install
	$(BIN)/ruff check heatline tests bench conftest.py
	$(BIN)/ruff format --check heatline tests bench conftest.py

typecheck: install
	$(BIN)/mypy heatline

migrations-check: install
	DATABASE_URL=sqlite:///:memory: $(BIN)/heatline makemigrations --check --dry-run

# The database tests run on SQLite always, and on PostgreSQL when HEATLINE_TEST_DATABASE_URL is set
# or a server answers on 127.0.0.1:5432 (CI sets it).
PG_URL ?= $(HEATLINE_TEST_DATABASE_URL)
pytest-sqlite: install messages
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest -n 2 --create-db $(PYTEST_ARGS)

pytest-postgres: install messages
	@url="$(PG_URL)"; \
	if [ -z "$$url" ] && $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
	  url=postgres://postgres@127.0.0.1:5432/heatline_test; fi; \
	if [ -z "$$url" ]; then echo "PostgreSQL not available: skipping the PostgreSQL run"; exit 0; fi; \
	echo "PostgreSQL run on $$url"; \
	DATABASE_URL=$$url $(BIN)/pytest -n 2 --create-db $(PYTEST_ARGS)

test: lint typecheck migrations-check pytest-sqlite pytest-postgres

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

soak: install
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3* staticfiles
