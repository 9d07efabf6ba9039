# The one dev interface: README, developers and CI all call these targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-marketloop
PYTEST_ARGS ?=
#: JUnit XML of the browser (Playwright) tests, kept by CI (tests/browser_junit.py)
BROWSER_JUNIT ?= reports/browser-junit.xml

.PHONY: install demo test fuzz lint format bench docs clean stack stack-down

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

demo: install  ## run the demo loop (examples/loops/demo.yaml) through the runner, offline
	$(BIN)/marketloop loop demo

test: install  ## the full test suite (needs PostgreSQL :5432, Redis :6379, /usr/bin/chromium)
	$(BIN)/python -m pytest --browser-junit=$(BROWSER_JUNIT) $(PYTEST_ARGS)

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

STACK_DB ?= postgresql+psycopg://postgres@127.0.0.1:5432/marketloop_stack
STACK_QUEUE ?= redis://127.0.0.1:6379/0

stack: install  ## app + worker + Prometheus + Alertmanager on 127.0.0.1, on local PostgreSQL/Redis
	-createdb -h 127.0.0.1 -U postgres marketloop_stack 2>/dev/null
	MARKETLOOP_APP_DB_URL=$(STACK_DB) MARKETLOOP_RUNNER_QUEUE=$(STACK_QUEUE) \
		$(BIN)/marketloop stack up --loop examples/loops/demo.yaml

stack-down:  ## stop what `make stack` started
	$(BIN)/marketloop stack down

clean:
	rm -rf .marketloop .pytest_cache .mypy_cache .ruff_cache build dist
