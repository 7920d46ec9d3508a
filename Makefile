# The two commands of the quick start: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install bench clean system-deps screenshots translations catalogs

# `make test SYSTEM_DEPS=0` never installs Debian packages, even as root.
SYSTEM_DEPS ?= 1

# Debian packages the PDF export (WeasyPrint: Pango) and the browser tests (Chromium) need.
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core

# The translations: each catalog (.po, kept in git) compiled to the .mo the site reads (not kept).
CATALOGS := $(wildcard signon/translations/*/LC_MESSAGES/messages.po)
PYBABEL_KEYWORDS := -k lazy_gettext -k lazy_ngettext:1,2

$(STAMP): pyproject.toml requirements.lock $(CATALOGS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	$(BIN)/pybabel compile --statistics -d signon/translations
	touch $(STAMP)

install: $(STAMP)

catalogs: $(STAMP)
	$(BIN)/pybabel compile -d signon/translations

# Collect the messages from the code and templates, add the new ones to each catalog (to be
# translated there), and compile them.
translations: $(STAMP)
	$(BIN)/pybabel extract --ignore-dirs='.*' -F babel.cfg $(PYBABEL_KEYWORDS) --no-location --sort-output \
	  --omit-header -o signon/translations/messages.pot .
	$(BIN)/pybabel update -i signon/translations/messages.pot -d signon/translations \
	  --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile --statistics -d signon/translations

# The site on SQLite with the demo letter; email is printed and kept at /dev/mailbox.
# While there is no organizer account yet, it prints a one-time link to create the first admin.
run: $(STAMP)
	FLASK_DEBUG=1 $(BIN)/signon db upgrade
	FLASK_DEBUG=1 $(BIN)/signon demo
	FLASK_DEBUG=1 SIGNON_BASE_URL=$${SIGNON_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/signon setup-link
	FLASK_DEBUG=1 SIGNON_MAIL_TRANSPORT=$${SIGNON_MAIL_TRANSPORT:-console} \
	  SIGNON_BASE_URL=$${SIGNON_BASE_URL:-http://$(HOST):$(PORT)} \
	  $(BIN)/signon run --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check signon tests $(wildcard bench) migrations/env.py
	$(BIN)/ruff format --check signon tests $(wildcard bench)
	$(BIN)/mypy

# Installs what is missing, system-wide with apt-get, when run as root on Debian (unless
# SYSTEM_DEPS=0); otherwise says what to install.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	fc-list 2>/dev/null | grep -qi dejavu || missing="$$missing fonts-dejavu-core"; \
	why="Chromium runs the browser tests, Pango and DejaVu fonts make the PDF export"; \
	if [ -n "$$missing" ]; then \
	  if [ "$(SYSTEM_DEPS)" != 0 ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make test: installing Debian packages system-wide with apt-get:$$missing"; \
	    echo "  ($$why; run 'make test SYSTEM_DEPS=0' to skip this)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Please install:$$missing ($$why; without them browser tests skip and PDF export fails)"; fi; \
	fi

# Lint, types and the whole suite (SQLite; PostgreSQL too when SIGNON_TEST_DATABASE_URL is set).
test: system-deps lint
	$(BIN)/pytest

# Run the browser journeys and write the README's screenshots to docs/screenshots/.
screenshots: $(STAMP) system-deps
	SIGNON_SCREENSHOTS=1 $(BIN)/pytest tests/browser

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
