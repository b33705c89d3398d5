# The local stack and the test suite; every target bootstraps what it needs (venv, npm packages).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
INFRA_VENV := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: help demo up test bench chaos lint typecheck unit bootstrap chromium infra-check clean

help:
	@echo "make demo   start Azurite, the simulators and the dev host, run the demo, print a summary, stop"
	@echo "make up     the same stack, kept running until Ctrl-C"
	@echo "make test   the whole suite (lint, types, unit, contract, flows, e2e)"
	@echo "make bench  the benchmarks against the simulators (not tests): bench/README.md"
	@echo "make chaos  every flow at once under faults and dev host kills, checked exactly (CHAOS_ARGS=\"--seed 7\"): docs/chaos.md"

bootstrap: $(STAMP) $(NODE_STAMP) local.settings.json

# Python 3.13 from PATH, else from pyenv; one clear line when it is missing.
$(STAMP): requirements.txt requirements-dev.txt
	@PY313="$$(command -v python3.13 || true)"; \
	if [ -z "$$PY313" ] || ! "$$PY313" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then \
	  PY313="$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null | sort -V | tail -n 1)"; \
	fi; \
	if [ -z "$$PY313" ]; then echo "Python 3.13 is required and was not found (install it, or 'pyenv install 3.13')." >&2; exit 1; fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then \
	  rm -rf $(VENV) && "$$PY313" -m venv $(VENV); \
	fi
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20 with npm is required and was not found." >&2; exit 1; }
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

local.settings.json: local.settings.example.json
	@if [ -f local.settings.json ]; then \
	  echo "Note: local.settings.example.json changed since your local.settings.json; compare them (or delete yours to start again)."; \
	  touch local.settings.json; \
	else \
	  cp local.settings.example.json local.settings.json; \
	  echo "Created local.settings.json from local.settings.example.json"; \
	fi

# The dashboard is tested in a real browser: Debian's chromium, installed when missing (root, apt).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the dashboard test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The dashboard test needs Chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; }

# checkov (and its Bicep parser) in a venv of their own: too many dependencies to share with the app.
$(INFRA_STAMP): requirements-infra.txt $(STAMP)
	@if [ ! -x $(INFRA_VENV)/bin/python ]; then "$$($(PY) -c 'import sys; print(sys._base_executable)')" -m venv $(INFRA_VENV); fi
	@$(INFRA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	@touch $(INFRA_STAMP)

# Every .bicep file parses; checkov: no failed check, no parse error, every skip with its reason.
infra-check: $(INFRA_STAMP)
	@$(INFRA_VENV)/bin/python infra/check.py

demo: bootstrap
	@$(PY) -m local.stack demo

up: bootstrap
	@$(PY) -m local.stack up

lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check --quiet .

typecheck: $(STAMP)
	@$(VENV)/bin/mypy

test: bootstrap chromium lint typecheck infra-check
	@$(PY) -m pytest $(PYTEST_ARGS)

bench: bootstrap
	@$(PY) -m bench.run $(BENCH_ARGS)

chaos: bootstrap
	@$(PY) -m chaos $(CHAOS_ARGS)

clean:
	rm -rf .local test-artifacts .pytest_cache .mypy_cache .ruff_cache $(INFRA_VENV)
