# Heatline: `make run` starts the demo system, `make test` runs every check. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := heatline.settings

.PHONY: run test install lint typecheck migrations-check messages browser-check pytest-sqlite pytest-postgres pytest-shifted browser-summary serve worker demo bench soak clean

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
# or a server answers on 127.0.0.1:5432 (CI sets it). The browser tests are part of every run: without
# Debian's Chromium `make test` stops and says how to install it (never `playwright install`).
PG_URL ?= $(HEATLINE_TEST_DATABASE_URL)
export HEATLINE_REQUIRE_BROWSER := 1
COUNTS := var/browser-tests
# The shifted-clock run: the whole suite on SQLite with the process clock moved (libfaketime) to a Spring
# Festival morning of a year the holiday package does not know, so no test can depend on the real date.
SHIFTED_CLOCK ?= 2031-01-23 09:00:00

browser-check:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "Chromium is needed for the browser tests. Install it with: apt-get install chromium fonts-wqy-microhei"; exit 1; }
	@mkdir -p $(COUNTS) && rm -f $(COUNTS)/*.count

pytest-sqlite: install messages browser-check
	HEATLINE_BROWSER_COUNT_FILE=$(COUNTS)/sqlite.count \
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest -n 2 --create-db $(PYTEST_ARGS)

pytest-postgres: install messages browser-check
	@url="$(PG_URL)"; \
	if [ -z "$$url" ] && $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
	  url=postgres://postgres@127.0.0.1:5432/heatline_test; fi; \
	if [ -z "$$url" ]; then echo "PostgreSQL not available: skipping the PostgreSQL run"; exit 0; fi; \
	echo "PostgreSQL run on $$url"; \
	HEATLINE_BROWSER_COUNT_FILE=$(COUNTS)/postgresql.count \
	DATABASE_URL=$$url $(BIN)/pytest -n 2 --create-db $(PYTEST_ARGS)

pytest-shifted: install messages browser-check
	@command -v faketime >/dev/null 2>&1 || { \
	  echo "faketime is needed for the shifted-clock run. Install it with: apt-get install faketime"; exit 1; }
	@echo "Shifted-clock run (SQLite): the clock reads $(SHIFTED_CLOCK)"
	HEATLINE_BROWSER_COUNT_FILE=$(COUNTS)/shifted.count DATABASE_URL=sqlite:///$(CURDIR)/var/test-shifted.sqlite3 \
	faketime '$(SHIFTED_CLOCK)' $(BIN)/pytest -n 2 --create-db -p no:cacheprovider $(PYTEST_ARGS)

browser-summary:
	@$(BIN)/python scripts/browser_summary.py $(COUNTS)

test: lint typecheck migrations-check browser-check pytest-sqlite pytest-postgres pytest-shifted browser-summary

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

soak: install
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3* staticfiles
