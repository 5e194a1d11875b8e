# The two set-up commands: `make report` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_REPORT := $(VENV)/.installed-report
STAMP_DEV    := $(VENV)/.installed-dev

.PHONY: test report lint typecheck pytest clean bundle bench-env

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,report]'
	touch $@

$(STAMP_REPORT): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[report]'
	touch $@

test: $(STAMP_DEV) lint typecheck pytest

lint: $(STAMP_DEV)
	$(BIN)/ruff check vrueval tests benchmarks
	$(BIN)/ruff format --check vrueval tests benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/mypy vrueval

pytest: $(STAMP_DEV)
	$(BIN)/pytest -q -m "not slow"

report: $(STAMP_REPORT)
	$(BIN)/vrueval render --out _site

# Rebuild the bundled datasets from the raw official files in data/ (the package ships the result).
bundle: $(STAMP_DEV)
	$(BIN)/python -m vrueval.data.bundle data vrueval/data/bundled

clean:
	rm -rf $(VENV) _site .pytest_cache .mypy_cache .ruff_cache

# Peers for the benchmarks live in their own environment so they never change the test one.
.venv-bench/bin/python:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet -e '.[bench]'

bench-env: .venv-bench/bin/python
