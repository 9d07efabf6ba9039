# The one dev interface: README, developers and CI all call these targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-marketloop
PYTEST_ARGS ?=

.PHONY: install demo test fuzz lint format bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

demo: install  ## run the demo loop (examples/loops/demo.yaml) through the runner, offline
	$(BIN)/marketloop loop demo

test: install  ## the full test suite (needs PostgreSQL :5432, Redis :6379, /usr/bin/chromium)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

fuzz: install  ## the hostile-input harness with many examples (FUZZ_EXAMPLES=300 by default)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/fuzz $(PYTEST_ARGS)

lint: install  ## ruff (lint + format) and mypy on the package
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install  ## benchmarks against the peers named in the issues; each prints a ratio
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench $(BENCH)

docs: install  ## regenerate the docs that are generated from code (CLI reference, audit checks)
	$(BIN)/python -m marketloop.docgen docs

clean:
	rm -rf .marketloop .pytest_cache .mypy_cache .ruff_cache build dist
