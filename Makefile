# The README's commands. Everything runs from a virtualenv in .venv that these targets create.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export LMS_ENV ?= development

.PHONY: run test install install-test lint bench translations clean

# The venv's own pip (no self-upgrade: it installs this project from the package index as it is).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# The web app and one job consumer (embedded SQLite queue: no other service); Ctrl-C stops both.
# Links in e-mail point at the port the app serves on unless LMS_BASE_URL says otherwise.
run: export LMS_BASE_URL ?= http://127.0.0.1:$(PORT)
# Each step says what it does and, when it is done, how long it took (a fresh clone spends most
# of its time in the first one: installing the packages). The web app brings the schema up to date
# and loads the demo data itself before serving (each `flask` command builds the app anew: 5–15 s
# on a busy machine, so one process instead of four); the job worker starts beside it, niced, so
# that the web app answers first.
run: export STARTED := $(shell date +%s)
run:
	@echo "[1/2] Installing Tolok and its packages into $(VENV) (skipped when up to date)…"
	@$(MAKE) --no-print-directory install
	@echo "      done after $$(( $$(date +%s) - $(STARTED) )) s"
	@echo "[2/2] Bringing the database to the newest schema, loading the demo data into an empty one, then serving $(LMS_BASE_URL) with a job worker…"
	@nice -n 10 $(BIN)/flask --app wsgi lms worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask --app wsgi lms serve --demo --host 127.0.0.1 --port $(PORT)

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
