# The README's commands. Everything runs from a virtualenv in .venv that these targets create.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export LMS_ENV ?= development

.PHONY: run test install install-test lint bench translations clean

# Installing. `python3 -m venv` costs 4.5 s of CPU (ensurepip installs and compiles pip and
# setuptools). Then the venv's pip spent 23 s of CPU on `pip install -e .`, package cache warm: 4 s
# building the editable install in an isolated environment of setuptools and wheel (without
# isolation the venv's setuptools 65 cannot build it: no wheel package), 7 s byte-compiling every
# file of every package (`--no-compile` saves those), the rest resolving and unpacking ~50 wheels.
# So the venv's pip installs uv (one wheel, 2 s) and uv installs Tolok and its packages (2 s from
# uv's warm cache, ~/.cache/uv; a cold one downloads them in parallel). uv does not byte-compile:
# the modules the app imports are compiled on its first start (under a second; uv's
# --compile-bytecode spends 7 s more, on all of them). Where no uv wheel installs, pip does it all,
# without byte-compiling either (16 s of CPU, same packages). uv reads UV_DEFAULT_INDEX, not pip's
# PIP_INDEX_URL or pip.conf.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.uv: | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check 'uv>=0.5' \
	  || echo "uv did not install here: pip installs the packages instead (slower)"
	touch $@

# $(call pip_install,ARGS): uv when the venv has it, pip otherwise.
pip_install = if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --quiet --python $(BIN)/python $(1); \
	else $(BIN)/pip install --quiet --disable-pip-version-check --no-compile $(1); fi

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml | $(VENV)/.uv
	$(call pip_install,-e .)
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml | $(VENV)/.uv
	$(call pip_install,-e '.[test]')
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# The web app and one job consumer (embedded SQLite queue: no other service); Ctrl-C stops both.
# Links in e-mail point at the port the app serves on unless LMS_BASE_URL says otherwise.
run: export LMS_BASE_URL ?= http://127.0.0.1:$(PORT)
# Each step says what it does and, when it is done, the seconds since `make run` started. A fresh
# clone's first three steps install; later runs skip them (the venv and its stamp files are there).
# The web app brings the schema up to date and loads the demo data itself before serving (each
# `flask` command builds the app anew: 5–15 s on a busy machine, so one process instead of four);
# the job worker starts beside it, niced, so that the web app answers first.
run: export STARTED := $(shell date +%s)
run:
	@echo "[1/4] A Python virtualenv in $(VENV) (made once)…"
	@$(MAKE) --no-print-directory -s $(BIN)/python
	@echo "      done after $$(( $$(date +%s) - $(STARTED) )) s"
	@echo "[2/4] uv into $(VENV), the installer of the next step (once)…"
	@$(MAKE) --no-print-directory -s $(VENV)/.uv
	@echo "      done after $$(( $$(date +%s) - $(STARTED) )) s"
	@echo "[3/4] Tolok and its packages into $(VENV) (skipped when up to date)…"
	@$(MAKE) --no-print-directory -s install
	@echo "      done after $$(( $$(date +%s) - $(STARTED) )) s"
	@echo "[4/4] Bringing the database to the newest schema, loading the demo data into an empty one, then serving $(LMS_BASE_URL) with a job worker…"
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
