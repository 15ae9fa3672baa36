# Two entry points: `make run` (demo registry on SQLite) and `make test` (lint, types, contracts, tests).
# Both first make sure the Debian packages they need are there (scripts/system-packages.txt).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CRVS_ENV ?= development

.PHONY: run test lint install clean packages-run packages-test

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

packages-run:
	bash scripts/system-packages.sh run

packages-test:
	bash scripts/system-packages.sh test

run: packages-run $(STAMP)
	$(BIN)/crvs db upgrade
	$(BIN)/crvs demo --births 300 --deaths 120 --if-empty
	$(BIN)/crvs keys generate --if-missing
	$(BIN)/crvs users demo-credentials
	$(BIN)/crvs serve --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: packages-test lint
	CRVS_ENV=testing $(BIN)/pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
