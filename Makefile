# The two everyday commands: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres lint clean bench-probes bench-spike bench-history bench-fanout bench-publish

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,postgres]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/statuspage db upgrade
	$(BIN)/statuspage run

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

# The whole suite again on a throwaway PostgreSQL cluster (needs PostgreSQL's server programs).
# The browser tests check what pages look like, which no database changes: they run once, above.
test-postgres: $(STAMP)
	scripts/with-postgres $(BIN)/python -m pytest --ignore=tests/browser

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

bench-probes: $(STAMP)
	$(BIN)/python bench/probe_cycle.py

bench-spike: $(STAMP)
	$(BIN)/python bench/spike.py

bench-history: $(STAMP)
	$(BIN)/python bench/history.py

bench-fanout: $(STAMP)
	$(BIN)/python bench/fanout.py

bench-publish: $(STAMP)
	$(BIN)/python bench/publish.py
