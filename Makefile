# The two commands a new user runs are `make demo` and `make test`; both set
# up .venv at the repo root from pyproject.toml first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Everything that needs only Python; the system parts are covered by test-all.
# The crash-safety matrix (about 11 minutes of killed drills) runs in test-all.
# The fidelity witness (marker witness) compares latency seen from outside with the
# scorecard's clocks: on a host the suite loads, the restarted shop's p99 passes 1 s for
# seconds after a plain client sees it answer; it runs in test-all, beside nothing.
PYTHON_ONLY := not postgres and not docker and not prometheus and not browser and not crash and not quiet and not witness
# pytest-xdist workers. Tests are isolated by port and state directory; a test
# file stays on one worker (--dist loadfile in pyproject.toml), longest files first
# (tests/scheduling.py). The suite mostly waits on real processes (drills, TTLs,
# detection windows: about 1.3 cores busy at 6 workers), so 6 workers pay off even
# on 2 cores. `make test WORKERS=1` runs it serially.
WORKERS ?= 6

.PHONY: venv lint test test-all system verify demo clean

# pip's own output (and this machine's index warnings) goes to a log that is
# shown only when the install fails: a first run prints progress and the result.
INSTALL_LOG := $(VENV)/install.log

# Every test starts Python processes (the shop, the CLI, the watchdog: about 400 in
# `make test`); with PYTHONDONTWRITEBYTECODE set, as on this project's machines, each
# would compile the code it imports anew. The bytecode caches (__pycache__, ignored by
# git) are written here instead: by uv for the venv, by Python for this tree.
unexport PYTHONDONTWRITEBYTECODE

# uv (from PyPI, into the venv) resolves and installs in about 15 s where pip takes
# about 45 s on a fresh clone; if uv cannot be had, pip does the same install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "creating $(VENV)"; $(PY) -m venv $(VENV); }
	@echo "installing chaosdrill and its dev tools into $(VENV) (log: $(INSTALL_LOG))"
	@{ { $(BIN)/pip install 'uv>=0.5' && $(BIN)/uv pip install --compile-bytecode --python $(BIN)/python -e '.[dev]'; } \
		|| { $(BIN)/pip install --upgrade pip && $(BIN)/pip install -e '.[dev]'; }; } \
		>$(INSTALL_LOG) 2>&1 || { tail -n 40 $(INSTALL_LOG); \
		echo "installing failed: the whole log is $(INSTALL_LOG)" >&2; exit 1; }
	@touch $(STAMP)
	@echo "ready: $$($(BIN)/chaosdrill --version)"

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

# The lint (mostly mypy, about 40 s on a fresh clone) runs beside the tests rather
# than before them; either failing fails `make test`, and its output is shown then.
LINT_LOG := $(VENV)/lint.log

test: $(STAMP)
	@$(MAKE) --no-print-directory lint >$(LINT_LOG) 2>&1 & lint=$$!; \
	$(BIN)/pytest -n $(WORKERS) -m "$(PYTHON_ONLY)"; tests=$$?; \
	wait $$lint; linted=$$?; \
	if [ $$linted -eq 0 ]; then echo "lint: clean (ruff, ruff format, mypy, import contracts)"; \
	else cat $(LINT_LOG); echo "lint failed (above; log: $(LINT_LOG))" >&2; fi; \
	[ $$tests -eq 0 ] && [ $$linted -eq 0 ]

# Installs and starts PostgreSQL (and later dockerd, Prometheus, chromium),
# then runs every test. A missing system part fails here, it is not skipped.
system:
	bash .ci/system-setup

test-all: lint system
	. .ci/system-env && $(BIN)/pytest -n $(WORKERS) -m "not docker and not quiet and not witness"
	# Latency seen from outside (ratios, the witness's slow answers) needs a machine the
	# suite itself does not load: the crash matrix and the clusters run beside nothing here.
	. .ci/system-env && $(BIN)/pytest -m "quiet or witness"
	# One dockerd, shared image tags: the docker tests run one after another.
	. .ci/system-env && $(BIN)/pytest -m docker
	$(MAKE) verify

# CI's question: does every scenario's alerting still fire against real faults,
# and does the service recover? JUnit goes to test-output/verify.xml.
verify: $(STAMP)
	. .ci/system-env && $(BIN)/chaosdrill verify scenarios/ \
		--database-url "$$TEST_POSTGRES_URL" --junit test-output/verify.xml

demo: $(STAMP)
	$(BIN)/chaosdrill run scenarios/app-crash.yaml --autopilot --force --report-dir reports/demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .chaosdrill
