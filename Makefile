# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit bench soak audit chart clean help

help:
	@echo "make demo   - run hfleet against the embedded emulator (plan, apply, plan again, status)"
	@echo "make test   - install the dev tools and run lint, types, audit and the test suite"
	@echo "make bench  - the fleet benchmark (bench/), writes bench/results.md"
	@echo "make soak   - the long kill-loop and fault runs"
	@echo "make audit  - pip-audit the pinned runtime dependencies (requirements.lock)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	@bash scripts/demo.sh

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests bench
	$(BIN)/ruff format --check reconciler tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck audit unit

# The pinned runtime dependencies (requirements.lock, from scripts/lock.py) against PyPI's advisories;
# warns instead of failing when the advisory service is unreachable (HFLEET_AUDIT_REQUIRED=1: fail).
audit: $(STAMP)
	$(BIN)/python scripts/audit.py

bench: $(STAMP)
	$(BIN)/python -m bench.fleet_bench

soak: $(STAMP)
	HFLEET_SOAK=1 $(BIN)/pytest -q -m soak -p no:randomly

clean:
	rm -rf $(VENV) .hfleet .mypy_cache .pytest_cache .ruff_cache

chart: $(STAMP)
	$(BIN)/hadolint Dockerfile
	$(BIN)/pytest -q tests/chart tests/test_dockerfile.py tests/test_examples.py
