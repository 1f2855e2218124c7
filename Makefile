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
	@echo "make install  create the virtual environment (.venv) with uv; install hledger if missing"
	@echo "make up       start Kafka, PostgreSQL, the services and the demo data"
	@echo "make down     stop everything 'make up' started"
	@echo "make status   show each process, its pid and its readiness"
	@echo "make test     run every test (starts its own Kafka and PostgreSQL)"
	@echo "make lint     ruff check, ruff format --check, mypy, import contracts"
	@echo "make bench    start the system (no demo data) and measure it; JSON in bench/results/"
	@echo "make chaos    start the system (no demo data), kill its processes while documents flow,"
	@echo "              then check the books; JSON in bench/results/ (CHAOS_ARGS=\"--documents 500\")"

# uv itself lives in a small bootstrap venv, so only python3 is needed on the machine.
$(UV):
	python3 -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet --disable-pip-version-check uv

# The virtual environment, then the programs the tests run (hledger) from the distribution's
# packages when missing; when they cannot be installed, `coulisse tools` says how and succeeds.
install: $(UV)
	$(UV) sync --locked
	$(RUN) coulisse tools

up: install
	$(RUN) coulisse up

down: install
	$(RUN) coulisse down

status: install
	$(RUN) coulisse status

# The trace tests run in a session of their own: in a full session their services' spans do not
# reach the viewer (cause under investigation), alone they do.
test: install
	$(RUN) pytest -m "not isolated"
	$(RUN) pytest -m isolated

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy libs services tests conftest.py
	$(RUN) lint-imports

bench: install
	$(RUN) coulisse up --no-demo
	$(RUN) coulisse bench

# The full campaign takes about ten minutes on a 2-core machine; CHAOS_ARGS shortens or seeds it.
chaos: install
	$(RUN) coulisse up --no-demo
	$(RUN) coulisse chaos $(CHAOS_ARGS)
