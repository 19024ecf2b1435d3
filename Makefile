# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
# Debian's Prometheus 2 (prometheus + promtool) for the alert tests, unpacked into the venv: installing
# the package would also start a Prometheus service on the machine.
PROM     := $(VENV)/prometheus
PROMTOOL := $(PROM)/usr/bin/promtool
# checkov pins its own versions of shared libraries (packaging, jsonschema...): it gets a venv of its own.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV      := $(CHECKOV_VENV)/bin/checkov
CHECKOV_VERSION := 3.3.30
RECIPES_GITHUB := examples/github-actions/plan.yml examples/github-actions/apply.yml

.PHONY: demo test lint lint-recipes deps typecheck quality unit bench soak audit chart checkov lock prometheus clean help

help:
	@echo "make demo   - run hfleet against the embedded emulator (plan, apply, plan again, status)"
	@echo "make test   - install the dev tools; lint, recipe lint, deps, types, audit, checkov, the tests"
	@echo "make chart  - the chart, Dockerfile and recipe tests, plus hadolint and checkov"
	@echo "make lock   - rewrite requirements.lock and requirements-build.lock (hashes, with uv)"
	@echo "make bench  - the fleet and start-up benchmarks (bench/), write bench/results.md"
	@echo "make soak   - the long kill-loop and fault runs"
	@echo "make audit  - pip-audit the pinned runtime dependencies (requirements.lock)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(PROMTOOL): | $(BIN)/python
	@command -v apt-get >/dev/null || { echo "no apt-get: put Prometheus 2.x (prometheus, promtool) on PATH"; exit 1; }
	rm -rf $(PROM).download && mkdir -p $(PROM).download
	cd $(PROM).download && { apt-get download prometheus 2>/dev/null || { apt-get update -qq && apt-get download prometheus; }; }
	dpkg-deb -x $(PROM).download/prometheus_*.deb $(PROM)
	rm -rf $(PROM).download
	$(PROMTOOL) --version | head -1

prometheus: $(PROMTOOL)

$(CHECKOV): | $(BIN)/python
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'

demo: $(STAMP)
	@bash scripts/demo.sh

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests bench scripts
	$(BIN)/ruff format --check reconciler tests bench scripts
	$(BIN)/lint-imports

# The CI recipes in examples/ as their platforms would read them: actionlint (which runs shellcheck
# on every `run:` script, hence the PATH) and zizmor for GitHub, GitLab's CI schema and shellcheck
# for GitLab (scripts/lint_gitlab_ci.py).
lint-recipes: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/actionlint -no-color $(RECIPES_GITHUB)
	$(BIN)/zizmor --offline --min-severity medium --no-progress $(RECIPES_GITHUB)
	$(BIN)/python scripts/lint_gitlab_ci.py examples/gitlab-ci/.gitlab-ci.yml

# Every import of the package is a declared dependency, and every declared dependency is imported.
deps: $(STAMP)
	$(BIN)/deptry .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(PROMTOOL)
	$(BIN)/pytest -n 2 -q

# Sizes, complexity and dead code of reconciler/ (radon, vulture): scripts/quality.py says the limits.
quality: $(STAMP)
	$(BIN)/python scripts/quality.py

test: lint lint-recipes deps typecheck quality audit checkov unit

# The pinned runtime dependencies (requirements.lock) against PyPI's advisories; warns instead of
# failing when the advisory service is unreachable (HFLEET_AUDIT_REQUIRED=1: fail).
audit: $(STAMP)
	$(BIN)/python scripts/audit.py

# Both lock files come from uv, with hashes, for every platform and Python hfleet supports:
# requirements.lock (the runtime dependencies: the image, the CI recipes, make audit) and
# requirements-build.lock (the wheel's build backend, for the image). Existing pins are kept;
# `make lock UPGRADE=1` moves them to the newest releases.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml $(if $(UPGRADE),--upgrade) --universal --generate-hashes \
	  --python-version 3.11 --custom-compile-command "make lock" --quiet -o requirements.lock
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
	  | $(BIN)/uv pip compile - $(if $(UPGRADE),--upgrade) --universal --generate-hashes \
	  --python-version 3.11 --custom-compile-command "make lock" --quiet -o requirements-build.lock

bench: $(STAMP)
	$(BIN)/python -m bench.fleet_bench
	$(BIN)/python -m bench.startup

soak: $(STAMP)
	HFLEET_SOAK=1 $(BIN)/pytest -q -m soak -p no:randomly

clean:
	rm -rf $(VENV) .hfleet .mypy_cache .pytest_cache .ruff_cache

# checkov needs a venv of its own (about 45 s to install, once; a scan takes about 6 s). hadolint runs
# in tests/test_dockerfile.py. The chart is rendered with each
# ci/ value set (Helm's engine, scripts/render_chart.py) and scanned as Kubernetes manifests. Skipped:
#   CKV_K8S_43 (image by digest) and CKV_K8S_15 (pull policy Always): the chart pins by digest when
#     `image.digest` is set, which docs/deploy.md asks for in production; a tag is the default
#     because no digest is published yet, and Always is pointless once a digest pins the image.
#   CKV_K8S_35 (secrets as files, not env): hfleet reads its token from HF_TOKEN; the chart takes it
#     from a Secret (secretKeyRef), never from a value.
CHECKOV_SKIP := CKV_K8S_43,CKV_K8S_15,CKV_K8S_35
checkov: $(CHECKOV) $(STAMP)
	$(CHECKOV) --quiet --compact --skip-download --framework dockerfile --file Dockerfile
	rm -rf $(VENV)/rendered-chart && $(BIN)/python scripts/render_chart.py $(VENV)/rendered-chart
	$(CHECKOV) --quiet --compact --skip-download --framework kubernetes --skip-check $(CHECKOV_SKIP) \
	  --directory $(VENV)/rendered-chart

chart: $(STAMP) $(PROMTOOL) checkov
	$(BIN)/hadolint Dockerfile
	$(BIN)/pytest -q tests/chart tests/test_dockerfile.py tests/test_examples.py
