# The two everyday commands: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The message catalogs (statuspage/translations/<lang>/LC_MESSAGES/messages.po) and what
# they compile to: the .mo files are built here (and by `pip install`), never kept in git.
TRANSLATIONS := statuspage/translations
CATALOGS := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test test-postgres lint clean bench-probes bench-spike bench-history bench-fanout \
	bench-publish translations translations-extract translations-update translations-compile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,postgres]"
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

# After changing a marked string: extract it, then merge it into every catalog to translate.
translations-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output \
		-o $(TRANSLATIONS)/messages.pot statuspage

translations-update: translations-extract
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--no-fuzzy-matching --ignore-obsolete

translations-compile: $(COMPILED)

translations: translations-update translations-compile

run: $(STAMP) $(COMPILED)
	$(BIN)/statuspage db upgrade
	$(BIN)/statuspage run

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint $(COMPILED)
	$(BIN)/python -m pytest

# The whole suite again on a throwaway PostgreSQL cluster (needs PostgreSQL's server programs).
# The browser tests check what pages look like, which no database changes: they run once, above.
test-postgres: $(STAMP) $(COMPILED)
	scripts/with-postgres $(BIN)/python -m pytest --ignore=tests/browser

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache $(COMPILED)

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
