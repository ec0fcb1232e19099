# The README's commands. Everything runs from a virtualenv in .venv that these targets create.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export LMS_ENV ?= development

.PHONY: run test install install-test lint bench translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# The web app and one job consumer (embedded SQLite queue: no other service); Ctrl-C stops both.
# Links in e-mail point at the port the app serves on unless LMS_BASE_URL says otherwise.
run: export LMS_BASE_URL ?= http://127.0.0.1:$(PORT)
# Each step says what it does and, when it is done, how long it took (a fresh clone spends most
# of its time in the first one: installing the packages).
run: export STARTED := $(shell date +%s)
run:
	@echo "[1/5] Installing Tolok and its packages into $(VENV) (skipped when up to date)…"
	@$(MAKE) --no-print-directory install
	@echo "      done after $$(( $$(date +%s) - $(STARTED) )) s"
	@echo "[2/5] Bringing the database to the newest schema…"
	@$(BIN)/flask --app wsgi db upgrade
	@echo "[3/5] Loading the demo data (only into an empty database)…"
	@$(BIN)/flask --app wsgi lms demo --if-empty
	@echo "[4/5] Where e-mail goes:"
	@$(BIN)/flask --app wsgi lms outbox
	@echo "[5/5] Starting the job worker and the web app on $(LMS_BASE_URL) ($$(( $$(date +%s) - $(STARTED) )) s so far)…"
	@$(BIN)/flask --app wsgi lms worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

# pytest-xdist workers (one per core by default); each has its own databases (test → test_gw0, …)
# and, when LMS_TEST_REDIS_URL names database n, Redis database n + its number.
TEST_WORKERS ?= auto

test: install-test
	LMS_ENV=testing $(BIN)/python -m pytest -q -n $(TEST_WORKERS)
	# The core once more with every plugin off (on SQLite: this checks the plugin boundary, not the database).
	LMS_ENV=testing LMS_PLUGINS='[]' LMS_TEST_DATABASE_URL= $(BIN)/python -m pytest -q tests -m "not browser" -p no:cacheprovider -n $(TEST_WORKERS)

# ruff, then mypy over lms/ and plugins/ (settings in pyproject.toml's [tool.mypy]).
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

translations: install-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o lms/translations/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d lms/translations

# The small version of bench/pages.py on SQLite (under two minutes); bench/README.md shows the large one.
bench: install-test
	LMS_ENV=testing $(BIN)/python -m bench.pages --cohorts 2 --size 30 --national 300 --runs 1 --delete

clean:
	rm -rf $(VENV) build *.egg-info
