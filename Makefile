# vward: `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.DEFAULT_GOAL := help
.PHONY: help install up demo test test-fast lint format bench docs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP) ## Create .venv with the pinned dependencies

up: install ## Start database, migrations, reference data and all three services
	$(BIN)/vward up

demo: install ## Like `up`, plus a simulated integrated care system feeding all three services
	$(BIN)/vward up --demo

test: install ## Run the whole test suite (embedded PostgreSQL unless DATABASE_URL is set)
	$(BIN)/python -m pytest

test-fast: install ## The suite without the slow (multi-process, fault, load) tests
	$(BIN)/python -m pytest -m "not slow"

lint: install ## ruff (lint, complexity, format) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## Run the benchmarks under bench/ and print their figures
	$(BIN)/python -m bench

docs: install ## Regenerate the README's configuration table and problem catalogue
	$(BIN)/python -m vward.readme
