# The two set-up commands: `make report` and `make test`. Each creates .venv when missing and
# installs the exact, hashed versions in requirements.lock (pyproject.toml keeps the loose ranges
# for people who install vrueval as a library).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test report lint typecheck pytest clean bundle update-lock bench-env

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Everything from the lock, hashes checked, nothing resolved on the fly; then vrueval itself,
# built with the locked setuptools. uv installs the lock (its own pinned, hashed line first, by
# pip): about 25 s against pip's 2 minutes. Should uv fail (an index it cannot reach), pip
# installs the same lock.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	awk '/^uv==/ {p = 1; print; next} p && /^    / {print; next} {p = 0}' requirements.lock \
	  > $(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-requirement.txt
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode \
	  requirements.lock \
	  || $(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check vrueval tests benchmarks
	$(BIN)/ruff format --check vrueval tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy vrueval

pytest: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

# Independent documents render side by side on JOBS local processes, and the parallel work
# inside them (the Methods report's Monte Carlo runs) shares the same JOBS; the pages are the
# same with any JOBS (make report JOBS=1 for one process).
JOBS ?= 2

report: $(STAMP)
	$(BIN)/vrueval render --out _site --jobs $(JOBS)

# Rebuild the bundled datasets from the raw official files in data/ (the package ships the result).
bundle: $(STAMP)
	$(BIN)/python -m vrueval.data.bundle data vrueval/data/bundled

# Refresh the lock to the newest releases the ranges in pyproject.toml allow (review, test, commit).
update-lock: $(STAMP)
	printf 'pip\nsetuptools>=68\nwheel\n' | $(BIN)/uv pip compile pyproject.toml - \
	  --extra dev --extra report --extra dask --extra ray --universal --python-version 3.11 --generate-hashes --upgrade \
	  --custom-compile-command "make update-lock" --quiet -o requirements.lock

clean:
	rm -rf $(VENV) _site .vrueval-cache .pytest_cache .mypy_cache .ruff_cache

# Peers for the benchmarks live in their own environment so they never change the test one.
.venv-bench/bin/python:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet -e '.[bench]'

bench-env: .venv-bench/bin/python
