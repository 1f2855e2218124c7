# The commands the README documents. Everything generated goes under .cache/ (git-ignored).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv uses the machine's Python 3.11 and never downloads an interpreter.
export UV_PYTHON_DOWNLOADS := never

BOOTSTRAP := .cache/bootstrap
UV := $(BOOTSTRAP)/bin/uv
RUN := $(UV) run --locked

.PHONY: help install up down status test lint bench chaos

help:
	@echo "make install  create the virtual environment (.venv) with uv; install hledger, chromium"
	@echo "make up       start Kafka, PostgreSQL, the services and the demo data"
	@echo "make down     stop everything 'make up' started"
	@echo "make status   show each process, its pid and its readiness"
	@echo "make test     run every test (starts its own Kafka and PostgreSQL)"
	@echo "make lint     ruff check, ruff format --check, mypy, import contracts"
	@echo "make bench    start a stack of its own (no demo data), measure it, stop it; JSON and"
	@echo "              flame graphs in bench/results/ (BENCH_ARGS=\"--no-profile\")"
	@echo "make chaos    start the system (no demo data), kill its processes while documents flow,"
	@echo "              then check the books; JSON in bench/results/ (CHAOS_ARGS=\"--documents 500\")"

# uv itself lives in a small bootstrap venv, so only python3 is needed on the machine.
$(UV):
	python3 -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet --disable-pip-version-check uv

# The virtual environment, then the programs the tests run (hledger, chromium) from the
# distribution's packages when missing; when they cannot, `coulisse tools` says how and succeeds.
install: $(UV)
	$(UV) sync --locked
	$(RUN) coulisse tools

up: install
	$(RUN) coulisse up

down: install
	$(RUN) coulisse down

status: install
	$(RUN) coulisse status

test: install
	$(RUN) pytest

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy libs services tests conftest.py
	$(RUN) lint-imports

# The benchmark runs a stack of its own (run folder .cache/bench-run, free ports, no demo data,
# no trace viewer taking CPU), stopped at the end whatever the outcome; BENCH_ARGS are passed on
# (e.g. BENCH_ARGS="--documents 2000 --no-profile"). An invalid run exits non-zero.
BENCH_RUN_DIR := $(CURDIR)/.cache/bench-run

bench: install
	export COULISSE_RUN_DIR=$(BENCH_RUN_DIR); \
	$(RUN) coulisse up --no-demo --no-traces && $(RUN) coulisse bench $(BENCH_ARGS); \
	status=$$?; $(RUN) coulisse down; exit $$status

# The full campaign takes about ten minutes on a 2-core machine; CHAOS_ARGS shortens or seeds it.
chaos: install
	$(RUN) coulisse up --no-demo
	$(RUN) coulisse chaos $(CHAOS_ARGS)
