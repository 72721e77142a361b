# The two commands a new user runs are `make demo` and `make test`; both set
# up .venv at the repo root from pyproject.toml first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Everything that needs only Python; the system parts are covered by test-all.
PYTHON_ONLY := not postgres and not docker and not prometheus and not browser

.PHONY: venv lint test test-all system verify demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -m "$(PYTHON_ONLY)"

# Installs and starts PostgreSQL (and later dockerd, Prometheus, chromium),
# then runs every test. A missing system part fails here, it is not skipped.
system:
	bash .ci/system-setup

test-all: lint system
	. .ci/system-env && $(BIN)/pytest
	$(MAKE) verify

# CI's question: does every scenario's alerting still fire against real faults,
# and does the service recover? JUnit goes to test-output/verify.xml.
verify: $(STAMP)
	. .ci/system-env && $(BIN)/chaosdrill verify scenarios/ \
		--database-url "$$TEST_POSTGRES_URL" --junit test-output/verify.xml

demo: $(STAMP)
	$(BIN)/chaosdrill run scenarios/app-crash.yaml --autopilot --report-dir reports/demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .chaosdrill
