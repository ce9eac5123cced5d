# PAR Warehouse — the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
# The Python versions the project supports, newest first. pyproject.toml's requires-python and the
# README say the same, the Dockerfile runs one of them; tests/unit/test_python_versions.py holds
# them together.
PYTHONS := 3.13 3.12 3.11
# .venv is made with PYTHON=/path/to/python when given, else with the newest of $(PYTHONS) that runs
# as python3.13, python3.12, python3.11 or python3 on PATH (a pyenv shim of a version pyenv has not
# selected does not run, so it is passed over). It keeps its Python until PYTHON names another
# version, which makes it anew. VENV=.venv-3.12 keeps another one beside it.
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.9.30
export AIRFLOW_HOME := $(CURDIR)/.local/airflow
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: install system-deps demo test lint bench airflow clean-local pythons venv-switch

PYTHON_NAMES := $(addprefix python,$(PYTHONS)) python3
PRINT_PYTHON := import sys; print("%d.%d" % sys.version_info[:2], sys.executable)
# "X.Y /path/to/python" for each interpreter named in $(1) that runs and is one of $(PYTHONS), newest first.
supported_pythons = for name in $(1); do "$$name" -c '$(PRINT_PYTHON)' 2>/dev/null; done \
	| awk -v ok=" $(PYTHONS) " 'index(ok, " " $$1 " ")' | sort -rV
NO_PYTHON := no Python $(PYTHONS) runs here (tried $(PYTHON_NAMES)): install one (Debian/Ubuntu: \
	apt-get install python3 python3-venv), or name it: make PYTHON=/path/to/python3.1x; or let uv provide one: \
	uv python install $(firstword $(PYTHONS)) && make PYTHON="$$(uv python find $(firstword $(PYTHONS)))"

# With PYTHON given, a venv of another Python version is stale whatever its timestamps say.
ifdef PYTHON
  python_version = $(word 1,$(shell $(1) -c '$(PRINT_PYTHON)' 2>/dev/null))
  ifneq ($(call python_version,$(PYTHON)),$(call python_version,$(BIN)/python))
    VENV_SWITCH := venv-switch
  endif
endif

# Exact pins only: the lock is installed without resolving anything further, then `uv pip check`
# fails if the lock misses a package this Python needs (requirements.lock is compiled --universal).
$(BIN)/.installed: requirements.lock pyproject.toml $(VENV_SWITCH)
	@have="$$($(BIN)/python -c '$(PRINT_PYTHON)' 2>/dev/null | cut -d' ' -f1)"; \
	if [ -n "$(PYTHON)" ]; then \
	  chosen="$$($(call supported_pythons,$(PYTHON)))"; \
	  [ -n "$$chosen" ] || { echo "PYTHON=$(PYTHON) does not run as Python $(PYTHONS)" >&2; exit 1; }; \
	elif [[ " $(PYTHONS) " == *" $$have "* ]]; then chosen="$$have"; \
	else \
	  chosen="$$($(call supported_pythons,$(PYTHON_NAMES)) | head -n 1)"; \
	  [ -n "$$chosen" ] || { echo '$(NO_PYTHON)' >&2; exit 1; }; \
	fi; \
	if [ "$${chosen%% *}" != "$$have" ]; then \
	  [ ! -e "$(VENV)" ] || [ -f "$(VENV)/pyvenv.cfg" ] || { echo "$(VENV) is not a virtual environment: not replacing it" >&2; exit 1; }; \
	  echo "making $(VENV) with Python $$chosen"; rm -rf "$(VENV)" && "$${chosen#* }" -m venv "$(VENV)"; \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/uv pip check --quiet --python $(BIN)/python
	touch $@

install: $(BIN)/.installed

# The supported versions, for .ci/run.
pythons:
	@echo $(PYTHONS)

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
