# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB_URL ?= sqlite:///var/kontingent.sqlite3
DEMO_STUDENTS ?= 5000
BIND ?= 127.0.0.1:8080

.PHONY: run test venv lint typecheck pytest wsdl bench clean

$(STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	mkdir -p var
	KONTINGENT_DATABASE_URL=$(DB_URL) $(BIN)/kontingent initdb
	KONTINGENT_DATABASE_URL=$(DB_URL) $(BIN)/kontingent demo --students $(DEMO_STUDENTS) --if-empty
	KONTINGENT_DATABASE_URL=$(DB_URL) $(BIN)/kontingent demo-accounts --base-url http://$(BIND)
	KONTINGENT_DATABASE_URL=$(DB_URL) $(BIN)/kontingent serve --bind $(BIND)

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

wsdl: $(STAMP)
	$(BIN)/kontingent wsdl --write wsdl/

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
