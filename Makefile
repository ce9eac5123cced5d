# PAR Warehouse — the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.9.30
export AIRFLOW_HOME := $(CURDIR)/.local/airflow
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: install system-deps demo test lint bench airflow clean-local

$(BIN)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required; set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/parwh demo

# The report-site screenshot test needs a headless Chromium (Debian's `chromium`); install it
# when it is missing and this machine can (root with apt-get), else say what to do.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the report-site screenshot test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: install Debian's chromium (sudo apt-get install chromium) for the screenshot test"; fi; }

# Two pytest workers (pytest-xdist), whole files to a worker, handed out in the order conftest.py
# sorts them (the files running real Airflow DAGs first), not xdist's most-tests-first; then the
# 25 slowest tests. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: install system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25 $(PYTEST_ARGS)

airflow: install
	$(BIN)/parwh airflow standalone

# ruff for Python, import-linter for the rooms' import rules (pyproject.toml), sqlfluff for the dbt SQL.
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests --processes 2

bench: install
	$(BIN)/python bench/run.py

clean-local:
	-$(BIN)/parwh warehouse stop
	rm -rf .local site landing archive quarantine
